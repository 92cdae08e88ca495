"""What the domain remembers of an edited claim (`remembered`) and which remembered claims
still stand against a claim (`in_effect`): pure functions over plain data."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from service.domain.history import (
    ClaimHistory,
    RememberedClaim,
    RememberedLine,
    in_effect,
    memory_key,
    remembered,
)
from tests.builders import line
from tests.history_cases import claim, remember_in_order, run_after
from tests.outcomes import dispositions, run


def _line(code: str, *modifiers: str) -> RememberedLine:
    return RememberedLine(1, code, modifiers, 1, Decimal("1000.00"), date(2026, 3, 2))


def _remembered(
    claim_id: str, *, frequency: str = "original", replaces: str | None = None, sequence: int
) -> RememberedClaim:
    return RememberedClaim(
        claim_id=claim_id,
        memory_key=f"evt-{claim_id}\x1f{claim_id}",
        frequency=frequency,  # type: ignore[arg-type]
        replaces=replaces,
        setting="professional",
        billing_npi="1234567893",
        rendering_npi="1234567893",
        outcome="claim.enriched",
        lines=() if frequency == "void" else (_line("92928", "LD"),),
        sequence=sequence,
    )


def _standing(*claims: RememberedClaim, against: str = "CLM-NEW", **options: Any) -> list[str]:
    editing = claim(line("92920", "RC"), claim_id=against, **options).claim
    return [c.claim_id for c in in_effect(ClaimHistory(claims), editing)]


def test_the_memory_key_is_the_event_and_claim_ids_and_the_content() -> None:
    sent = claim(line("92928", "LD"), claim_id="CLM-A")
    event_id, claim_id, _ = memory_key(sent).split("\x1f")
    assert (event_id, claim_id) == ("evt-CLM-A", "CLM-A")
    assert memory_key(claim(line("92928", "LD"), claim_id="CLM-A")) == memory_key(sent)
    changed = claim(line("92928", "LD", charge="1200.00"), claim_id="CLM-A")
    assert memory_key(changed).split("\x1f")[:2] == [event_id, claim_id]
    assert memory_key(changed) != memory_key(sent)  # other content: not a replay


def test_a_void_from_another_billing_provider_takes_nothing_out() -> None:
    """Claim ids are each sender's own: another practice's void naming CLM-A is not a void
    of this practice's CLM-A, so a copy of CLM-A stays its duplicate."""
    first = claim(line("92928", "LD"), claim_id="CLM-A")
    other = claim(line("92928", "LD"), claim_id="CLM-V", frequency="void", claim_reference="CLM-A")
    other = other.model_copy(
        update={
            "claim": other.claim.model_copy(
                update={
                    "billing_provider": other.claim.billing_provider.model_copy(
                        update={"npi": "1987654320"}
                    )
                }
            )
        }
    )
    again = claim(line("92928", "LD"), claim_id="CLM-B")
    assert dispositions(run_after([first, other], again), "PCI-HIST-001") == ["line_rejection"]
    assert dispositions(run_after([first], other), "PCI-HIST-004") == ["info"]


def test_an_accepted_claim_is_remembered_with_its_lines_as_billed() -> None:
    sent = claim(line("92928", "LD"), line("92920", "LD"), claim_id="CLM-A")
    outcome = run(sent)
    kept = remembered(sent, outcome)
    assert outcome.event_type == "claim.enriched"
    assert kept is not None
    # PCI-TERR-001 removed 92920-LD: what is billed is what is remembered
    assert [(r.procedure_code, r.modifiers, r.units) for r in kept.lines] == [("92928", ("LD",), 1)]
    assert (kept.claim_id, kept.frequency, kept.replaces, kept.setting) == (
        "CLM-A",
        "original",
        None,
        "professional",
    )
    assert kept.memory_key == memory_key(sent)


def test_a_correction_is_remembered_as_corrected() -> None:
    sent = claim(line("C9600", "LD"), claim_id="CLM-A")  # professional: C-code to its CPT
    kept = remembered(sent, run(sent))
    assert kept is not None
    assert [r.procedure_code for r in kept.lines] != ["C9600"]


