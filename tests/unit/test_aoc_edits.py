"""CMS's NCCI Medicare add-on code edit workbook, and PCI-BUND-004 standing on its rows.

The workbook is CMS's own, complete (tests/fixtures/cms-aoc/, 2026 Q2). Damaged copies are
made in tmp_path from its notice, header and real rows, each with one cell changed.
"""

import dataclasses
import re
import shutil
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from service.adapters.cms.aoc import AocEdit, AocWorkbook, aoc_rows, read_aoc
from service.adapters.cms.files import layout_of
from service.adapters.csv_tables import ReferenceDataError
from service.adapters.reference_files import load_reference
from service.domain.engine import evaluate
from service.domain.outcome import Outcome
from service.domain.policy import Policy
from service.domain.reference import AocRow, Provenance, ReferenceData, Ruleset
from tests.builders import event, line
from tests.outcomes import REFERENCE, dispositions, findings, run

WORKBOOK = Path(__file__).resolve().parents[1] / "fixtures" / "cms-aoc" / "AOC_V2026Q2-MCR.xlsx"
SHEET = "AOC_V2026Q2-MCR_xlsx"
OFFICIAL = Path(__file__).resolve().parents[1] / "fixtures" / "cms-official"
BRANCH_ADDONS = ("92921", "92925", "92929", "92934", "92938", "92944")
DIAGNOSTIC = tuple(str(code) for code in range(93454, 93462))


@pytest.fixture(scope="module")
def read() -> tuple[AocWorkbook, list[AocEdit]]:
    return read_aoc(WORKBOOK)


@pytest.fixture(scope="module")
def edits(read: tuple[AocWorkbook, list[AocEdit]]) -> list[AocEdit]:
    return read[1]


def _of(edits: list[AocEdit], addon: str) -> list[AocEdit]:
    return [e for e in edits if e.addon == addon]


# The reader, on CMS's own file ------------------------------------------------------------


def test_every_row_of_the_real_workbook_is_read(
    read: tuple[AocWorkbook, list[AocEdit]],
) -> None:
    workbook, edits = read
    assert len(edits) == 9000
    assert (workbook.sheet, workbook.version) == (SHEET, "2026Q2")
    assert "AOC_V2026Q2-MCR.xlsx, sha256 870a84912f91" in workbook.source


def test_eighty_eight_rows_name_lithotripsy_thrombectomy_brachytherapy_or_ivus(
    edits: list[AocEdit],
) -> None:
    named = {"92972", "92973", "92974", "92978"}
    assert sum(1 for e in edits if e.addon in named or e.primary in named) == 88


def test_the_six_branch_addons_end_on_the_last_day_of_2025(edits: list[AocEdit]) -> None:
    for addon in BRANCH_ADDONS:
        rows = _of(edits, addon)
        assert rows, addon
        assert {e.last_day for e in rows} == {date(2025, 12, 31)}, addon


def test_92930_and_92945_are_primaries_from_2026(edits: list[AocEdit]) -> None:
    for primary in ("92930", "92945"):
        rows = [e for e in edits if e.primary == primary]
        assert {e.addon for e in rows} >= {"92972", "92973", "92974", "92978", "93571"}
        assert {e.effective for e in rows} == {date(2026, 1, 1)}


def test_julian_dates_become_calendar_dates(edits: list[AocEdit]) -> None:
    # Row 7206: 92921 with 92920, in force from 2013091 to 2025365.
    (row,) = [e for e in edits if e.row == 7206]
    assert (row.addon, row.primary) == ("92921", "92920")
    assert (row.effective, row.deleted, row.addon_deleted) == (
        date(2013, 4, 1),
        date(2025, 12, 31),
        date(2025, 12, 31),
    )


def test_diagnostic_catheterisations_are_primaries_of_thrombectomy_and_imaging(
    edits: list[AocEdit],
) -> None:
    for addon in ("92973", "92974", "92978", "93571"):
        assert set(DIAGNOSTIC) <= {e.primary for e in _of(edits, addon)}, addon
    assert {e.primary for e in _of(edits, "92979")} == {"92978"}
    assert {e.primary for e in _of(edits, "93572")} == {"93571"}
    assert "92920" not in {e.primary for e in _of(edits, "C9601")}


