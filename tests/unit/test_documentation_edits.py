"""PCI-DOC-001..005: the billed code must be what the cath report documents."""

from typing import Any

import pytest

from contracts import ClaimSubmitted
from tests.builders import event, lesion, line, procedure
from tests.outcomes import dispositions, findings, run


def documented(*treatments: str, segment: str = "19", **flags: Any) -> dict[str, Any]:
    return procedure(lesion(segment, treatments=treatments, line_number=1, **flags))


SEVERE = {"calcification": "severe"}
OPPS_MEDICARE = {"setting": "hospital_outpatient", "payer_kind": "medicare"}

CASES: list[tuple[str, ClaimSubmitted, str, list[str]]] = [
    (
        "stent documented, 92924 billed",
        event(line("92924", "LC"), proc=documented("atherectomy", "stent", **SEVERE)),
        "PCI-DOC-001",
        ["line_rejection"],
    ),
    (
        "atherectomy and stent documented, 92933 billed",
        event(line("92933", "LC"), proc=documented("atherectomy", "stent", **SEVERE)),
        "PCI-DOC-001",
        [],
    ),
    (
        "balloon documented, 92920 billed",
        event(line("92920", "LC"), proc=documented("balloon")),
        "PCI-DOC-001",
        [],
    ),
    (
        "stent documented, 92920 billed",
        event(line("92920", "LC"), proc=documented("stent")),
        "PCI-DOC-001",
        ["line_rejection"],
    ),
    (
        "one stented lesion, 92930 billed: 2026 says one lesion is 92928",
        event(line("92930", "LC"), proc=documented("stent")),
        "PCI-DOC-001",
        ["line_rejection"],
    ),
    (
        "CTO documented, 92945 billed",
        event(line("92945", "LC"), proc=documented("stent", cto=True)),
        "PCI-DOC-001",
        [],
    ),
    (
        "CTO documented, 92928 billed",
        event(line("92928", "LC"), proc=documented("stent", cto=True)),
        "PCI-DOC-001",
        ["line_rejection"],
    ),
    (
        "acute MI culprit, 92941 billed",
        event(line("92941", "LC"), proc=documented("stent", acute_mi_culprit=True)),
        "PCI-DOC-001",
        [],
    ),
    (
        "graft lesion, 92937 billed",
        event(line("92937", "LC"), proc=documented("stent", via_graft=True)),
        "PCI-DOC-001",
        [],
    ),
    (
        "C9602 counts as 92933",
        event(
            line("C9602", "LC"),
            proc=documented("atherectomy", "drug_eluting_stent", **SEVERE),
            **OPPS_MEDICARE,
        ),
        "PCI-DOC-001",
        [],
    ),
    (
        "lithotripsy alone derives nothing",
        event(line("92920", "LC"), proc=documented("lithotripsy")),
        "PCI-DOC-001",
        [],
    ),
    ("no documentation, no documentation edit", event(line("92920", "LC")), "PCI-DOC-001", []),
    # PCI-DOC-002: why atherectomy was needed
    (
        "atherectomy without calcification or resistance",
        event(line("92924", "LC"), proc=documented("atherectomy")),
        "PCI-DOC-002",
        ["warning"],
    ),
    (
        "atherectomy with moderate calcification",
        event(line("92924", "LC"), proc=documented("atherectomy", calcification="moderate")),
        "PCI-DOC-002",
        [],
    ),
    (
        "atherectomy and stent with balloon resistance",
        event(
            line("92933", "LC"), proc=documented("atherectomy", "stent", resistant_to_balloon=True)
        ),
        "PCI-DOC-002",
        [],
    ),
    (
        "no atherectomy code",
        event(line("92928", "LC"), proc=documented("stent")),
        "PCI-DOC-002",
        [],
    ),
    # PCI-DOC-003: where, by segment
    (
        "lesion of the line without segments",
        event(line("92928", "LC"), proc=procedure(lesion(treatments=("stent",), line_number=1))),
        "PCI-DOC-003",
        ["warning"],
    ),
    (
        "only lesion is in another territory",
        event(line("92928", "LC"), proc=procedure(lesion("1", treatments=("stent",)))),
        "PCI-DOC-003",
        ["warning"],
    ),
    (
        "lesion with a segment",
        event(line("92928", "LC"), proc=documented("stent")),
        "PCI-DOC-003",
        [],
    ),
    # PCI-DOC-004: documentation absent is said, never a silent pass
    ("PCI line without documentation", event(line("92928", "LC")), "PCI-DOC-004", ["info"]),
    (
        "documentation present",
        event(line("92928", "LC"), proc=documented("stent")),
        "PCI-DOC-004",
        [],
    ),
    ("no PCI line", event(line("99213")), "PCI-DOC-004", []),
    # PCI-DOC-005: +92973 is mechanical thrombectomy
    (
        "92973 with aspiration only",
        event(
            line("92928", "LC"),
            line("92973", "LC"),
            proc=documented("stent", "thrombectomy_aspiration"),
        ),
        "PCI-DOC-005",
        ["line_rejection"],
    ),
    (
        "92973 with mechanical thrombectomy",
        event(
            line("92928", "LC"),
            line("92973", "LC"),
            proc=documented("stent", "thrombectomy_mechanical"),
        ),
        "PCI-DOC-005",
        [],
    ),
    (
        "92973 in LD, mechanical thrombectomy only in LC",
        event(
            line("92928", "LC"),
            line("92928", "LD"),
            line("92973", "LD"),
            proc=documented("stent", "thrombectomy_mechanical"),
        ),
        "PCI-DOC-005",
        ["line_rejection"],
    ),
]


