"""PCI-BUND-001..004: diagnostic angiography, NCCI pairs, MUE, add-on primaries."""

import pytest

from contracts import ClaimSubmitted
from tests.builders import event, lesion, line, procedure
from tests.outcomes import assert_edit, dispositions, final_lines, findings, run

RC_DOC = procedure(lesion("1", treatments=("atherectomy",), line_number=2, calcification="severe"))
RC_DOC_EXCEPTION = procedure(
    lesion("1", treatments=("atherectomy",), line_number=2, calcification="severe"),
    exception="no_prior_study",
)

CASES: list[tuple[str, ClaimSubmitted, str, list[str]]] = [
    # PCI-BUND-001 cases (a)-(e)
    (
        "(a) angiography, no modifier, no exception",
        event(line("93459"), line("92924", "RC")),
        "PCI-BUND-001",
        ["correction"],
    ),
    (
        "(b) exception documented, no XU",
        event(line("93459"), line("92924", "RC"), proc=RC_DOC_EXCEPTION),
        "PCI-BUND-001",
        ["correction"],
    ),
    (
        "(c) 59 with documentation and no exception",
        event(line("93459", "59"), line("92924", "RC"), proc=RC_DOC),
        "PCI-BUND-001",
        ["line_rejection"],
    ),
    (
        "(d) XU without documentation",
        event(line("93459", "XU"), line("92924", "RC")),
        "PCI-BUND-001",
        ["warning"],
    ),
    (
        "(e) XU with documented exception",
        event(line("93459", "XU"), line("92924", "RC"), proc=RC_DOC_EXCEPTION),
        "PCI-BUND-001",
        [],
    ),
    (
        "angiography on another date",
        event(line("93459", date="2026-03-01"), line("92924", "RC")),
        "PCI-BUND-001",
        [],
    ),
    ("angiography without PCI", event(line("93459")), "PCI-BUND-001", []),
    # PCI-BUND-002 NCCI PTP (shipped sample: indicator 1 between native base codes)
    (
        "pair bypassed by different coronary modifiers",
        event(line("92933", "LD"), line("92928", "RC")),
        "PCI-BUND-002",
        ["info"],
    ),
    (
        "pair not bypassed: column 2 removed",
        event(line("92933", "LD"), line("92928")),
        "PCI-BUND-002",
        ["correction"],
    ),
    (
        "pair bypassed by 59 on column 2",
        event(line("92933", "LD"), line("92928", "59")),
        "PCI-BUND-002",
        ["info"],
    ),
    (
        "graft and native have no pair",
        event(line("92933", "LD"), line("92937", "RC")),
        "PCI-BUND-002",
        [],
    ),
    # PCI-BUND-003 MUE (92920: 3, 92924: 2, MAI 3)
    (
        "four 92920 units on one date",
        event(line("92920", "LD"), line("92920", "RC"), line("92920", "LC"), line("92920", "LM")),
        "PCI-BUND-003",
        ["line_rejection"],
    ),
    (
        "two 92924 units on one date",
        event(line("92924", "LD"), line("92924", "RC")),
        "PCI-BUND-003",
        [],
    ),
    (
        "92924 with three units",
        event(line("92924", "LD", units=3)),
        "PCI-BUND-003",
        ["line_rejection"],
    ),
    (
        "code with no MUE row is said, not passed",
        event(line("92933", "LD")),
        "PCI-BUND-003",
        ["info"],
    ),
    # PCI-BUND-004 add-on primaries
    ("+92972 alone", event(line("92972")), "PCI-BUND-004", ["line_rejection"]),
    ("+92972 with a base line", event(line("92924", "LD"), line("92972")), "PCI-BUND-004", []),
    ("+92978 with diagnostic angiography", event(line("93459"), line("92978")), "PCI-BUND-004", []),
    (
        "+92979 without +92978",
        event(line("92924", "LD"), line("92979")),
        "PCI-BUND-004",
        ["line_rejection"],
    ),
    (
        "+92979 with +92978",
        event(line("92924", "LD"), line("92978"), line("92979")),
        "PCI-BUND-004",
        [],
    ),
    (
        "+93572 with +93571 and angiography",
        event(line("93459"), line("93571"), line("93572")),
        "PCI-BUND-004",
        [],
    ),
    (
        "+93572 without +93571",
        event(line("93459"), line("93572")),
        "PCI-BUND-004",
        ["line_rejection"],
    ),
    (
        "2025 branch add-on without a base line in its territory",
        event(line("92924", "RC", date="2025-03-02"), line("92925", "LD", date="2025-03-02")),
        "PCI-BUND-004",
        ["line_rejection"],
    ),
    (
        "2025 branch add-on with its territory's base line",
        event(line("92924", "LD", date="2025-03-02"), line("92925", "LD", date="2025-03-02")),
        "PCI-BUND-004",
        [],
    ),
    (
        "add-on on another date than its primary",
        event(line("92924", "LD"), line("92972", date="2026-03-01")),
        "PCI-BUND-004",
        ["line_rejection"],
    ),
]


