"""PCI-HIST-001..005: a claim compared with the patient's claims accepted before it (claim
memory). The earlier claims of a case are edited first and remembered in order
(tests/history_cases.py: a plain list, no database)."""

from decimal import Decimal

import pytest

from contracts import ClaimSubmitted
from service.domain.history import ClaimHistory
from tests.builders import line
from tests.history_cases import OTHER_NPI, claim, run_after
from tests.outcomes import dispositions, findings, run

HOSPITAL = {"setting": "hospital_outpatient"}

HISTORY_CASES: list[tuple[str, list[ClaimSubmitted], ClaimSubmitted, str, list[str]]] = [
    # PCI-HIST-001: the same line accepted on another claim
    (
        "the same line resent under a new claim id",
        [claim(line("92928", "LD"), claim_id="CLM-A")],
        claim(line("92928", "LD"), claim_id="CLM-B"),
        "PCI-HIST-001",
        ["line_rejection"],
    ),
    (
        "the same line with its modifiers in another order",
        [claim(line("92928", "LD", "XS"), line("92920", "RC"), claim_id="CLM-A")],
        claim(line("92928", "XS", "LD"), claim_id="CLM-B"),
        "PCI-HIST-001",
        ["line_rejection"],
    ),
    (
        "another charge is not the same line",
        [claim(line("92928", "LD"), claim_id="CLM-A")],
        claim(line("92928", "LD", charge="1100.00"), claim_id="CLM-B"),
        "PCI-HIST-001",
        [],
    ),
    (
        "another billing provider is not a duplicate",
        [claim(line("92928", "LD"), claim_id="CLM-A")],
        claim(line("92928", "LD"), claim_id="CLM-B", billing_npi=OTHER_NPI),
        "PCI-HIST-001",
        [],
    ),
    (
        "a replacement repeats the line of the claim it replaces",
        [claim(line("92928", "LD"), claim_id="CLM-A")],
        claim(
            line("92928", "LD"),
            claim_id="CLM-A2",
            frequency="replacement",
            claim_reference="CLM-A",
        ),
        "PCI-HIST-001",
        [],
    ),
    (
        "the line of a voided claim billed again",
        [
            claim(line("92928", "LD"), claim_id="CLM-A"),
            claim(line("92928", "LD"), claim_id="CLM-V", frequency="void", claim_reference="CLM-A"),
        ],
        claim(line("92928", "LD"), claim_id="CLM-B"),
        "PCI-HIST-001",
        [],
    ),
    (
        "a rejected claim's line sent again once fixed",
        [claim(line("92928", "LD", units=2), claim_id="CLM-A")],
        claim(line("92928", "LD", units=2), claim_id="CLM-B", billing_npi=OTHER_NPI),
        "PCI-HIST-001",
        [],
    ),
    # PCI-HIST-002: one base code per territory across the rendering provider's claims
    (
        "a second base code in LD on a later claim",
        [claim(line("92928", "LD"), claim_id="CLM-A")],
        claim(line("92920", "LD"), claim_id="CLM-B"),
        "PCI-HIST-002",
        ["line_rejection"],
    ),
    (
        "the other territory on a later claim",
        [claim(line("92928", "LD"), claim_id="CLM-A")],
        claim(line("92920", "RC"), claim_id="CLM-B"),
        "PCI-HIST-002",
        [],
    ),
    (
        "another rendering provider in the same territory",
        [claim(line("92928", "LD"), claim_id="CLM-A")],
        claim(line("92920", "LD"), claim_id="CLM-B", rendering_npi=OTHER_NPI),
        "PCI-HIST-002",
        [],
    ),
    (
        "the hospital's claim in the same territory",
        [claim(line("92928", "LD"), claim_id="CLM-A")],
        claim(line("92928", "LD"), claim_id="CLM-H", **HOSPITAL),
        "PCI-HIST-002",
        [],
    ),
    (
        "a duplicate line is the duplicate edit's, not a second territory",
        [claim(line("92928", "LD"), claim_id="CLM-A")],
        claim(line("92928", "LD"), claim_id="CLM-B"),
        "PCI-HIST-002",
        [],
    ),
    # PCI-HIST-003: MUE (MAI 3) units per date across claims
    (
        "a third 92924 on the date where the MUE is 2",
        [claim(line("92924", "LD"), line("92924", "RC"), claim_id="CLM-A")],
        claim(line("92924", "LC"), claim_id="CLM-B", rendering_npi=OTHER_NPI),
        "PCI-HIST-003",
        ["line_rejection"],
    ),
    (
        "a second 92924 on the date where the MUE is 2",
        [claim(line("92924", "LD"), claim_id="CLM-A")],
        claim(line("92924", "RC"), claim_id="CLM-B"),
        "PCI-HIST-003",
        [],
    ),
    (
        "a third 92924 on another date",
        [claim(line("92924", "LD"), line("92924", "RC"), claim_id="CLM-A")],
        claim(line("92924", "LC", date="2026-03-03"), claim_id="CLM-B"),
        "PCI-HIST-003",
        [],
    ),
    # PCI-HIST-004: replacements and voids whose original is not in memory
    (
        "a replacement of a claim never accepted",
        [],
        claim(line("92928", "LD"), claim_id="CLM-A2", frequency="replacement", claim_reference="X"),
        "PCI-HIST-004",
        ["info"],
    ),
    (
        "a void of a claim never accepted",
        [],
        claim(line("92928", "LD"), claim_id="CLM-V", frequency="void", claim_reference="X"),
        "PCI-HIST-004",
        ["info"],
    ),
    (
        "a replacement of a remembered claim",
        [claim(line("92928", "LD"), claim_id="CLM-A")],
        claim(
            line("92928", "LD"), claim_id="CLM-A2", frequency="replacement", claim_reference="CLM-A"
        ),
        "PCI-HIST-004",
        [],
    ),
    ("an original", [], claim(line("92928", "LD")), "PCI-HIST-004", []),
    # PCI-HIST-005: the physician's and the hospital's claims agree
    (
        "the hospital bills RC where the physician billed LD",
        [claim(line("92928", "LD"), claim_id="CLM-P")],
        claim(line("92928", "RC"), claim_id="CLM-H", **HOSPITAL),
        "PCI-HIST-005",
        ["warning"],
    ),
    (
        "the physician bills PCI the hospital did not",
        [claim(line("93458"), claim_id="CLM-H", **HOSPITAL)],
        claim(line("92928", "LD"), claim_id="CLM-P"),
        "PCI-HIST-005",
        ["warning"],
    ),
    (
        "both bill PCI in LD",
        [claim(line("92928", "LD"), claim_id="CLM-P")],
        claim(line("92928", "LD"), claim_id="CLM-H", **HOSPITAL),
        "PCI-HIST-005",
        [],
    ),
    (
        "the hospital's claim on another date",
        [claim(line("92928", "LD"), claim_id="CLM-P")],
        claim(line("92928", "RC", date="2026-03-03"), claim_id="CLM-H", **HOSPITAL),
        "PCI-HIST-005",
        [],
    ),
    (
        "two professional claims",
        [claim(line("92928", "LD"), claim_id="CLM-P")],
        claim(line("92928", "RC"), claim_id="CLM-Q"),
        "PCI-HIST-005",
        [],
    ),
]


