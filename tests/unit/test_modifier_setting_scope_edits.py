"""PCI-MOD-001..003, PCI-SET-001, PCI-REF-001..002."""

import pytest

from contracts import ClaimSubmitted
from tests.builders import event, lesion, line, procedure
from tests.outcomes import assert_edit, dispositions, final_lines, findings, run

RC_EXCEPTION = procedure(
    lesion("1", treatments=("atherectomy",), line_number=2, calcification="severe"),
    exception="condition_changed",
)
DES_LC = procedure(lesion("19", treatments=("drug_eluting_stent",), line_number=1))
OPPS = {"setting": "hospital_outpatient"}

CASES: list[tuple[str, ClaimSubmitted, str, list[str]]] = [
    # PCI-MOD-001
    (
        "XS on a lone base line has nothing to bypass",
        event(line("92924", "LD", "XS")),
        "PCI-MOD-001",
        ["warning"],
    ),
    (
        "XU on angiography with PCI bypasses BUND-001",
        event(line("93459", "XU"), line("92924", "RC"), proc=RC_EXCEPTION),
        "PCI-MOD-001",
        [],
    ),
    (
        "59 on a line in an NCCI pair",
        event(line("92933", "LD"), line("92928", "RC", "59")),
        "PCI-MOD-001",
        [],
    ),
    (
        "XS splitting a territory is TERR-006's",
        event(line("92920", "LD"), line("92924", "LD", "XS")),
        "PCI-MOD-001",
        [],
    ),
    # PCI-MOD-002
    (
        "59 on same-session angiography",
        event(line("93459", "59"), line("92924", "RC"), proc=RC_EXCEPTION),
        "PCI-MOD-002",
        ["warning"],
    ),
    (
        "XU on same-session angiography",
        event(line("93459", "XU"), line("92924", "RC"), proc=RC_EXCEPTION),
        "PCI-MOD-002",
        [],
    ),
    # PCI-MOD-003
    (
        "coronary modifier on an E/M code",
        event(line("92924", "LD"), line("99213", "LD")),
        "PCI-MOD-003",
        ["line_rejection"],
    ),
    ("coronary modifier on angiography", event(line("93459", "RC")), "PCI-MOD-003", []),
    # PCI-SET-001
    (
        "Medicare outpatient DES billed with CPT",
        event(line("92928", "LC"), proc=DES_LC, **OPPS),
        "PCI-SET-001",
        ["line_rejection"],
    ),
    (
        "Medicare Advantage outpatient DES billed with CPT",
        event(line("92928", "LC"), proc=DES_LC, payer_kind="medicare_advantage", **OPPS),
        "PCI-SET-001",
        [],
    ),
    (
        "Medicare professional DES billed with CPT",
        event(line("92928", "LC"), proc=DES_LC),
        "PCI-SET-001",
        [],
    ),
    (
        "Medicare outpatient bare-metal stent",
        event(
            line("92928", "LC"),
            proc=procedure(lesion("19", treatments=("stent",), line_number=1)),
            **OPPS,
        ),
        "PCI-SET-001",
        [],
    ),
    (
        "Medicare outpatient DES billed with its C-code",
        event(line("C9600", "LC"), proc=DES_LC, **OPPS),
        "PCI-SET-001",
        [],
    ),
    # PCI-REF-001 / PCI-REF-002
    ("unknown code is outside rule scope", event(line("99213")), "PCI-REF-001", ["info"]),
    ("known code", event(line("92924", "LD")), "PCI-REF-001", []),
    (
        "92930 before it existed",
        event(line("92930", "LD", date="2025-06-01")),
        "PCI-REF-002",
        ["line_rejection"],
    ),
    ("92930 in 2026", event(line("92930", "LD")), "PCI-REF-002", []),
]