def test_a_rejected_claim_is_kept_as_rejected_and_never_counts_against_a_later_one() -> None:
    """Kept so that a replay of it sees what it saw the first time (its place in the order);
    never billed, so never a duplicate or a territory of another claim."""
    sent = claim(line("92928", "LD", units=2), claim_id="CLM-A")
    outcome = run(sent)
    assert outcome.rejected
    kept = remembered(sent, outcome)
    assert kept is not None and kept.outcome == "claim.rejected"
    later = claim(line("92928", "LD", units=2), claim_id="CLM-B")
    assert in_effect(ClaimHistory((kept,)), later.claim) == ()
    assert dispositions(run(later, history=ClaimHistory((kept,))), "PCI-HIST-001") == []


def test_a_void_is_remembered_with_its_lines_naming_the_claim_it_voids() -> None:
    """Its lines date it (the store keeps and forgets claims by date of service); being a
    void's, they never count as billed."""
    sent = claim(line("92928", "LD"), claim_id="CLM-V", frequency="void", claim_reference="CLM-A")
    kept = remembered(sent, run(sent))
    assert kept is not None
    assert (kept.frequency, kept.replaces) == ("void", "CLM-A")
    assert [line.procedure_code for line in kept.lines] == ["92928"]
    assert in_effect(ClaimHistory((kept,)), sent.claim) == ()


def test_a_replacement_names_the_claim_it_replaces() -> None:
    sent = claim(
        line("92928", "LD"), claim_id="CLM-A2", frequency="replacement", claim_reference="CLM-A"
    )
    kept = remembered(sent, run(sent))
    assert kept is not None
    assert (kept.frequency, kept.replaces) == ("replacement", "CLM-A")


def test_nothing_of_the_patient_is_remembered() -> None:
    sent = claim(line("92928", "LD"), claim_id="CLM-A")
    kept = remembered(sent, run(sent))
    assert "M-SECRET-4711" not in repr(kept)
    assert "1951-04-03" not in repr(kept)
    assert "I25.10" not in repr(kept)


def test_a_void_takes_its_original_out() -> None:
    assert _standing(
        _remembered("CLM-A", sequence=1),
        _remembered("CLM-B", sequence=2),
        _remembered("CLM-V", frequency="void", replaces="CLM-A", sequence=3),
    ) == ["CLM-B"]


def test_a_replacement_stands_in_place_of_its_original() -> None:
    assert _standing(
        _remembered("CLM-A", sequence=1),
        _remembered("CLM-A2", frequency="replacement", replaces="CLM-A", sequence=2),
    ) == ["CLM-A2"]


def test_a_second_replacement_of_an_original_supersedes_the_first() -> None:
    assert _standing(
        _remembered("CLM-A", sequence=1),
        _remembered("CLM-A2", frequency="replacement", replaces="CLM-A", sequence=2),
        _remembered("CLM-A3", frequency="replacement", replaces="CLM-A", sequence=3),
    ) == ["CLM-A3"]


def test_a_replacement_of_a_replacement_supersedes_both() -> None:
    assert _standing(
        _remembered("CLM-A", sequence=1),
        _remembered("CLM-A2", frequency="replacement", replaces="CLM-A", sequence=2),
        _remembered("CLM-A3", frequency="replacement", replaces="CLM-A2", sequence=3),
    ) == ["CLM-A3"]


def test_a_void_of_a_replaced_claim_takes_its_replacement_out_too() -> None:
    assert (
        _standing(
            _remembered("CLM-A", sequence=1),
            _remembered("CLM-A2", frequency="replacement", replaces="CLM-A", sequence=2),
            _remembered("CLM-V", frequency="void", replaces="CLM-A", sequence=3),
        )
        == []
    )


def test_a_void_of_the_original_takes_out_a_replacement_of_its_replacement() -> None:
    assert _standing(
        _remembered("CLM-A", sequence=1),
        _remembered("CLM-A2", frequency="replacement", replaces="CLM-A", sequence=2),
        _remembered("CLM-A3", frequency="replacement", replaces="CLM-A2", sequence=3),
        _remembered("CLM-B", sequence=4),
        _remembered("CLM-V", frequency="void", replaces="CLM-A", sequence=5),
    ) == ["CLM-B"]


