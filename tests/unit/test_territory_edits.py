"""PCI-TERR-001..006: one base code per major coronary territory (92924 guide, guideline 1)."""

import pytest

from contracts import ClaimSubmitted
from tests.builders import event, lesion, line, procedure
from tests.outcomes import dispositions, final_lines, findings, run

LD_LESION = procedure(
    lesion("12", treatments=("atherectomy",), line_number=1, calcification="severe")
)

CASES: list[tuple[str, ClaimSubmitted, str, list[str]]] = [
    # PCI-TERR-002: a base line needs its coronary modifier
    (
        "no modifier, documentation names LD",
        event(line("92924"), proc=LD_LESION),
        "PCI-TERR-002",
        ["correction"],
    ),
    ("no modifier and no documentation", event(line("92924")), "PCI-TERR-002", ["line_rejection"]),
    (
        "no modifier, lesion spans LM and LD",
        event(line("92924"), proc=procedure(lesion("11a", "12", line_number=1))),
        "PCI-TERR-002",
        ["line_rejection"],
    ),
    ("modifier present", event(line("92924", "LD")), "PCI-TERR-002", []),
    (
        "add-on without modifier is not a base line",
        event(line("92924", "LD"), line("92972")),
        "PCI-TERR-002",
        [],
    ),
    # PCI-TERR-003: one territory, agreeing with the documented segments
    (
        "two coronary modifiers",
        event(line("92924", "LD", "RC")),
        "PCI-TERR-003",
        ["line_rejection"],
    ),
    (
        "modifier disagrees with segments",
        event(line("92924", "LC"), proc=procedure(lesion("12", line_number=1))),
        "PCI-TERR-003",
        ["line_rejection"],
    ),
    (
        "lesion spanning LM and LD agrees with LD",
        event(line("92924", "LD"), proc=procedure(lesion("11a", "12", line_number=1))),
        "PCI-TERR-003",
        [],
    ),
    (
        "lesion spanning LM and LD agrees with LM",
        event(line("92924", "LM"), proc=procedure(lesion("11a", "12", line_number=1))),
        "PCI-TERR-003",
        [],
    ),
    # PCI-TERR-005: units
    (
        "base code with 2 units",
        event(line("92924", "LD", units=2)),
        "PCI-TERR-005",
        ["line_rejection"],
    ),
    ("base code with 1 unit", event(line("92924", "LD")), "PCI-TERR-005", []),
    # PCI-TERR-006: distinct modifiers cannot split a territory
    (
        "XS on a second base line in LD",
        event(line("92920", "LD"), line("92924", "LD", "XS")),
        "PCI-TERR-006",
        ["line_rejection"],
    ),
    (
        "59 on both base lines in LD",
        event(line("92920", "LD", "59"), line("92924", "LD", "59")),
        "PCI-TERR-006",
        ["line_rejection", "line_rejection"],
    ),
    ("XS on a lone base line", event(line("92924", "LD", "XS")), "PCI-TERR-006", []),
    # PCI-TERR-001: keep the highest-ranked line
    (
        "92920 and 92924 in LD",
        event(line("92920", "LD"), line("92924", "LD")),
        "PCI-TERR-001",
        ["correction"],
    ),
    (
        "same codes in different territories",
        event(line("92920", "LD"), line("92924", "RC")),
        "PCI-TERR-001",
        [],
    ),
    (
        "native and graft in one territory are different groups",
        event(line("92928", "LD"), line("92937", "LD")),
        "PCI-TERR-001",
        [],
    ),
    (
        "same territory on different dates",
        event(line("92920", "LD", date="2026-03-01"), line("92924", "LD")),
        "PCI-TERR-001",
        [],
    ),
    (
        "two 92924 in LD: a tie",
        event(line("92924", "LD"), line("92924", "LD")),
        "PCI-TERR-001",
        ["correction", "warning"],
    ),
    # PCI-TERR-004: branch add-ons deleted in 2026
    (
        "92925 with a base line in LD",
        event(line("92924", "LD"), line("92925", "LD")),
        "PCI-TERR-004",
        ["correction"],
    ),
    ("92925 alone", event(line("92925", "LD")), "PCI-TERR-004", ["line_rejection"]),
    (
        "92925 in LD with a base line in RC",
        event(line("92924", "RC"), line("92925", "LD")),
        "PCI-TERR-004",
        ["line_rejection"],
    ),
    (
        "92934 (deleted by the guide only) with its base line",
        event(line("92933", "LD"), line("92934", "LD")),
        "PCI-TERR-004",
        ["correction"],
    ),
    (
        "92925 in 2025 is still valid",
        event(line("92924", "LD", date="2025-03-02"), line("92925", "LD", date="2025-03-02")),
        "PCI-TERR-004",
        [],
    ),
]