@pytest.mark.parametrize(
    ("name", "earlier", "claim_event", "edit_id", "expected"),
    HISTORY_CASES,
    ids=[case[0] for case in HISTORY_CASES],
)
def test_history_edit_case(
    name: str,
    earlier: list[ClaimSubmitted],
    claim_event: ClaimSubmitted,
    edit_id: str,
    expected: list[str],
) -> None:
    assert dispositions(run_after(earlier, claim_event), edit_id) == expected, name


def test_without_a_claim_memory_one_info_finding_says_no_history_edit_was_checked() -> None:
    outcome = run(claim(line("92928", "LD")))
    (notice,) = [f for f in outcome.findings if f.edit_id.startswith("PCI-HIST-")]
    assert notice.disposition == "info"
    assert "no claim memory" in notice.message
    assert "PCI-HIST-001/002/003/004/005" in notice.message
    assert outcome.event_type == "claim.enriched"


def test_with_an_empty_claim_memory_nothing_is_reported_as_not_checked() -> None:
    outcome = run(claim(line("92928", "LD")), history=ClaimHistory())
    assert not [f for f in outcome.findings if f.edit_id.startswith("PCI-HIST-")]


def test_a_duplicate_is_rejected_with_carc_18_naming_the_earlier_claim_and_no_patient() -> None:
    earlier = claim(line("92928", "LD"), claim_id="CLM-FIRST")
    outcome = run_after([earlier], claim(line("92928", "LD"), claim_id="CLM-AGAIN"))
    (duplicate,) = findings(outcome, "PCI-HIST-001")
    assert outcome.rejected
    assert (duplicate.carc, duplicate.line_numbers) == ("18", (1,))
    assert "CLM-FIRST" in duplicate.message
    assert [e.key for e in duplicate.evidence] == ["CLM-FIRST"]
    assert "M-SECRET-4711" not in repr(duplicate)


