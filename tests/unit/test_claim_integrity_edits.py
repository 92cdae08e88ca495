"""PCI-CLM-001 and PCI-CLM-002: problems the billing user fixes before any PCI rule applies."""

import pytest

from contracts import ClaimSubmitted
from tests.builders import event, line
from tests.outcomes import dispositions, findings, run

CASES: list[tuple[str, ClaimSubmitted, str, list[str]]] = [
    (
        "date before every ruleset",
        event(line("92924", "LD", date="2024-12-31")),
        "PCI-CLM-001",
        ["claim_rejection"],
    ),
    (
        "date after 2025-01-01 has a ruleset",
        event(line("92924", "LD", date="2025-06-01")),
        "PCI-CLM-001",
        [],
    ),
    (
        "duplicate line numbers",
        event(line("92924", "LD", n=1), line("92928", "RC", n=1), renumber=False),
        "PCI-CLM-002",
        ["claim_rejection"],
    ),
    (
        "pointer past the diagnosis list",
        event(line("92924", "LD", pointers=(3,))),
        "PCI-CLM-002",
        ["claim_rejection"],
    ),
    ("pointer zero", event(line("92924", "LD", pointers=(0,))), "PCI-CLM-002", ["claim_rejection"]),
    ("pointers within the list", event(line("92924", "LD", pointers=(1, 2))), "PCI-CLM-002", []),
    (
        "billing NPI with a bad check digit",
        event(line("92924", "LD"), billing_npi="1234567890"),
        "PCI-CLM-002",
        ["claim_rejection"],
    ),
    (
        "service date after occurred_at",
        event(line("92924", "LD"), occurred_at="2026-03-01T23:00:00Z"),
        "PCI-CLM-002",
        ["claim_rejection"],
    ),
    (
        "lines under two rulesets",
        event(line("92924", "LD", date="2025-12-31"), line("92928", "RC", date="2026-01-02")),
        "PCI-CLM-002",
        ["claim_rejection"],
    ),
    ("a clean claim", event(line("92924", "LD")), "PCI-CLM-002", []),
]


@pytest.mark.parametrize(
    ("name", "claim_event", "edit_id", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_claim_integrity_edit(
    name: str, claim_event: ClaimSubmitted, edit_id: str, expected: list[str]
) -> None:
    assert dispositions(run(claim_event), edit_id) == expected


def test_no_ruleset_stops_every_other_edit_and_names_no_ruleset() -> None:
    outcome = run(event(line("92924", date="2024-06-01"), line("93459", date="2024-06-01")))
    assert outcome.rejected
    assert {f.edit_id for f in outcome.findings} == {"PCI-CLM-001"}
    assert outcome.ruleset_version is None


def test_claim_integrity_findings_carry_carc_16_and_a_claim_level_path() -> None:
    (finding,) = run(event(line("92924", "LD"), billing_npi="1234567890")).findings[:1]
    assert (finding.edit_id, finding.carc, finding.x12_path) == (
        "PCI-CLM-002",
        "16",
        "2010AA/NM109",
    )


@pytest.mark.parametrize(
    ("npi", "valid"),
    [("1234567893", True), ("1234567890", False), ("1245319599", True), ("1245319590", False)],
)
def test_npi_check_digit(npi: str, valid: bool) -> None:
    from service.domain.npi import npi_check_digit_ok

    assert npi_check_digit_ok(npi) is valid


@pytest.mark.parametrize(
    ("frequency", "claim_reference", "expected"),
    [
        ("replacement", None, ["claim_rejection"]),
        ("void", None, ["claim_rejection"]),
        ("replacement", "PAYER-ICN-2026-000123", []),
        ("void", "PAYER-ICN-2026-000123", []),
        ("original", None, []),
    ],
)
def test_a_replacement_or_void_must_name_the_claim_it_refers_to(
    frequency: str, claim_reference: str | None, expected: list[str]
) -> None:
    claim = event(line("92924", "LD"), frequency=frequency, claim_reference=claim_reference)
    outcome = run(claim)
    assert dispositions(outcome, "PCI-CLM-004") == expected
    if expected:
        (finding,) = findings(outcome, "PCI-CLM-004")
        assert (finding.carc, finding.rarc, finding.x12_path) == ("16", "MA130", "2300/REF02")


def test_a_void_is_acknowledged_checked_for_integrity_only_and_not_priced() -> None:
    # no coronary modifier: PCI-TERR-002 would reject an original, but not a void
    outcome = run(event(line("92924"), frequency="void", claim_reference="PAYER-ICN-1"))
    assert outcome.event_type == "claim.enriched"
    assert outcome.pricing is None
    # and, with no claim memory configured, that the memory could not take out its original
    assert [(f.edit_id, f.disposition) for f in outcome.findings] == [
        ("PCI-CLM-003", "info"),
        ("PCI-HIST-004", "info"),
    ]


@pytest.mark.parametrize(
    ("name", "claim_event", "edit_id"),
    [
        ("no claim reference", event(line("92924", "LD"), frequency="void"), "PCI-CLM-004"),
        (
            "a bad NPI check digit",
            event(
                line("92924", "LD"),
                frequency="void",
                claim_reference="PAYER-ICN-1",
                billing_npi="1234567890",
            ),
            "PCI-CLM-002",
        ),
    ],
)
def test_claim_integrity_still_rejects_a_void(
    name: str, claim_event: ClaimSubmitted, edit_id: str
) -> None:
    outcome = run(claim_event)
    assert outcome.rejected, name
    assert "claim_rejection" in dispositions(outcome, edit_id)


def test_an_original_claim_is_not_acknowledged_as_a_void() -> None:
    assert dispositions(run(event(line("92924", "LD"))), "PCI-CLM-003") == []