@pytest.mark.parametrize(
    ("name", "claim_event", "edit_id", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_modifier_setting_scope_edit(
    name: str, claim_event: ClaimSubmitted, edit_id: str, expected: list[str]
) -> None:
    assert dispositions(run(claim_event), edit_id) == expected


def test_c_code_fix_and_proposed_replacement() -> None:
    outcome = run(
        event(
            line("92933", "LC"),
            proc=procedure(
                lesion(
                    "19",
                    treatments=("atherectomy", "drug_eluting_stent"),
                    line_number=1,
                    calcification="severe",
                )
            ),
            **OPPS,
        )
    )
    (finding,) = findings(outcome, "PCI-SET-001")
    assert finding.fix == "Bill C9602."
    assert finding.x12_path == "2400/SV202-2"
    assert [c.after.procedure_code for c in outcome.changes if c.after] == ["C9602"]


def test_out_of_scope_line_is_kept_as_submitted_and_not_priced() -> None:
    outcome = run(event(line("92924", "LD"), line("99213", "25")))
    assert not outcome.rejected
    assert final_lines(outcome) == [("92924", ["LD"]), ("99213", ["25"])]
    assert outcome.pricing is not None
    assert [p.procedure_code for p in outcome.pricing.lines] == ["92924"]
    assert outcome.pricing.total_allowed == "469.28"


MOD_005: list[tuple[str, ClaimSubmitted, list[str]]] = [
    (
        "59 on the column 2 line of a pair in two arteries",
        event(line("92933", "LD"), line("92928", "RC", "59")),
        ["warning"],
    ),
    (
        "XS on the column 1 line of a pair in two arteries",
        event(line("92933", "LD", "XS"), line("92928", "RC")),
        ["warning"],
    ),
    (
        "the same pair without a distinct modifier",
        event(line("92933", "LD"), line("92928", "RC")),
        [],
    ),
    (
        "59 splitting one artery is PCI-TERR-006's",
        event(line("92933", "LD"), line("92928", "LD", "59")),
        [],
    ),
    ("59 on a lone base line is PCI-MOD-001's", event(line("92920", "LD", "59")), []),
]


@pytest.mark.parametrize(("name", "claim_event", "expected"), MOD_005)
def test_a_distinct_modifier_where_coronary_modifiers_already_bypass_the_pair_is_flagged(
    name: str, claim_event: ClaimSubmitted, expected: list[str]
) -> None:
    assert dispositions(run(claim_event), "PCI-MOD-005") == expected, name


MOD_004: list[tuple[str, ClaimSubmitted, list[str], list[tuple[str, list[str]]] | None]] = [
    (
        "IVUS with one PCI artery takes its modifier",
        event(line("92928", "LD"), line("92978")),
        ["correction"],
        [("92928", ["LD"]), ("92978", ["LD", "26"])],  # 26: PCI-MOD-006 (place of service 22)
    ),
    (
        "FFR with diagnostic angiography only, documented in one artery",
        event(
            line("93458", "59"),
            line("93571"),
            proc=procedure(lesion("1"), exception="condition_changed"),
        ),
        ["correction"],
        None,
    ),
    (
        "IVUS with PCI in two arteries: which vessel?",
        event(line("92928", "LD"), line("92920", "RC"), line("92978")),
        ["line_rejection"],
        None,
    ),
    ("IVUS already naming its vessel", event(line("92928", "LD"), line("92978", "LD")), [], None),
    ("thrombectomy add-on is not in the set", event(line("92928", "LD"), line("92973")), [], None),
]


@pytest.mark.parametrize(("name", "claim_event", "expected", "lines_after"), MOD_004)
def test_an_imaging_or_physiology_add_on_names_its_vessel(
    name: str,
    claim_event: ClaimSubmitted,
    expected: list[str],
    lines_after: list[tuple[str, list[str]]] | None,
) -> None:
    assert_edit(claim_event, "PCI-MOD-004", expected, lines_after, name)


# PCI-MOD-006: PC/TC indicator 1 (PPRRVU2025_Oct.csv: 93454-93461, +92978, +93571 ...;
# carried forward to 2026), professional claim, facility place of service, no 26 or TC.
JUNE_2025 = "2025-06-10"
MOD_006: list[tuple[str, ClaimSubmitted, list[str], list[tuple[str, list[str]]]]] = [
    (
        "diagnostic angiography kept beside a PCI in a hospital takes 26",
        event(
            line("92928", "RC", date=JUNE_2025),
            line("93458", date=JUNE_2025),
            proc=procedure(lesion("2", treatments=("stent",)), exception="condition_changed"),
        ),
        ["correction"],
        [("92928", ["RC"]), ("93458", ["XU", "26"])],
    ),
    (
        "2026: the PC/TC indicator carried forward from 2025 still asks for 26",
        event(line("92928", "LD"), line("92978", "LD")),
        ["correction"],
        [("92928", ["LD"]), ("92978", ["LD", "26"])],
    ),
    (
        "an ambulatory surgical centre (24) is a facility too",
        event(line("92928", "LD"), line("92978", "LD"), place_of_service="24"),
        ["correction"],
        [("92928", ["LD"]), ("92978", ["LD", "26"])],
    ),
    (
        "in an office (11) the physician bills the global service",
        event(line("92928", "LD"), line("92978", "LD"), place_of_service="11"),
        [],
        [("92928", ["LD"]), ("92978", ["LD"])],
    ),
    (
        "26 already billed",
        event(line("92928", "LD"), line("92978", "LD", "26")),
        [],
        [("92928", ["LD"]), ("92978", ["LD", "26"])],
    ),
    (
        "TC billed: the technical component is not changed",
        event(line("92928", "LD"), line("92978", "LD", "TC")),
        [],
        [("92928", ["LD"]), ("92978", ["LD", "TC"])],
    ),
    (
        "a PCI base code does not split (PC/TC indicator 0)",
        event(line("92928", "LD", date=JUNE_2025)),
        [],
        [("92928", ["LD"])],
    ),
    (
        "a hospital outpatient claim bills the facility's part: not the physician's edit",
        event(line("92928", "LD"), line("92978", "LD"), setting="hospital_outpatient"),
        [],
        [("92928", ["LD"]), ("92978", ["LD"])],
    ),
]


@pytest.mark.parametrize(
    ("name", "claim_event", "expected", "lines_after"), MOD_006, ids=[c[0] for c in MOD_006]
)
def test_a_split_code_billed_by_a_physician_at_a_facility_takes_26(
    name: str,
    claim_event: ClaimSubmitted,
    expected: list[str],
    lines_after: list[tuple[str, list[str]]],
) -> None:
    assert_edit(claim_event, "PCI-MOD-006", expected, lines_after, name)


def test_appending_26_is_recorded_as_a_change_with_the_modifier_remittance_codes() -> None:
    outcome = run(event(line("92928", "LD"), line("92978", "LD")))
    (finding,) = findings(outcome, "PCI-MOD-006")
    # as every correction that supplies a modifier (PCI-MOD-004): 4 / N822, which a strict
    # policy's rejection of the same line needs
    assert (finding.carc, finding.rarc) == ("4", "N822")
    assert finding.evidence and "PPRRVU2025_Oct.csv" in finding.evidence[0].source
    changed = [c for c in outcome.changes if c.edit_id == "PCI-MOD-006"]
    snapshots = [(c.before, c.after) for c in changed]
    assert [(b and b.modifiers, a and a.modifiers) for b, a in snapshots] == [
        (("LD",), ("LD", "26"))
    ]


def test_a_line_with_four_modifiers_is_warned_not_changed() -> None:
    outcome = run(event(line("92928", "LD"), line("92978", "LD", "XU", "76", "77")))
    assert dispositions(outcome, "PCI-MOD-006") == ["warning"]
    assert ("92978", ["LD", "XU", "76", "77"]) in final_lines(outcome)