def test_a_line_a_correction_removed_from_the_earlier_claim_is_not_a_duplicate() -> None:
    # 92920-LD is inside 92928-LD on the earlier claim (PCI-TERR-001 removes it): only what
    # that claim bills is remembered.
    earlier = claim(line("92928", "LD"), line("92920", "LD"), claim_id="CLM-A")
    outcome = run_after([earlier], claim(line("92920", "LD"), claim_id="CLM-B"))
    assert dispositions(outcome, "PCI-HIST-001") == []


def test_a_more_intensive_later_base_line_says_the_earlier_claim_needs_a_replacement() -> None:
    earlier = claim(line("92920", "LD"), claim_id="CLM-BALLOON")
    outcome = run_after([earlier], claim(line("92928", "LD"), claim_id="CLM-STENT"))
    (territory,) = findings(outcome, "PCI-HIST-002")
    assert "CLM-BALLOON" in territory.message
    assert "needs a replacement" in territory.message
    assert territory.fix is not None and "replacement of claim CLM-BALLOON" in territory.fix


def test_a_less_intensive_later_base_line_is_rejected_without_asking_for_a_replacement() -> None:
    earlier = claim(line("92928", "LD"), claim_id="CLM-STENT")
    outcome = run_after([earlier], claim(line("92920", "LD"), claim_id="CLM-BALLOON"))
    (territory,) = findings(outcome, "PCI-HIST-002")
    assert "CLM-STENT" in territory.message
    assert "replacement" not in territory.message


def test_units_over_the_mue_across_claims_name_each_earlier_claim_and_its_units() -> None:
    earlier = claim(line("92924", "LD"), line("92924", "RC"), claim_id="CLM-A")
    later = claim(line("92924", "LC"), claim_id="CLM-B", rendering_npi=OTHER_NPI)
    (over,) = findings(run_after([earlier], later), "PCI-HIST-003")
    assert "CLM-A (2)" in over.message
    assert (over.carc, over.rarc) == ("151", "N362")


def test_a_claim_over_the_mue_on_its_own_is_left_to_the_single_claim_edit() -> None:
    earlier = claim(line("92924", "LD"), claim_id="CLM-A")
    later = claim(line("92920", "RC", units=4), claim_id="CLM-B", rendering_npi=OTHER_NPI)
    assert dispositions(run_after([earlier], later), "PCI-HIST-003") == []


def test_a_physician_facility_disagreement_is_a_warning_naming_the_other_claim() -> None:
    physician = claim(line("92928", "LD"), claim_id="CLM-PHYS")
    outcome = run_after([physician], claim(line("92928", "RC"), claim_id="CLM-HOSP", **HOSPITAL))
    (disagreement,) = findings(outcome, "PCI-HIST-005")
    assert outcome.event_type == "claim.enriched"
    assert "CLM-PHYS" in disagreement.message
    assert "LD" in disagreement.message and "RC" in disagreement.message
    assert disagreement.carc is None


def test_a_void_of_a_remembered_claim_is_accepted_without_a_history_finding() -> None:
    earlier = claim(line("92928", "LD"), claim_id="CLM-A")
    void = claim(line("92928", "LD"), claim_id="CLM-V", frequency="void", claim_reference="CLM-A")
    outcome = run_after([earlier], void)
    assert outcome.event_type == "claim.enriched"
    assert not [f for f in outcome.findings if f.edit_id.startswith("PCI-HIST-")]


def test_the_charge_compares_as_an_amount_not_as_text() -> None:
    earlier = claim(line("92928", "LD", charge="1000.00"), claim_id="CLM-A")
    later = claim(line("92928", "LD", charge="1000"), claim_id="CLM-B")
    assert Decimal("1000.00") == Decimal("1000")
    assert dispositions(run_after([earlier], later), "PCI-HIST-001") == ["line_rejection"]
