"""Reference tables: shipped defaults, official CMS layouts, and errors that name the place."""

import csv
from datetime import date
from pathlib import Path

import pytest

from service.adapters.cms.files import layout_of
from service.adapters.csv_tables import ReferenceDataError
from service.adapters.reference_files import SHIPPED_REFERENCE_DIR, load_reference
from service.domain.engine import evaluate
from service.domain.policy import Policy
from tests.builders import event, line
from tests.outcomes import REFERENCE, dispositions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MARCH = date(2026, 3, 2)


def test_every_shipped_row_is_effective_dated_with_source_and_confidence() -> None:
    """Tables in this project's layout carry both on every row; files shipped in CMS's own
    layout (GPCI, ZIP5) get them from the file: its release, dates and sha256."""
    tables = sorted(p for p in SHIPPED_REFERENCE_DIR.glob("*/*.csv") if layout_of(p) is None)
    assert tables
    for table in tables:
        with table.open() as handle:
            for row in csv.DictReader(handle):
                assert row["source"].strip(), f"{table}: row without source"
                assert row["confidence"] in {
                    "confirmed",
                    "secondary",
                    "guide",
                    "derived",
                    "provisional",
                }, table
                if "Effective Date" not in row:
                    assert row["effective_from"].strip(), f"{table}: row without effective_from"


def test_rulesets_by_service_date() -> None:
    assert REFERENCE.ruleset_for(date(2025, 12, 31)).version == "pci-2025"  # type: ignore[union-attr]
    assert REFERENCE.ruleset_for(date(2026, 1, 1)).version == "pci-2026.1"  # type: ignore[union-attr]
    assert REFERENCE.ruleset_for(date(2024, 12, 31)) is None


def test_official_layout_files_shipped_as_published_carry_their_release() -> None:
    ruleset = REFERENCE.ruleset_for(date(2025, 6, 10))
    assert ruleset is not None
    found = ruleset.locality_of("35203", date(2025, 6, 10))
    assert found is not None
    zip_row, gpci = found
    assert gpci is not None
    assert "GPCI2025.csv, sha256" in gpci.provenance.source
    assert "ZIP5_OCT2025.txt, sha256" in zip_row.provenance.source
    assert (gpci.provenance.effective_from, gpci.provenance.effective_to) == (
        date(2025, 1, 1),
        date(2025, 12, 31),
    )
    march = REFERENCE.ruleset_for(MARCH)
    assert march is not None
    found_2026 = march.locality_of("35203", MARCH)
    assert found_2026 is not None
    zip_2026, gpci_2026 = found_2026
    assert gpci_2026 is not None and "GPCI2026.csv, sha256" in gpci_2026.provenance.source
    # no 2026 ZIP5 file is shipped: October 2025's stands for 2026, derived, and says so
    assert zip_2026.provenance.confidence == "derived"
    assert "ZIP5_OCT2025.txt" in zip_2026.provenance.source


def test_2026_branch_add_ons_carry_the_confidence_of_their_source() -> None:
    ruleset = REFERENCE.ruleset_for(MARCH)
    assert ruleset is not None
    rows = {code: ruleset.code(code, MARCH) for code in ("92921", "92934", "C9601")}
    confidences = {code: row.provenance.confidence for code, row in rows.items() if row}
    assert confidences == {"92921": "secondary", "92934": "guide", "C9601": "confirmed"}
    deleted = {code: row.deleted for code, row in rows.items() if row}
    # The CPT branch add-ons are gone in 2026; the OPPS C-code ones are still listed (N1).
    assert deleted == {"92921": True, "92934": True, "C9601": False}


def test_shipped_ptp_sample_has_no_equal_rank_and_no_graft_rows() -> None:
    ruleset = REFERENCE.ruleset_for(MARCH)
    assert ruleset is not None
    assert ruleset.ptp("92933", "92928", MARCH, "professional") is not None
    assert ruleset.ptp("92933", "92941", MARCH, "professional") is None
    assert ruleset.ptp("92933", "92937", MARCH, "professional") is None


def test_official_cms_files_replace_the_shipped_samples() -> None:
    official = load_reference(official_dir=FIXTURES / "cms")
    ruleset = official.ruleset_for(MARCH)
    assert ruleset is not None
    mue = ruleset.mue("92928", MARCH, "professional")
    assert mue is not None and (mue.value, mue.adjudication_indicator) == (3, 3)
    assert mue.provenance.confidence == "confirmed"
    assert "MCR_MUE_PractitionerServices" in mue.provenance.source
    assert ruleset.ptp("92943", "92920", MARCH, "professional") is None  # deleted 2025-12-31
    assert ruleset.ptp("92943", "92920", date(2025, 12, 31), "professional") is not None
    assert official.fingerprint != REFERENCE.fingerprint


@pytest.mark.parametrize(
    ("name", "lines", "edit_id", "expected"),
    [
        (
            "indicator 0 removes column 2",
            [line("92928", "LD"), line("92972")],
            "PCI-BUND-002",
            ["correction"],
        ),
        ("indicator 9 is no edit", [line("92924", "LD"), line("92978")], "PCI-BUND-002", []),
        (
            "MAI 1 is per line",
            [line("93459"), line("93571", units=2)],
            "PCI-BUND-003",
            ["line_rejection"],
        ),
        (
            "MAI 2 is per date",
            [line("92924", "LD"), line("92972"), line("92972")],
            "PCI-BUND-003",
            ["line_rejection"],
        ),
    ],
)
def test_edits_on_official_tables(
    name: str, lines: list[dict[str, object]], edit_id: str, expected: list[str]
) -> None:
    official = load_reference(official_dir=FIXTURES / "cms")
    outcome = evaluate(event(*lines), official, Policy())
    assert [d for d in dispositions(outcome, edit_id) if d != "info"] == expected