@pytest.mark.parametrize(
    ("name", "claim_event", "edit_id", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_bundling_edit(
    name: str, claim_event: ClaimSubmitted, edit_id: str, expected: list[str]
) -> None:
    assert dispositions(run(claim_event), edit_id) == expected


def test_exception_documented_adds_xu_to_the_angiography_line() -> None:
    outcome = run(event(line("93459"), line("92924", "RC"), proc=RC_DOC_EXCEPTION))
    # at place of service 22 the physician's line also takes 26 (PCI-MOD-006)
    assert final_lines(outcome) == [("93459", ["XU", "26"]), ("92924", ["RC"])]


def test_bypass_info_names_the_modifier_and_carries_no_denial_code() -> None:
    (finding,) = findings(run(event(line("92933", "LD"), line("92928", "RC"))), "PCI-BUND-002")
    assert "different coronary modifiers (LD, RC)" in finding.message
    assert finding.carc is None
    assert finding.evidence[0].confidence == "derived"


def test_mue_message_names_value_and_adjudication_indicator() -> None:
    outcome = run(event(line("92924", "LD", units=3)))
    (finding,) = [f for f in findings(outcome, "PCI-BUND-003") if f.disposition != "info"]
    assert "MUE of 2 (MAI 3)" in finding.message
    assert finding.evidence[0].confidence == "provisional"


def test_removed_angiography_no_longer_counts_as_a_primary() -> None:
    # BUND-001 removes 93459 (no exception); +93571 still has the PCI base line as primary
    # (and PCI-MOD-004 gives it that line's vessel, PCI-MOD-006 its professional component).
    outcome = run(event(line("93459"), line("92924", "RC"), line("93571")))
    assert dispositions(outcome, "PCI-BUND-004") == []
    assert final_lines(outcome) == [("92924", ["RC"]), ("93571", ["RC", "26"])]


RC_PCI_WITH_EXCEPTION = procedure(
    lesion("1", treatments=("balloon",), line_number=1), exception="condition_changed"
)
BUND_005: list[tuple[str, ClaimSubmitted, list[str], list[tuple[str, list[str]]] | None]] = [
    (
        "fluoroscopy with a stent",
        event(line("92928", "RC"), line("76000")),
        ["correction"],
        [("92928", ["RC"])],
    ),
    (
        "a closure device with a stent",
        event(line("92928", "RC"), line("G0269")),
        ["correction"],
        [("92928", ["RC"])],
    ),
    (
        "a graft injection with a stent",
        event(line("92928", "RC"), line("93564")),
        ["correction"],
        [("92928", ["RC"])],
    ),
    (
        "moderate sedation is separately reportable",
        event(line("92928", "RC"), line("99152")),
        [],
        [("92928", ["RC"]), ("99152", [])],
    ),
    (
        "fluoroscopy on a day without PCI",
        event(line("76000", date="2026-03-03"), line("92928", "RC")),
        [],
        None,
    ),
    (
        "59 with a documented exception",
        event(line("92928", "RC"), line("76000", "59"), proc=RC_PCI_WITH_EXCEPTION),
        [],
        None,
    ),
    (
        "59 without an exception is still removed",
        event(line("92928", "RC"), line("76000", "59")),
        ["correction"],
        [("92928", ["RC"])],
    ),
]


@pytest.mark.parametrize(("name", "claim_event", "expected", "lines_after"), BUND_005)
def test_a_routine_component_of_the_pci_is_removed(
    name: str,
    claim_event: ClaimSubmitted,
    expected: list[str],
    lines_after: list[tuple[str, list[str]]] | None,
) -> None:
    assert_edit(claim_event, "PCI-BUND-005", expected, lines_after, name)