def test_the_shipped_2026_table_is_the_workbooks_rows(
    read: tuple[AocWorkbook, list[AocEdit]],
) -> None:
    workbook, edits = read
    ruleset = REFERENCE.rulesets[-1]
    shipped = {
        (r.addon, r.primary, r.edit_type, r.provenance.effective_from)
        for rows in ruleset.aoc.values()
        for r in rows
    }
    expected = {
        (r.addon, r.primary, r.edit_type, r.provenance.effective_from)
        for r in aoc_rows(workbook, edits, {*ruleset.codes, "0913T", "0914T"})
        if (r.provenance.effective_to or date.max) >= ruleset.effective_from
    }
    assert shipped == expected
    assert all(
        "AOC_V2026Q2-MCR.xlsx" in r.provenance.source for rows in ruleset.aoc.values() for r in rows
    )


# Damaged copies -----------------------------------------------------------------------------


def _copy(
    tmp_path: Path, change: tuple[int, int, str | None] | None = None, rows: int = 12
) -> Path:
    """A workbook of the real notice, header and first data rows, with one cell changed
    (row, column, value; 1-based as Excel counts)."""
    source = load_workbook(WORKBOOK, read_only=True)
    values = [list(r) for r in source.worksheets[0].iter_rows(max_row=rows, values_only=True)]
    source.close()
    if change is not None:
        values[change[0] - 1][change[1] - 1] = change[2]
    made = Workbook()
    sheet = made.active
    assert sheet is not None
    sheet.title = SHEET
    for row in values:
        sheet.append(row)
    path = tmp_path / "AOC_V2026Q2-MCR.xlsx"
    made.save(path)
    return path


def test_a_copy_of_the_real_rows_reads_and_is_recognised(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    assert layout_of(path) == "aoc"
    assert len(read_aoc(path)[1]) == 10


def test_a_changed_header_cell_is_refused_naming_sheet_row_and_column(tmp_path: Path) -> None:
    path = _copy(tmp_path, (2, 6, "AOC_Edit_Eff_Date"))
    with pytest.raises(ReferenceDataError, match=rf"sheet '{SHEET}', row 2, column F: header"):
        read_aoc(path)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ((5, 6, "2025366"), "row 5, column F (AOC_Edit_EffDT): '2025366' is not a Julian"),
        ((5, 7, "20250101"), "row 5, column G (AOC_Edit_DelDT): '20250101' is not a Julian"),
        ((4, 1, "4"), "row 4, column A (AOC_Edit_Type): '4' is not edit type 1, 2 or 3"),
        ((5, 4, "CCCCC"), "row 5, column D (Primary_Code): 'CCCCC' is not a HCPCS code"),
        ((3, 4, "0070U"), "row 3, column D (Primary_Code): '0070U': a type 2 row's primary"),
        ((6, 2, "9297"), "row 6, column B (Add-On_Code): '9297' is not a HCPCS code"),
        ((6, 6, None), "row 6, column F (AOC_Edit_EffDT): missing effective date"),
    ],
    ids=[
        "day 366 of 2025",
        "calendar date",
        "edit type",
        "CCCCC on type 1",
        "type 2 primary",
        "short code",
        "no date",
    ],
)
def test_a_bad_cell_is_refused_naming_sheet_row_and_column(
    tmp_path: Path, change: tuple[int, int, str | None], where: str
) -> None:
    path = _copy(tmp_path, change)
    with pytest.raises(
        ReferenceDataError, match=re.escape(f"AOC_V2026Q2-MCR.xlsx, sheet '{SHEET}', {where}")
    ):
        read_aoc(path)


def test_day_366_of_a_leap_year_is_its_last_day(tmp_path: Path) -> None:
    path = _copy(tmp_path, (5, 7, "2024366"))
    (row,) = [e for e in read_aoc(path)[1] if e.row == 5]
    assert row.deleted == date(2024, 12, 31)


def test_a_workbook_of_another_layout_is_not_taken_for_the_aoc(tmp_path: Path) -> None:
    path = _copy(tmp_path, (2, 1, "Column 1"))
    assert layout_of(path) is None


def test_a_zip_that_is_no_workbook_is_not_taken_for_the_aoc(tmp_path: Path) -> None:
    path = tmp_path / "AOC_V2026Q2-MCR.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("AOC_V2026Q2-MCR.txt", "AOC_Edit_Type Add-On_Code")
    assert layout_of(path) is None
    with pytest.raises(ReferenceDataError, match="not an Excel workbook"):
        read_aoc(path)