def test_a_bad_official_file_fails_naming_file_line_and_column() -> None:
    with pytest.raises(ReferenceDataError, match=r"mue_bad\.csv:2: column 'Practitioner"):
        load_reference(official_dir=FIXTURES / "cms_bad")


def test_a_bad_shipped_table_fails_naming_file_line_and_column(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "reference"
    shutil.copytree(SHIPPED_REFERENCE_DIR, root)
    table = root / "pci-2026.1" / "rvu.csv"
    table.write_text(table.read_text().replace("9.88", "nine"))
    with pytest.raises(ReferenceDataError, match=r"rvu\.csv:2: column 'work_rvu'"):
        load_reference(root)


def test_an_rvu_row_with_a_total_but_no_work_rvu_is_refused(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "reference"
    shutil.copytree(SHIPPED_REFERENCE_DIR, root)
    table = root / "pci-2026.1" / "rvu.csv"
    table.write_text(table.read_text().replace(",9.88,", ",,", 1))
    with pytest.raises(ReferenceDataError, match=r"rvu\.csv:2: column 'work_rvu'"):
        load_reference(root)


def test_a_directory_with_no_known_layout_stops_start_up_naming_its_files(
    tmp_path: Path,
) -> None:
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n")
    (tmp_path / "readme.pdf").write_bytes(b"%PDF")
    with pytest.raises(ReferenceDataError, match=r"not recognised: notes\.csv, readme\.pdf"):
        load_reference(official_dir=tmp_path)


def test_an_empty_official_directory_is_an_error_not_a_silent_fallback(tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="empty"):
        load_reference(official_dir=tmp_path)


def test_files_of_no_known_layout_beside_official_ones_are_named(tmp_path: Path) -> None:
    for official in (FIXTURES / "cms").iterdir():
        (tmp_path / official.name).write_bytes(official.read_bytes())
    (tmp_path / "notes.xlsx").write_bytes(b"PK")
    assert load_reference(official_dir=tmp_path).ignored_files == ("notes.xlsx",)


PTP_LINE = "92924\t92978\t\t20250101\t*\t9\tMisuse of column two code with column one code"


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (PTP_LINE.replace("20250101", "*"), "column 'Effective Date': not a date: '*'"),
        (PTP_LINE.replace("92924", "", 1), "column 'Column 1': '' is not a HCPCS code"),
        (PTP_LINE.replace("92924", "NOT-A-CODE", 1), "column 'Column 1': 'NOT-A-CODE'"),
        (PTP_LINE.replace("\t9\t", "\t7\t"), "column 'Modifier': '7' is not 0, 1 or 9"),
        (PTP_LINE.replace("Misuse", '"Misuse'), "not valid CSV"),
    ],
    ids=["star-date", "empty-column-1", "not-a-code", "indicator", "open-quote"],
)
def test_a_damaged_ptp_row_stops_start_up_naming_file_line_and_column(
    tmp_path: Path, damage: str, named: str
) -> None:
    """The first release skipped an empty Column 1, accepted NOT-A-CODE, raised a bare
    AssertionError for `*`, and let an open quote swallow the rest of the file."""
    original = (FIXTURES / "cms" / "ccipra-v321r0-f1.txt").read_text()
    assert PTP_LINE in original
    damaged = tmp_path / "ccipra-v321r0-f1.txt"
    damaged.write_text(original.replace(PTP_LINE, damage) + "92928\t92920\t\t20250101\t*\t1\tx\n")
    line = original.splitlines().index(PTP_LINE) + 1
    with pytest.raises(ReferenceDataError) as refused:
        load_reference(official_dir=tmp_path)
    assert f"ccipra-v321r0-f1.txt:{line}" in str(refused.value) or named == "not valid CSV"
    assert named in str(refused.value)


def test_only_ptp_pairs_with_a_code_the_edits_know_are_kept(tmp_path: Path) -> None:
    original = (FIXTURES / "cms" / "ccipra-v321r0-f1.txt").read_text()
    extra = "99213\t36000\t\t20250101\t*\t1\tStandards of medical / surgical practice\n"
    (tmp_path / "ccipra-v321r0-f1.txt").write_text(original + extra)
    ruleset = load_reference(official_dir=tmp_path).ruleset_for(MARCH)
    assert ruleset is not None
    assert ("99213", "36000") not in ruleset.ptp_practitioner
    assert ("92924", "92978") in ruleset.ptp_practitioner


def test_two_mue_files_of_one_kind_are_refused_naming_both(tmp_path: Path) -> None:
    mue = FIXTURES / "cms" / "MCR_MUE_PractitionerServices_Eff_2026-01-01.csv"
    (tmp_path / mue.name).write_bytes(mue.read_bytes())
    (tmp_path / "MUE-copy.csv").write_bytes(mue.read_bytes())
    with pytest.raises(
        ReferenceDataError, match=r"MCR_MUE_.*and MUE-copy\.csv|MUE-copy\.csv and MCR"
    ):
        load_reference(official_dir=tmp_path)