@pytest.mark.parametrize(
    ("name", "claim_event", "edit_id", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_documentation_edit(
    name: str, claim_event: ClaimSubmitted, edit_id: str, expected: list[str]
) -> None:
    assert dispositions(run(claim_event), edit_id) == expected


def test_derived_code_fix_names_the_code_and_proposes_the_replacement() -> None:
    outcome = run(event(line("92924", "LC"), proc=documented("atherectomy", "stent", **SEVERE)))
    (finding,) = findings(outcome, "PCI-DOC-001")
    assert finding.fix == "Bill 92933."
    assert (finding.carc, finding.rarc) == ("16", "N657")
    (change,) = outcome.changes
    assert (change.action, change.after and change.after.procedure_code) == (
        "replace_code",
        "92933",
    )


def test_derived_code_on_medicare_outpatient_des_names_the_c_code() -> None:
    outcome = run(
        event(line("92920", "LC"), proc=documented("drug_eluting_stent"), **OPPS_MEDICARE)
    )
    assert findings(outcome, "PCI-DOC-001")[0].fix == "Bill C9600."


def test_lesion_without_line_number_belongs_to_the_single_matching_territory_line() -> None:
    proc = procedure(lesion("19", treatments=("stent",)))  # LC by segment, no line number
    outcome = run(event(line("92920", "LC"), line("92920", "RC"), proc=proc))
    assert findings(outcome, "PCI-DOC-001")[0].line_numbers == (1,)


CALCIFIED_LAD = procedure(
    lesion("13", treatments=("atherectomy", "balloon"), line_number=1, calcification="severe")
)
DOC_006: list[tuple[str, ClaimSubmitted, list[str]]] = [
    (
        "severe calcification, no I25.84",
        event(line("92924", "LD"), proc=CALCIFIED_LAD, diagnoses=("I25.10",)),
        ["warning"],
    ),
    ("severe calcification and I25.84", event(line("92924", "LD"), proc=CALCIFIED_LAD), []),
    (
        "I25.84 sent without its dot",
        event(line("92924", "LD"), proc=CALCIFIED_LAD, diagnoses=("I25.10", "I2584")),
        [],
    ),
    (
        "no calcification documented: PCI-DOC-002's case",
        event(
            line("92924", "LD"),
            proc=procedure(lesion("13", treatments=("atherectomy",), line_number=1)),
            diagnoses=("I25.10",),
        ),
        [],
    ),
    (
        "a stent without atherectomy",
        event(
            line("92928", "LD"),
            proc=procedure(
                lesion("13", treatments=("stent",), line_number=1, calcification="severe")
            ),
            diagnoses=("I25.10",),
        ),
        [],
    ),
    ("no documentation sent", event(line("92924", "LD"), diagnoses=("I25.10",)), []),
]


@pytest.mark.parametrize(("name", "claim_event", "expected"), DOC_006)
def test_calcification_documented_without_the_diagnosis_that_reports_it(
    name: str, claim_event: ClaimSubmitted, expected: list[str]
) -> None:
    assert dispositions(run(claim_event), "PCI-DOC-006") == expected, name


def stented(*segments: str, line_number: int = 1, **flags: object) -> list[dict[str, object]]:
    return [
        lesion(s, treatments=("stent",), line_number=line_number, lesion_id=f"L{i}", **flags)
        for i, s in enumerate(segments, start=1)
    ]


DERIVATION_2026: list[tuple[str, ClaimSubmitted, list[str]]] = [
    (
        "two stented LAD lesions billed 92928",
        event(line("92928", "LD"), proc=procedure(*stented("12", "13"))),
        ["line_rejection"],
    ),
    (
        "two stented LAD lesions billed 92930",
        event(line("92930", "LD"), proc=procedure(*stented("12", "13"))),
        [],
    ),
    (
        "one stented lesion billed 92928",
        event(line("92928", "LD"), proc=procedure(*stented("12"))),
        [],
    ),
    (
        "two stented lesions in 2025: 92928 covers them",
        event(line("92928", "LD", date="2025-05-01"), proc=procedure(*stented("12", "13"))),
        [],
    ),
    (
        "CTO, combined approach, billed 92943",
        event(
            line("92943", "LD"),
            proc=procedure(
                lesion("12", treatments=("stent",), line_number=1, cto=True, approach="combined")
            ),
        ),
        ["line_rejection"],
    ),
    (
        "CTO, combined approach, billed 92945",
        event(
            line("92945", "LD"),
            proc=procedure(
                lesion("12", treatments=("stent",), line_number=1, cto=True, approach="combined")
            ),
        ),
        [],
    ),
    (
        "CTO, antegrade, billed 92945",
        event(
            line("92945", "LD"),
            proc=procedure(
                lesion("12", treatments=("stent",), line_number=1, cto=True, approach="antegrade")
            ),
        ),
        ["line_rejection"],
    ),
    (
        "CTO, approach not documented: either",
        event(
            line("92945", "LD"),
            proc=procedure(lesion("12", treatments=("stent",), line_number=1, cto=True)),
        ),
        [],
    ),
]


@pytest.mark.parametrize(("name", "claim_event", "expected"), DERIVATION_2026)
def test_the_2026_derivation_of_lesion_count_and_cto_approach(
    name: str, claim_event: ClaimSubmitted, expected: list[str]
) -> None:
    assert dispositions(run(claim_event), "PCI-DOC-001") == expected, name


def test_two_stented_lad_lesions_billed_92928_propose_92930() -> None:
    outcome = run(event(line("92928", "LD"), proc=procedure(*stented("12", "13"))))
    (finding,) = findings(outcome, "PCI-DOC-001")
    assert finding.fix == "Bill 92930."
    assert [(c.action, c.after.procedure_code if c.after else None) for c in outcome.changes] == [
        ("replace_code", "92930")
    ]