# The official directory ---------------------------------------------------------------------


def test_the_workbook_in_the_official_directory_replaces_the_shipped_table(
    tmp_path: Path,
) -> None:
    shutil.copy(_copy(tmp_path, (5, 2, "92973")), tmp_path / "official.xlsx")
    (tmp_path / "AOC_V2026Q2-MCR.xlsx").unlink()
    # Row 5 now says: +92973 with 0070U (type 1, from 2018274). Only that row is kept (the
    # others' add-ons are codes the edits do not know). An excerpt: partial, accepted.
    reference = load_reference(official_dir=tmp_path, accept_partial=True)
    ruleset = reference.rulesets[-1]
    assert [(r.addon, r.primary) for r in ruleset.primaries_of("92973", date(2026, 3, 2))] == [
        ("92973", "0070U")
    ]
    assert "official.xlsx" in {s.name for s in ruleset.sources}
    outcome = evaluate(event(line("93458"), line("92973")), reference, Policy())
    assert dispositions(outcome, "PCI-BUND-004") == ["line_rejection"]


# PCI-BUND-004 on the AOC rows -------------------------------------------------------------


def test_thrombectomy_with_only_a_diagnostic_catheterisation_is_accepted() -> None:
    outcome = run(event(line("93458"), line("92973")))
    assert dispositions(outcome, "PCI-BUND-004") == []
    assert outcome.event_type == "claim.enriched"


def test_brachytherapy_with_only_a_diagnostic_catheterisation_is_accepted() -> None:
    assert dispositions(run(event(line("93454"), line("92974"))), "PCI-BUND-004") == []


def test_c9601_with_only_balloon_angioplasty_on_a_2026_hospital_claim_is_rejected() -> None:
    outcome = run(event(line("92920", "LD"), line("C9601", "LD"), setting="hospital_outpatient"))
    (finding,) = findings(outcome, "PCI-BUND-004")
    assert finding.disposition == "line_rejection"
    assert (finding.carc, finding.rarc) == ("107", "N122")
    assert "92928" in finding.message and "92920" not in finding.message
    keys = {e.key for e in finding.evidence}
    assert "C9601/92928" in keys and {e.table for e in finding.evidence} == {"aoc"}
    assert all("AOC_V2026Q2-MCR.xlsx" in e.source for e in finding.evidence)


def test_c9601_with_a_stent_line_is_accepted() -> None:
    outcome = run(event(line("92928", "LD"), line("C9601", "LD"), setting="hospital_outpatient"))
    assert dispositions(outcome, "PCI-BUND-004") == []


def test_ivus_of_an_additional_vessel_without_the_first_is_rejected_naming_it() -> None:
    (finding,) = findings(run(event(line("92924", "LD"), line("92979"))), "PCI-BUND-004")
    assert finding.disposition == "line_rejection"
    assert "needs 92978" in finding.message
    assert [e.key for e in finding.evidence] == ["92979/92978"]


def test_a_2025_branch_addon_needs_a_listed_primary_in_its_own_territory() -> None:
    other = event(line("92924", "RC", date="2025-03-02"), line("92925", "LD", date="2025-03-02"))
    same = event(line("92924", "LD", date="2025-03-02"), line("92925", "LD", date="2025-03-02"))
    assert dispositions(run(other), "PCI-BUND-004") == ["line_rejection"]
    assert dispositions(run(same), "PCI-BUND-004") == []


def _with_aoc(addon: str, rows: tuple[AocRow, ...]) -> ReferenceData:
    def changed(ruleset: Ruleset) -> Ruleset:
        return dataclasses.replace(ruleset, aoc={**ruleset.aoc, addon: rows})

    rulesets = tuple(changed(r) for r in REFERENCE.rulesets)
    return dataclasses.replace(REFERENCE, rulesets=rulesets)


def _row(addon: str, primary: str, edit_type: int) -> AocRow:
    # Made for the test: CMS lists no PCI add-on as type 2 or 3 (0054T is a real type 2).
    source = "test row in the form of a type 2/3 row of AOC_V2026Q2-MCR.xlsx"
    provenance = Provenance(
        "aoc", f"{addon}/{primary}", date(2013, 4, 1), None, source, "confirmed"
    )
    return AocRow(addon, primary, edit_type, provenance)  # type: ignore[arg-type]


