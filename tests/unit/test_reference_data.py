"""Reference tables: shipped defaults, official CMS layouts, and errors that name the place."""

import csv
from datetime import date
from pathlib import Path

import pytest

from service.adapters.cms.files import layout_of
from service.adapters.csv_tables import ReferenceDataError
from service.adapters.reference_files import SHIPPED_REFERENCE_DIR, load_reference
from tests.outcomes import REFERENCE

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
    for official in (FIXTURES / "cms").glob("*.excerpt.*"):
        (tmp_path / official.name).write_bytes(official.read_bytes())
    (tmp_path / "notes.xlsx").write_bytes(b"PK")
    loaded = load_reference(official_dir=tmp_path, accept_partial=True)  # excerpts
    assert loaded.ignored_files == ("notes.xlsx",)