@pytest.mark.parametrize(
    ("name", "claim_event", "edit_id", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_territory_edit(
    name: str, claim_event: ClaimSubmitted, edit_id: str, expected: list[str]
) -> None:
    assert dispositions(run(claim_event), edit_id) == expected


def test_added_modifier_places_the_line_in_its_territory_for_later_edits() -> None:
    documented = lesion("13", treatments=("atherectomy",), line_number=1, calcification="severe")
    outcome = run(event(line("92920"), line("92924", "LD"), proc=procedure(documented)))
    assert [c.action for c in outcome.changes] == ["add_modifier", "remove_line"]
    assert final_lines(outcome) == [("92924", ["LD"])]


def test_most_intensive_code_is_kept_whatever_the_line_order() -> None:
    outcome = run(event(line("92933", "LD"), line("92920", "LD"), line("92924", "LD")))
    assert final_lines(outcome) == [("92933", ["LD"])]
    (change_1, change_2) = outcome.changes
    assert (change_1.line_number, change_2.line_number) == (2, 3)
    assert change_1.before is not None and change_1.after is None


def test_rank_tie_goes_to_the_higher_total_rvu() -> None:
    outcome = run(event(line("92933", "LD"), line("92943", "LD")))
    assert final_lines(outcome) == [("92943", ["LD"])]
    assert dispositions(outcome, "PCI-TERR-001") == ["correction"]


def test_rank_tie_without_rvu_keeps_the_lowest_line_and_warns_naming_the_missing_row() -> None:
    outcome = run(event(line("C9602", "LD"), line("92933", "LD"), setting="hospital_outpatient"))
    assert final_lines(outcome) == [("C9602", ["LD"])]
    (warning,) = [f for f in findings(outcome, "PCI-TERR-001") if f.disposition == "warning"]
    assert "no total RVU loaded for C9602" in warning.message


def test_distinct_modifier_group_is_left_to_terr_006_not_consolidated() -> None:
    outcome = run(event(line("92920", "LD"), line("92924", "LD", "XS")))
    assert findings(outcome, "PCI-TERR-001") == []
    assert outcome.rejected


def test_territory_finding_names_hierarchy_rows_and_their_confidence() -> None:
    (finding,) = findings(run(event(line("92920", "LD"), line("92924", "LD"))), "PCI-TERR-001")
    assert {(e.table, e.confidence) for e in finding.evidence} == {("hierarchy", "confirmed")}
    assert (finding.carc, finding.rarc, finding.x12_path) == ("97", "M15", "2400/LX01")


def test_a_removed_line_is_not_reported_again_by_a_later_edit() -> None:
    # TERR-001 removes 92920; the PTP pair 92924/92920 (BUND-002) must not report it again.
    outcome = run(event(line("92920", "LD"), line("92924", "LD")))
    assert findings(outcome, "PCI-BUND-002") == []
    assert [c.edit_id for c in outcome.changes] == ["PCI-TERR-001"]


def test_missing_modifier_path_points_at_the_first_modifier_position() -> None:
    (finding,) = findings(run(event(line("92924"))), "PCI-TERR-002")
    assert (finding.carc, finding.rarc, finding.x12_path) == ("4", "N822", "2400/SV101-3")
    hospital = run(event(line("92924"), setting="hospital_outpatient"))
    assert findings(hospital, "PCI-TERR-002")[0].x12_path == "2400/SV202-3"


def _graft_lesion(line_number: int, graft_id: str | None) -> dict[str, object]:
    return lesion(
        "13",
        treatments=("stent",),
        line_number=line_number,
        lesion_id=f"G{line_number}",
        via_graft=True,
        graft_id=graft_id,
    )


@pytest.mark.parametrize(
    ("name", "grafts", "expected_lines"),
    [
        ("two grafts to one territory stay two lines", ("SVG-LAD", "LIMA-LAD"), 2),
        ("one graft named twice is one vessel", ("SVG-LAD", "SVG-LAD"), 1),
        ("no graft named: one territory, one line", (None, None), 1),
    ],
)
def test_each_bypass_graft_is_its_own_vessel_in_the_territory_group(
    name: str, grafts: tuple[str | None, str | None], expected_lines: int
) -> None:
    claim = event(
        line("92937", "LD"),
        line("92937", "LD"),
        proc=procedure(_graft_lesion(1, grafts[0]), _graft_lesion(2, grafts[1])),
    )
    outcome = run(claim)
    assert outcome.event_type == "claim.enriched", name
    assert len(final_lines(outcome)) == expected_lines, name