def _bund_004(reference: ReferenceData, *lines: dict[str, object]) -> Outcome:
    return evaluate(event(*lines), reference, Policy())


def test_an_addon_whose_primaries_the_mac_defines_is_a_warning() -> None:
    reference = _with_aoc("92972", (_row("92972", "CCCCC", 2),))
    outcome = _bund_004(reference, line("93458"), line("92972"))
    (finding,) = findings(outcome, "PCI-BUND-004")
    assert finding.disposition == "warning"
    assert "MAC decides" in finding.message


def test_a_type_3_addon_stands_with_a_listed_primary_and_is_warned_without_one() -> None:
    reference = _with_aoc("92972", (_row("92972", "92920", 3),))
    with_listed = _bund_004(reference, line("92920", "LD"), line("92972"))
    without = _bund_004(reference, line("93458"), line("92972"))
    assert dispositions(with_listed, "PCI-BUND-004") == []
    assert dispositions(without, "PCI-BUND-004") == ["warning"]


def test_an_addon_with_no_aoc_row_loaded_is_said_not_checked() -> None:
    reference = _with_aoc("92972", ())
    outcome = _bund_004(reference, line("92972"))
    (finding,) = findings(outcome, "PCI-BUND-004")
    assert finding.disposition == "info"
    assert "not checked for 92972" in finding.message


# A cut or damaged workbook in the official directory -----------------------------------------


def _workbook_without(tmp_path: Path, drop: Callable[[int, tuple[object, ...]], bool]) -> Path:
    """The real workbook's rows (notice and header kept) less those `drop` takes."""
    source = load_workbook(WORKBOOK, read_only=True)
    values = [tuple(r) for r in source.worksheets[0].iter_rows(values_only=True)]
    source.close()
    made = Workbook(write_only=True)
    sheet = made.create_sheet(SHEET)
    for number, row in enumerate(values, start=1):
        if number <= 2 or not drop(number, row):
            sheet.append(row)
    path = tmp_path / WORKBOOK.name
    made.save(path)
    return path


def test_the_whole_workbook_in_the_official_directory_is_no_partial_release(
    tmp_path: Path,
) -> None:
    shutil.copy(WORKBOOK, tmp_path / WORKBOOK.name)
    reference = load_reference(official_dir=tmp_path)
    assert reference.partial == ()
    assert all(WORKBOOK.name in o["aoc"] for o in reference.origins.values())


def test_a_workbook_lacking_every_row_of_an_addon_is_refused_naming_it(tmp_path: Path) -> None:
    _workbook_without(tmp_path, lambda _, row: row[1] == "92973")
    with pytest.raises(
        ReferenceDataError, match=r"aoc: AOC_V2026Q2-MCR\.xlsx holds no row for 92973"
    ):
        load_reference(official_dir=tmp_path)
    reference = load_reference(official_dir=tmp_path, accept_partial=True)
    ruleset = reference.rulesets[-1]
    # the shipped rows stay in force for the add-on the workbook lacks, and say so
    assert ruleset.primaries_of("92973", date(2026, 3, 2))
    assert any(" aoc: " in note and "92973" in note for note in reference.partial)


def test_a_workbook_cut_short_is_refused(tmp_path: Path) -> None:
    _workbook_without(tmp_path, lambda number, _: number > 4_000)
    with pytest.raises(ReferenceDataError, match=r"aoc: AOC_V2026Q2-MCR\.xlsx holds no row for"):
        load_reference(official_dir=tmp_path)


@pytest.mark.parametrize("damage", ["junk", "truncated"])
def test_a_file_named_like_the_aoc_workbook_that_is_no_workbook_is_refused(
    tmp_path: Path, damage: str
) -> None:
    shutil.copy(OFFICIAL / "GPCI2026.csv", tmp_path / "GPCI2026.csv")  # a valid file beside it
    named = tmp_path / "AOC_V2026Q2-MCR.xlsx"
    raw = WORKBOOK.read_bytes()
    named.write_bytes(b"not a workbook\n" if damage == "junk" else raw[: len(raw) // 2])
    with pytest.raises(ReferenceDataError, match=r"AOC_V2026Q2-MCR\.xlsx: .*not a valid \.xlsx"):
        load_reference(official_dir=tmp_path)
