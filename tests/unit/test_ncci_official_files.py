"""CMS's NCCI PTP and MUE files as CMS publishes them (tests/fixtures/cms: unmodified
excerpts of the real files), read through `load_reference` and the command line: the rows
read are the file's, a damaged copy is refused naming file and line, and a release that
lacks codes the shipped tables have loads only when the operator accepts a partial one."""

import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from service.adapters.csv_tables import ReferenceDataError
from service.adapters.ncci_tables import official_mue, official_ptp
from service.adapters.reference_files import load_reference
from service.bootstrap import build_processor
from service.domain.engine import evaluate
from service.domain.policy import Policy
from service.entrypoints.cli import main
from tests.builders import event, line
from tests.outcomes import findings

NCCI = Path(__file__).resolve().parents[1] / "fixtures" / "cms"
PTP = NCCI / "ccipra-v322r0-f1.excerpt.txt"
MUE = NCCI / "MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv"
MARCH, AUGUST = date(2026, 3, 2), date(2026, 8, 3)
# A pair of the shipped reference/pci-2025/ptp_practitioner.csv, written in CMS's layout:
# a test-made line (the real excerpt holds no PCI pair), not a CMS fact.
TEST_MADE_PTP_LINE = (
    "92928\t92920\t\t20250101\t*\t1\tMost extensive procedure (one base code per coronary "
    "territory)\r\n"
)
# 92920's row of the shipped reference/pci-2026.1/mue_practitioner.csv, in CMS's layout:
# test-made as well.
TEST_MADE_MUE_LINE = "92920,3,3 Date of Service Edit: Clinical,Anatomic consideration\n"