def test_a_replacement_of_the_original_does_not_count_any_earlier_version_against_it() -> None:
    history = (
        _remembered("CLM-A", sequence=1),
        _remembered("CLM-A2", frequency="replacement", replaces="CLM-A", sequence=2),
        _remembered("CLM-A3", frequency="replacement", replaces="CLM-A2", sequence=3),
    )
    assert (
        _standing(*history, against="CLM-A4", frequency="replacement", claim_reference="CLM-A")
        == []
    )


def test_a_replacement_resent_under_its_original_claim_id_stands_alone() -> None:
    assert _standing(
        _remembered("CLM-A", sequence=1),
        _remembered("CLM-A", frequency="replacement", replaces="CLM-A", sequence=2),
    ) == ["CLM-A"]


def test_the_claim_being_edited_does_not_count_its_own_original_against_it() -> None:
    history = (_remembered("CLM-A", sequence=1), _remembered("CLM-B", sequence=2))
    assert _standing(
        *history, against="CLM-A2", frequency="replacement", claim_reference="CLM-A"
    ) == ["CLM-B"]
    assert _standing(*history, against="CLM-V", frequency="void", claim_reference="CLM-A") == [
        "CLM-B"
    ]


def test_an_original_sees_every_earlier_claim_in_the_order_they_were_accepted() -> None:
    history = (_remembered("CLM-B", sequence=1), _remembered("CLM-A", sequence=2))
    assert _standing(*history) == ["CLM-B", "CLM-A"]


def test_a_void_of_a_claim_never_remembered_takes_nothing_out() -> None:
    assert _standing(
        _remembered("CLM-A", sequence=1),
        _remembered("CLM-V", frequency="void", replaces="CLM-X", sequence=2),
    ) == ["CLM-A"]


def test_a_replay_needs_nothing_of_the_domain_the_port_leaves_the_claim_out() -> None:
    # The memory answers a replay with the history the claim saw the first time (its own
    # write excluded, later claims too), so editing again gives the same outcome.
    first = claim(line("92928", "LD"), claim_id="CLM-A")
    before = remember_in_order([first])
    again = claim(line("92928", "LD"), claim_id="CLM-B")
    outcome = run(again, history=ClaimHistory(before))
    replayed = run(again, history=ClaimHistory(before))
    assert outcome == replayed
    kept = remembered(again, outcome)
    assert kept is not None and kept.outcome == "claim.rejected"  # the duplicate: never billed


def test_a_claim_whose_own_write_were_in_its_history_would_be_its_own_duplicate() -> None:
    # Why the port excludes a replayed claim's own key: the domain compares with whatever
    # it is given.
    sent = claim(line("92928", "LD"), claim_id="CLM-A")
    own = remembered(sent, run(sent))
    assert own is not None
    assert dispositions(run(sent, history=ClaimHistory((own,))), "PCI-HIST-001") == [
        "line_rejection"
    ]
    assert dispositions(run(sent, history=ClaimHistory()), "PCI-HIST-001") == []


def test_only_claims_remembered_before_count_in_the_order_given() -> None:
    a = claim(line("92928", "LD"), claim_id="CLM-A")
    b = claim(line("92928", "LD"), claim_id="CLM-B")
    assert dispositions(run_after([a], b), "PCI-HIST-001") == ["line_rejection"]
    assert dispositions(run_after([b], a), "PCI-HIST-001") == ["line_rejection"]
    kept = remember_in_order([a, b])
    assert [(c.claim_id, c.outcome) for c in kept] == [
        ("CLM-A", "claim.enriched"),
        ("CLM-B", "claim.rejected"),  # the second is the duplicate
    ]
    assert [c.sequence for c in kept] == [1, 2]
    assert replace(kept[0], sequence=0) == remembered(a, run(a, history=ClaimHistory()))
