"""PCI-SET-002 (not on the ASC list for the date) and PCI-REF-003 (PFS status B), which
stand on facts read from CMS's official files (asc.csv, rvu.csv): both sides of each
condition."""

import pytest

from contracts import ClaimSubmitted
from tests.builders import event, line
from tests.outcomes import assert_edit, dispositions, findings, run

Y2025 = "2025-05-01"
ASC = {"setting": "asc"}

CASES: list[tuple[str, ClaimSubmitted, str, list[str]]] = [
    # PCI-SET-002
    (
        "92941 in an ASC in 2026: not on the list",
        event(line("92941", "LD"), **ASC),
        "PCI-SET-002",
        ["line_rejection"],
    ),
    (
        "92924 in an ASC in 2025: not on the list yet",
        event(line("92924", "LD", date=Y2025), **ASC),
        "PCI-SET-002",
        ["line_rejection"],
    ),
    ("92924 in an ASC in 2026: on the list", event(line("92924", "LD"), **ASC), "PCI-SET-002", []),
    (
        "a packaged add-on (N1) is on the list",
        event(line("92924", "LD"), line("92978"), **ASC),
        "PCI-SET-002",
        [],
    ),
    (
        "Medicare Advantage is held to the list too",
        event(line("92941", "LD"), payer_kind="medicare_advantage", **ASC),
        "PCI-SET-002",
        ["line_rejection"],
    ),
    (
        "a commercial payer is not",
        event(line("92941", "LD"), payer_kind="commercial", **ASC),
        "PCI-SET-002",
        [],
    ),
    (
        "92941 billed by the physician is not an ASC claim",
        event(line("92941", "LD")),
        "PCI-SET-002",
        [],
    ),
    # PCI-REF-003
    (
        "a 2025 branch add-on for Medicare",
        event(line("92928", "LD", date=Y2025), line("92929", "LD", date=Y2025)),
        "PCI-REF-003",
        ["info"],
    ),
    (
        "the same add-on for a commercial payer",
        event(
            line("92928", "LD", date=Y2025),
            line("92929", "LD", date=Y2025),
            payer_kind="commercial",
        ),
        "PCI-REF-003",
        [],
    ),
    ("a 2025 base code has status A", event(line("92928", "LD", date=Y2025)), "PCI-REF-003", []),
]


@pytest.mark.parametrize(("name", "claim_event", "edit_id", "expected"), CASES)
def test_edit_fires_on_its_case_and_stays_silent_on_its_neighbours(
    name: str, claim_event: ClaimSubmitted, edit_id: str, expected: list[str]
) -> None:
    assert dispositions(run(claim_event), edit_id) == expected, name


def test_status_b_names_the_relative_value_file_it_stands_on() -> None:
    outcome = run(event(line("92928", "LD", date=Y2025), line("92929", "LD", date=Y2025)))
    (finding,) = findings(outcome, "PCI-REF-003")
    assert finding.line_numbers == (2,)
    (evidence,) = finding.evidence
    assert "Relative Value File October Release" in evidence.source
    assert evidence.confidence == "confirmed"


def test_not_on_the_asc_list_is_remitted_with_carc_58() -> None:
    (finding,) = findings(run(event(line("92941", "LD"), **ASC)), "PCI-SET-002")
    assert (finding.carc, finding.group_code) == ("58", "CO")


SET_003: list[tuple[str, ClaimSubmitted, list[str], list[tuple[str, list[str]]] | None]] = [
    (
        "C9600 billed by the physician takes 92928",
        event(line("C9600", "LD")),
        ["correction"],
        [("92928", ["LD"])],
    ),
    (
        "C9601 has no CPT analogue: rejected",
        event(line("C9600", "LD"), line("C9601", "LD")),
        ["line_rejection", "correction"],
        None,
    ),
    (
        "C9600 on an outpatient claim is right there",
        event(line("C9600", "LD"), setting="hospital_outpatient"),
        [],
        None,
    ),
    ("92928 by the physician is already CPT", event(line("92928", "LD")), [], None),
]


@pytest.mark.parametrize(("name", "claim_event", "expected", "lines_after"), SET_003)
def test_a_c_code_on_a_professional_claim_takes_its_cpt_analogue(
    name: str,
    claim_event: ClaimSubmitted,
    expected: list[str],
    lines_after: list[tuple[str, list[str]]] | None,
) -> None:
    assert_edit(claim_event, "PCI-SET-003", expected, lines_after, name)