def _copy(source: Path, directory: Path, name: str | None = None, extra: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / (name or source.name)
    target.write_bytes(source.read_bytes() + extra.encode())
    return target


def test_the_real_ptp_file_is_read_with_its_four_line_header() -> None:
    rows = official_ptp(PTP)
    assert len(rows) == 18  # 24 lines: notice, title, the header's four lines, 18 rows
    first, last = rows[0], rows[-1]
    assert (first.column_1, first.column_2, first.modifier_indicator) == ("0001A", "0591T", "1")
    assert (first.provenance.effective_from, first.provenance.effective_to) == (
        date(2022, 1, 1),
        date(2023, 12, 31),
    )
    assert (last.column_1, last.column_2, last.provenance.effective_to) == ("0001U", "81161", None)
    indicator_9 = next(r for r in rows if r.column_2 == "90473")
    assert indicator_9.modifier_indicator == "9"
    assert "ccipra-v322r0-f1.excerpt.txt" in first.provenance.source


def test_the_real_mue_file_is_read_across_the_line_break_in_its_header_cell() -> None:
    mue = official_mue(MUE)
    assert mue.setting == "practitioner"
    assert (mue.effective_from, mue.dated_by) == (date(2026, 7, 1), "its name")
    assert len(mue.rows) == 13
    by_code = {row.code: row for row in mue.rows}
    assert (by_code["0001U"].value, by_code["0001U"].adjudication_indicator) == (1, 2)
    assert (by_code["0009U"].value, by_code["0009U"].adjudication_indicator) == (2, 3)
    assert (by_code["0010U"].value, by_code["0010U"].adjudication_indicator) == (2, 3)


def test_an_outpatient_hospital_mue_file_is_told_by_its_values_column(tmp_path: Path) -> None:
    text = MUE.read_text().replace(
        "Practitioner Services MUE Values", "Outpatient Hospital Services MUE Values"
    )
    outpatient = tmp_path / "MCR_MUE_OutpatientHospitalServices_Eff_07-01-2026.csv"
    outpatient.write_text(text)
    assert official_mue(outpatient).setting == "outpatient"


def test_the_real_excerpts_are_refused_without_the_partial_setting(tmp_path: Path) -> None:
    _copy(PTP, tmp_path)
    with pytest.raises(ReferenceDataError) as refused:
        load_reference(official_dir=tmp_path)
    message = str(refused.value)
    assert "ccipra-v322r0-f1.excerpt.txt holds no row for 92920" in message
    assert "CLAIM_EDIT_ACCEPT_PARTIAL_REFERENCE" in message


def test_the_real_excerpts_load_as_a_partial_release_keeping_shipped_rows(
    tmp_path: Path,
) -> None:
    _copy(PTP, tmp_path)
    _copy(MUE, tmp_path)
    reference = load_reference(official_dir=tmp_path, accept_partial=True)
    ruleset = reference.ruleset_for(AUGUST)
    assert ruleset is not None
    kept = ruleset.ptp("92928", "92920", AUGUST, "professional")
    assert kept is not None and kept.provenance.confidence == "derived"  # shipped
    shipped_mue = ruleset.mue("92920", AUGUST, "professional")
    assert shipped_mue is not None and shipped_mue.provenance.confidence == "provisional"
    official = ruleset.mue("0009U", AUGUST, "professional")
    assert official is not None and official.value == 2
    assert ruleset.mue("0009U", MARCH, "professional") is None  # before its effective date
    assert any("mue_practitioner" in note and "92920" in note for note in reference.partial)
    origins = reference.origins["pci-2026.1"]
    assert origins["ptp_practitioner"].startswith("ccipra-v322r0-f1.excerpt.txt")
    assert origins["ptp_outpatient"].startswith("shipped")


def test_reference_show_and_check_load_the_real_excerpts_with_the_partial_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy(PTP, tmp_path)
    _copy(MUE, tmp_path)
    assert main(["reference", "show", "--reference-dir", str(tmp_path)]) == 2
    assert "CLAIM_EDIT_ACCEPT_PARTIAL_REFERENCE" in capsys.readouterr().err
    shown_with = ["reference", "show", "--reference-dir", str(tmp_path)]
    assert main([*shown_with, "--accept-partial-reference", "--as-of", "2026-08-03"]) == 0
    shown = capsys.readouterr().out
    assert "ccipra-v322r0-f1.excerpt.txt" in shown and "MCR_MUE_Pract" in shown
    assert "partial release accepted" in shown and "hospital" in shown
    monkeypatch.setenv("CLAIM_EDIT_ACCEPT_PARTIAL_REFERENCE", "true")
    assert main(["reference", "show", "--reference-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    monkeypatch.delenv("CLAIM_EDIT_ACCEPT_PARTIAL_REFERENCE")
    claims = tmp_path.parent / "claims.jsonl"
    claims.write_text(event(line("92928", "LD"), line("92920", "LD", n=2)).model_dump_json())
    check = ["check", "--reference-dir", str(tmp_path), str(claims)]
    assert main(check) == 2
    assert main([*check, "--accept-partial-reference"]) == 0
    assert "partial release" in capsys.readouterr().err


def test_a_pci_bundling_finding_names_the_cms_ptp_file_it_stands_on(tmp_path: Path) -> None:
    _copy(PTP, tmp_path, extra=TEST_MADE_PTP_LINE)
    reference = load_reference(official_dir=tmp_path, accept_partial=True)
    claim = event(line("92928", "LD"), line("92920", "LC", n=2))
    found = findings(evaluate(claim, reference, Policy()), "PCI-BUND-002")
    assert found
    assert "ccipra-v322r0-f1.excerpt.txt" in found[0].evidence[0].source
    assert found[0].evidence[0].confidence == "confirmed"
    shipped = findings(evaluate(claim, load_reference(), Policy()), "PCI-BUND-002")
    assert shipped and shipped[0].evidence[0].confidence == "derived"


def test_a_hospital_claim_keeps_the_shipped_pairs_when_no_hospital_file_is_loaded(
    tmp_path: Path,
) -> None:
    _copy(PTP, tmp_path, extra=TEST_MADE_PTP_LINE.replace("\t1\t", "\t0\t"))
    reference = load_reference(official_dir=tmp_path, accept_partial=True)
    ruleset = reference.ruleset_for(MARCH)
    assert ruleset is not None
    professional = ruleset.ptp("92928", "92920", MARCH, "professional")
    hospital = ruleset.ptp("92928", "92920", MARCH, "hospital_outpatient")
    assert professional is not None and professional.modifier_indicator == "0"
    assert hospital is not None and hospital.provenance.confidence == "derived"


def test_a_hospital_ptp_file_is_told_by_cms_name_and_applied_to_hospital_claims(
    tmp_path: Path,
) -> None:
    _copy(PTP, tmp_path, "ccioph-v322r0-f1.txt", extra=TEST_MADE_PTP_LINE.replace("\t1\t", "\t0\t"))
    reference = load_reference(official_dir=tmp_path, accept_partial=True)
    ruleset = reference.ruleset_for(MARCH)
    assert ruleset is not None
    hospital = ruleset.ptp("92928", "92920", MARCH, "hospital_outpatient")
    professional = ruleset.ptp("92928", "92920", MARCH, "professional")
    assert hospital is not None and hospital.modifier_indicator == "0"
    assert professional is not None and professional.provenance.confidence == "derived"


def test_a_ptp_file_neither_content_nor_name_places_is_refused(tmp_path: Path) -> None:
    _copy(PTP, tmp_path, "ptp-edits.txt")
    with pytest.raises(ReferenceDataError, match=r"ptp-edits\.txt: .*practitioner or the hosp"):
        load_reference(official_dir=tmp_path, accept_partial=True)


def test_all_files_of_a_release_are_read_and_a_missing_one_is_named(tmp_path: Path) -> None:
    _copy(PTP, tmp_path, "ccipra-v322r0-f1.txt")
    _copy(PTP, tmp_path, "ccipra-v322r0-f2.txt", extra=TEST_MADE_PTP_LINE)
    reference = load_reference(official_dir=tmp_path, accept_partial=True)
    assert reference.origins["pci-2025"]["ptp_practitioner"].startswith(
        "ccipra-v322r0-f1.txt, ccipra-v322r0-f2.txt"
    )
    pair = reference.rulesets[0].ptp("92928", "92920", date(2025, 6, 2), "professional")
    assert pair is not None and "ccipra-v322r0-f2.txt" in pair.provenance.source
    (tmp_path / "ccipra-v322r0-f1.txt").rename(tmp_path / "ccipra-v322r0-f3.txt")
    with pytest.raises(ReferenceDataError, match="file f1 of the release is missing"):
        load_reference(official_dir=tmp_path, accept_partial=True)
    (tmp_path / "ccipra-v322r0-f3.txt").rename(tmp_path / "ccipra-v321r0-f1.txt")
    with pytest.raises(ReferenceDataError, match=r"2 releases \(v321r0, v322r0\)"):
        load_reference(official_dir=tmp_path, accept_partial=True)


def test_an_mue_row_is_in_force_from_the_file_date_and_findings_name_the_file(
    tmp_path: Path,
) -> None:
    _copy(MUE, tmp_path, extra=TEST_MADE_MUE_LINE.replace(",3,3 ", ",1,3 "))
    reference = load_reference(official_dir=tmp_path, accept_partial=True)
    claim = event(line("92920", "LD", units=2, date="2026-08-03"))
    found = findings(evaluate(claim, reference, Policy()), "PCI-BUND-003")
    assert found and "MCR_MUE_PractitionerServices" in found[0].evidence[0].source
    before = event(line("92920", "LD", units=2, date="2026-03-02"))
    assert not findings(evaluate(before, reference, Policy()), "PCI-BUND-003")


def _damaged(tmp_path: Path, source: Path, damage: str) -> tuple[Path, int]:
    """A damaged copy of a real file, and the line the error must name."""
    data = source.read_bytes()
    lines = data.splitlines(keepends=True)
    if damage == "cut mid-line":
        cut = data[: len(data) - len(lines[-1]) // 2]
        line = len(lines)
    elif damage == "a line cut short":
        line = len(lines) - 1
        lines[line - 1] = lines[line - 1][:14] + lines[line - 1][-2:].lstrip(b"\t,")
        cut = b"".join(lines)
    else:  # header cell changed
        old, new = (
            (b"Effective", b"Efective") if source == PTP else (b"Adjudication", b"Ajudication")
        )
        line = next(n for n, text in enumerate(lines, start=1) if old in text)
        if source == MUE:
            line -= 1  # the header record begins on the line before (the quoted cell)
        cut = data.replace(old, new, 1)
    damaged = tmp_path / source.name
    damaged.write_bytes(cut)
    return damaged, line


@pytest.mark.parametrize("source", [PTP, MUE], ids=["ptp", "mue"])
@pytest.mark.parametrize("damage", ["cut mid-line", "a line cut short", "header cell changed"])
def test_a_damaged_copy_of_a_real_ncci_file_is_refused_naming_file_and_line(
    tmp_path: Path, source: Path, damage: str
) -> None:
    damaged, line = _damaged(tmp_path, source, damage)
    with pytest.raises(ReferenceDataError) as refused:
        load_reference(official_dir=tmp_path, accept_partial=True)
    assert f"{damaged}:{line}:" in str(refused.value)


def test_a_copy_cut_at_a_line_boundary_is_refused_for_the_codes_it_lacks(tmp_path: Path) -> None:
    lines = (PTP.read_bytes() + TEST_MADE_PTP_LINE.encode()).splitlines(keepends=True)
    (tmp_path / PTP.name).write_bytes(b"".join(lines[:-1]))  # the PCI pair cut off
    with pytest.raises(ReferenceDataError, match="holds no row for 92920, 92924, 92928"):
        load_reference(official_dir=tmp_path)


def test_a_file_named_like_a_cms_ptp_file_whose_header_is_unrecognisable_is_refused(
    tmp_path: Path,
) -> None:
    """It used to be ignored as "no known layout", and the shipped pairs silently used."""
    text = PTP.read_bytes()
    for old in (b"Column1/Column2", b"Column 1", b"Column 2", b"PTP Edit Rationale"):
        text = text.replace(old, b"x")
    (tmp_path / PTP.name).write_bytes(text)
    _copy(MUE, tmp_path)
    with pytest.raises(ReferenceDataError, match=r"ccipra-v322r0-f1\.excerpt\.txt: named like"):
        load_reference(official_dir=tmp_path, accept_partial=True)


def test_two_mue_files_of_one_setting_and_date_are_refused_naming_both(tmp_path: Path) -> None:
    _copy(MUE, tmp_path)
    _copy(MUE, tmp_path, "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv")
    with pytest.raises(ReferenceDataError, match=r"Eff_07-01-2026\.csv and MCR_MUE_.*excerpt"):
        load_reference(official_dir=tmp_path, accept_partial=True)


def test_the_synthetic_ptp_set_opens_with_cms_notice_title_and_four_line_header(
    tmp_path: Path,
) -> None:
    script = Path(__file__).resolve().parents[2] / "scripts" / "synthetic_ptp.py"
    subprocess.run(
        [sys.executable, str(script), str(tmp_path), "--pairs", "4000", "--files", "2"],
        check=True,
        capture_output=True,
    )
    written = (tmp_path / "ccipra-v321r0-f1.txt").read_bytes().splitlines(keepends=True)
    assert written[:6] == PTP.read_bytes().splitlines(keepends=True)[:6]
    reference = load_reference(official_dir=tmp_path, accept_partial=True)
    assert reference.origins["pci-2025"]["ptp_practitioner"].startswith(
        "ccipra-v321r0-f1.txt, ccipra-v321r0-f2.txt"
    )


def test_serve_logs_a_warning_naming_the_codes_a_partial_release_left_shipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.config import EngineSettings
    from service.entrypoints.serve import warn_about_reference
    from service.observability.logging import configure_logging

    _copy(MUE, tmp_path)
    monkeypatch.setenv("CLAIM_EDIT_REFERENCE_DIR", str(tmp_path))
    monkeypatch.setenv("CLAIM_EDIT_ACCEPT_PARTIAL_REFERENCE", "true")
    engine = EngineSettings()
    reference = build_processor(engine).reference
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    warn_about_reference(reference, engine)
    (logged,) = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert logged["level"] == "warning"
    assert "mue_practitioner" in logged["table"] and "92920, 92924" in logged["table"]
    assert logged["setting"] == "CLAIM_EDIT_ACCEPT_PARTIAL_REFERENCE"


def test_a_dme_supplier_mue_file_is_refused_naming_its_header_line(tmp_path: Path) -> None:
    text = MUE.read_text().replace(
        "Practitioner Services MUE Values", "DME Supplier Services MUE Values"
    )
    (tmp_path / "MCR_MUE_DMESupplierServices_Eff_07-01-2026.csv").write_text(text)
    with pytest.raises(ReferenceDataError, match=r"DMESupplier.*\.csv:8: header column 2"):
        load_reference(official_dir=tmp_path, accept_partial=True)


REAL_PTP_LINE = "0001U\t0030U\t\t20180701\t*\t1\tMisuse of Column Two code with Column One code"


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (REAL_PTP_LINE.replace("20180701", "*"), "column 'Effective Date': not a date: '*'"),
        (REAL_PTP_LINE.replace("0001U", "", 1), "column 'Column 1': '' is not a HCPCS code"),
        (REAL_PTP_LINE.replace("0001U", "NOT-A-CODE", 1), "column 'Column 1': 'NOT-A-CODE'"),
        (REAL_PTP_LINE.replace("\t1\t", "\t7\t"), "column 'Modifier': '7' is not 0, 1 or 9"),
        (REAL_PTP_LINE.replace("Misuse", '"Misuse'), "not valid CSV"),
    ],
    ids=["star-date", "empty-column-1", "not-a-code", "indicator", "open-quote"],
)
def test_a_damaged_row_of_the_real_ptp_file_stops_start_up_naming_file_line_and_column(
    tmp_path: Path, damage: str, named: str
) -> None:
    """The first release skipped an empty Column 1, accepted NOT-A-CODE, raised a bare
    AssertionError for `*`, and let an open quote swallow the rest of the file."""
    original = PTP.read_bytes().decode()  # CRLF kept
    assert REAL_PTP_LINE in original
    damaged = tmp_path / PTP.name
    damaged.write_bytes(original.replace(REAL_PTP_LINE, damage).encode())
    line = original.splitlines().index(REAL_PTP_LINE) + 1
    with pytest.raises(ReferenceDataError) as refused:
        load_reference(official_dir=tmp_path, accept_partial=True)
    assert f"{damaged}:{line}" in str(refused.value) or named == "not valid CSV"
    assert named in str(refused.value)


def test_each_mue_file_is_in_force_until_the_next_file_of_its_setting_begins(
    tmp_path: Path,
) -> None:
    """Two quarters' files (the April one is the real file under a test-made April name)."""
    _copy(MUE, tmp_path)
    _copy(MUE, tmp_path, "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv")
    ruleset = load_reference(official_dir=tmp_path, accept_partial=True).ruleset_for(MARCH)
    assert ruleset is not None
    may, august = date(2026, 5, 4), date(2026, 8, 3)
    april_row = ruleset.mue("0009U", may, "professional")
    july_row = ruleset.mue("0009U", august, "professional")
    assert april_row is not None and "Eff_04-01-2026" in april_row.provenance.source
    assert april_row.provenance.effective_to == date(2026, 6, 30)
    assert july_row is not None and "Eff_07-01-2026" in july_row.provenance.source
