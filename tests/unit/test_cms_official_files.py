"""The official CMS payment files read in their published layouts, from excerpts of the real
files (tests/fixtures/cms-official): the facts CMS publishes come out as CMS published them,
and a damaged file is refused naming file, line and column."""

import gzip
import hashlib
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from service.adapters.cms.asc import read_addendum_aa, read_addendum_b, read_addendum_ff
from service.adapters.cms.pfs import read_gpci, read_relative_values, read_zip5
from service.adapters.cms.tables import conversion_factor_rows
from service.adapters.csv_tables import ReferenceDataError
from service.adapters.reference_files import load_reference
from service.domain.engine import evaluate
from service.domain.policy import Policy
from tests.builders import event, line

OFFICIAL = Path(__file__).resolve().parents[1] / "fixtures" / "cms-official"
REFERENCE = Path(__file__).resolve().parents[2] / "reference"
SHIPPED_2025 = REFERENCE / "pci-2025"
PCI_BRANCH_ADD_ONS = {"92921", "92925", "92929", "92934", "92938", "92944"}


def test_the_2025_relative_values_give_92924_its_published_rvus_and_indicators() -> None:
    release, rows = read_relative_values(OFFICIAL / "PPRRVU2025_Oct.csv")
    by_code = {row.code: row for row in rows}
    atherectomy = by_code["92924"]
    assert (atherectomy.status, atherectomy.work, atherectomy.facility_total) == (
        "A",
        Decimal("11.74"),
        Decimal("18.45"),
    )
    assert (atherectomy.facility_pe, atherectomy.malpractice) == (Decimal("4.07"), Decimal("2.64"))
    assert atherectomy.nonfacility_pe is None  # NA: not paid in an office
    assert (atherectomy.multiple_procedure, atherectomy.global_days) == ("2", "000")
    assert atherectomy.conversion_factor == Decimal("32.3465")
    assert (release.effective_from, release.effective_to) == (date(2025, 1, 1), date(2025, 12, 31))
    assert "2025 National Physician Fee Schedule Relative Value File October Release" in (
        release.source
    )


def test_the_2025_branch_add_ons_are_bundled_and_component_rows_are_read_with_their_pctc() -> None:
    _, rows = read_relative_values(OFFICIAL / "PPRRVU2025_Oct.csv")
    assert {row.code for row in rows if row.status == "B"} >= PCI_BRANCH_ADD_ONS
    # 92978: global carrier-priced (C), professional component active (A), technical C
    ivus = [(row.modifier, row.status, row.pctc_indicator) for row in rows if row.code == "92978"]
    assert ivus == [("", "C", "1"), ("26", "A", "1"), ("TC", "C", "1")]
    (professional,) = [row for row in rows if (row.code, row.modifier) == ("93458", "26")]
    assert (professional.work, professional.facility_pe, professional.malpractice) == (
        Decimal("5.60"),
        Decimal("1.94"),
        Decimal("1.04"),
    )
    assert (professional.facility_total, professional.multiple_procedure) == (Decimal("8.58"), "2")
    assert {row.pctc_indicator for row in rows if row.code == "92924"} == {"0"}


PFS_2026 = "PPRRVU2026_Jul_nonQPP.excerpt.redacted.csv"


def test_the_2026_layout_with_its_pric_ind_column_is_read_by_its_header_cells() -> None:
    release, rows = read_relative_values(OFFICIAL / PFS_2026)
    assert (release.effective_from, release.effective_to) == (date(2026, 1, 1), date(2026, 12, 31))
    assert "2026 National Physician Fee Schedule Relative Value File July Release" in (
        release.source
    )
    assert len(rows) == 8  # every data row of the excerpt
    first = rows[0]
    # 0001F,,REDACTED,I,,0.00,...,9 (PCTC),XXX,...,9 (MULT PROC),...,9 (PRIC IND),,33.4009
    assert (first.code, first.status, first.pctc_indicator, first.global_days) == (
        "0001F",
        "I",
        "9",
        "XXX",
    )
    assert (first.multiple_procedure, first.conversion_factor) == ("9", Decimal("33.4009"))


def test_a_2026_file_gives_the_conversion_factor_of_the_track_its_name_says() -> None:
    release, rows = read_relative_values(OFFICIAL / PFS_2026)
    factors = conversion_factor_rows(release, rows)
    assert [(f.participation, f.conversion_factor) for f in factors] == [
        ("non_qualifying_apm", Decimal("33.4009"))
    ]
    release_2025, rows_2025 = read_relative_values(OFFICIAL / "PPRRVU2025_Oct.csv")
    assert {f.participation for f in conversion_factor_rows(release_2025, rows_2025)} == {
        "non_qualifying_apm",
        "qualifying_apm",
    }


def _qpp_twin(directory: Path, factor: str = "33.5675") -> Path:
    """The _QPP twin as CMS publishes it beside the _nonQPP file: the same rows, its own
    conversion factor (33.5675, the CY2026 qualifying APM factor)."""
    text = (OFFICIAL / PFS_2026).read_text(encoding="utf-8")
    twin = directory / PFS_2026.replace("_nonQPP", "_QPP")
    twin.write_text(text.replace(",33.4009,", f",{factor},"), encoding="utf-8")
    return twin


def test_the_qpp_and_non_qpp_twins_load_together_each_giving_its_own_factor(
    tmp_path: Path,
) -> None:
    shutil.copy(OFFICIAL / PFS_2026, tmp_path / PFS_2026)
    _qpp_twin(tmp_path)
    # the excerpts hold no PCI row: refused as a partial release unless accepted
    with pytest.raises(ReferenceDataError, match="hold no row for"):
        load_reference(official_dir=tmp_path)
    reference = load_reference(official_dir=tmp_path, accept_partial=True)
    march = date(2026, 3, 2)
    ruleset = reference.ruleset_for(march)
    assert ruleset is not None
    non_qualifying = ruleset.conversion_factor("non_qualifying_apm", march)
    qualifying = ruleset.conversion_factor("qualifying_apm", march)
    assert non_qualifying is not None and qualifying is not None
    assert (non_qualifying.conversion_factor, qualifying.conversion_factor) == (
        Decimal("33.4009"),
        Decimal("33.5675"),
    )
    assert "_QPP" in qualifying.provenance.source and "_nonQPP" in non_qualifying.provenance.source
    assert len(ruleset.rvus["0001F"]) == 1  # the twins' relative values are kept once


def test_a_non_qpp_file_alone_leaves_the_qualifying_factor_it_does_not_give(
    tmp_path: Path,
) -> None:
    shutil.copy(OFFICIAL / PFS_2026, tmp_path / PFS_2026)
    march = date(2026, 3, 2)
    reference = load_reference(official_dir=tmp_path, accept_partial=True)  # an excerpt
    ruleset = reference.ruleset_for(march)
    assert ruleset is not None
    non_qualifying = ruleset.conversion_factor("non_qualifying_apm", march)
    qualifying = ruleset.conversion_factor("qualifying_apm", march)
    assert non_qualifying is not None and PFS_2026 in non_qualifying.provenance.source
    assert qualifying is not None and qualifying.conversion_factor == Decimal("33.5675")
    assert PFS_2026 not in qualifying.provenance.source  # the shipped row, not the file's


def test_twins_whose_names_give_the_lower_factor_to_the_qualifying_track_are_refused(
    tmp_path: Path,
) -> None:
    # the two files with their names swapped: 33.4009 named _QPP, 33.5675 named _nonQPP
    swapped = tmp_path / "swapped"
    swapped.mkdir()
    _qpp_twin(swapped).rename(tmp_path / PFS_2026)
    shutil.copy(OFFICIAL / PFS_2026, tmp_path / PFS_2026.replace("_nonQPP", "_QPP"))
    with pytest.raises(ReferenceDataError, match=r"swapped"):
        load_reference(official_dir=tmp_path)


def test_twins_whose_relative_values_differ_are_refused(tmp_path: Path) -> None:
    shutil.copy(OFFICIAL / PFS_2026, tmp_path / PFS_2026)
    twin = _qpp_twin(tmp_path)
    twin.write_text(twin.read_text().replace("0001F,,REDACTED,I,", "0001F,,REDACTED,A,"))
    with pytest.raises(ReferenceDataError, match=r"relative values differ"):
        load_reference(official_dir=tmp_path)


def test_two_files_of_one_track_and_release_are_refused(tmp_path: Path) -> None:
    shutil.copy(OFFICIAL / PFS_2026, tmp_path / PFS_2026)
    shutil.copy(OFFICIAL / PFS_2026, tmp_path / ("copy-" + PFS_2026))
    with pytest.raises(ReferenceDataError, match=r"non_qualifying_apm"):
        load_reference(official_dir=tmp_path)


def _cut(tmp_path: Path, name: str, lines: int, tail: str = "") -> Path:
    kept = (OFFICIAL / name).read_bytes().splitlines(keepends=True)[:lines]
    cut = tmp_path / name
    cut.write_bytes(b"".join(kept) + tail.encode())
    return cut


@pytest.mark.parametrize("name", ["PPRRVU2025_Oct.csv", PFS_2026])
def test_a_relative_value_file_cut_inside_its_header_is_refused_naming_the_line(
    tmp_path: Path, name: str
) -> None:
    cut = _cut(tmp_path, name, 9)  # the last header line (HCPCS,MOD,...) is gone
    with pytest.raises(ReferenceDataError, match=rf"{re.escape(str(cut))}.*header"):
        read_relative_values(cut)


@pytest.mark.parametrize("name", ["PPRRVU2025_Oct.csv", PFS_2026])
def test_a_relative_value_file_cut_after_its_header_is_refused(tmp_path: Path, name: str) -> None:
    cut = _cut(tmp_path, name, 10)
    with pytest.raises(ReferenceDataError, match=rf"{re.escape(str(cut))}:10: no data rows"):
        read_relative_values(cut)


def test_a_relative_value_file_cut_inside_a_row_is_refused_naming_the_line(
    tmp_path: Path,
) -> None:
    cut = _cut(tmp_path, PFS_2026, 12, tail="00102,,REDACTED,J,,0.00")
    with pytest.raises(ReferenceDataError, match=rf"{re.escape(str(cut))}:13: 6 cells"):
        read_relative_values(cut)


def test_a_header_whose_cells_moved_apart_is_refused_naming_the_column(tmp_path: Path) -> None:
    damaged = _damaged(tmp_path, PFS_2026, ",PCTC,GLOB,", ",PCT,GLOB,")
    with pytest.raises(ReferenceDataError, match=r"PCTC IND"):
        read_relative_values(damaged)


def test_gpci_and_zip5_give_the_alabama_locality_of_zip_35203() -> None:
    gpci_release, localities = read_gpci(OFFICIAL / "GPCI2025.csv")
    zip_release, zips = read_zip5(OFFICIAL / "ZIP5_OCT2025.txt")
    assert zips["35203"] == ("10112", "00")
    alabama = next(g for g in localities if (g.carrier, g.locality) == ("10112", "00"))
    assert (alabama.work, alabama.practice_expense, alabama.malpractice) == (
        Decimal("1"),
        Decimal("0.869"),
        Decimal("0.575"),
    )
    assert gpci_release.effective_from == zip_release.effective_from == date(2025, 1, 1)
    assert not [g for g in localities if not g.carrier.isdigit()]  # footnotes are not rows


def test_asc_addenda_for_january_2026_give_92924_its_rate_and_opps_apc() -> None:
    aa_release, rates = read_addendum_aa(OFFICIAL / "ASC-AA-2026-jan.csv")
    ff_release, devices = read_addendum_ff(OFFICIAL / "ASC-FF-2026-jan.csv")
    rate = next(r for r in rates if r.code == "92924")
    assert (rate.payment_indicator, rate.rate, rate.multiple_procedure_discounting) == (
        "J8",
        Decimal("8447.98"),
        True,
    )
    device = next(d for d in devices if d.code == "92924")
    assert (device.opps_apc, device.opps_rate) == ("5193", Decimal("10087.35"))
    assert aa_release.effective_from == ff_release.effective_from == date(2026, 1, 1)


def test_2026_asc_list_packages_the_c_code_branch_add_ons_and_omits_92941() -> None:
    _, rates = read_addendum_aa(OFFICIAL / "ASC-AA-2026-jan.csv")
    by_code = {rate.code: rate for rate in rates}
    assert {c: by_code[c].payment_indicator for c in ("C9601", "C9603", "C9605", "C9608")} == {
        "C9601": "N1",
        "C9603": "N1",
        "C9605": "N1",
        "C9608": "N1",
    }
    assert all(by_code[c].rate is None for c in ("C9601", "C9603", "C9605", "C9608"))
    assert "92941" not in by_code
    assert {"92921", "92929"} & set(by_code) == set()


def test_device_intensive_rows_without_an_opps_rate_are_left_out() -> None:
    _, devices = read_addendum_ff(OFFICIAL / "ASC-FF-2026-jan.csv")
    assert "C9601" not in {d.code for d in devices}
    assert "0095T" not in {d.code for d in devices}


def _damaged(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = (OFFICIAL / name).read_text(encoding="utf-8", errors="replace")
    assert old in text
    damaged = tmp_path / name
    damaged.write_text(text.replace(old, new, 1), encoding="utf-8")
    return damaged


@dataclass(frozen=True)
class Damage:
    file: str
    old: str
    new: str
    reader: Callable[[Path], object]
    named: str
    """What the error must name besides the file."""


RVU_LINE = "92924,,Prq card angio/athrect 1 art,A,,"
AA_LINE = "92924,,Prq trluml c athrc 1 art&/br,"
DAMAGES = [
    Damage(
        "PPRRVU2025_Oct.csv",
        RVU_LINE + "11.74",
        RVU_LINE + "11.7x",
        read_relative_values,
        "WORK RVU",
    ),
    Damage(
        "PPRRVU2025_Oct.csv", "CODE,PAYMENT,RVU", "CODE,RVU,PAYMENT", read_relative_values, "header"
    ),
    Damage("GPCI2025.csv", "ALABAMA,1,0.869", "ALABAMA,1,0.8.69", read_gpci, "PE GPCI"),
    Damage("ASC-AA-2026-jan.csv", '"$8,447.98 "', '"$8,44x.98 "', read_addendum_aa, "Payment Rate"),
    Damage(
        "ASC-AA-2026-jan.csv", AA_LINE + "Y", AA_LINE + "maybe", read_addendum_aa, "Discounting"
    ),
    Damage(
        "ASC-FF-2026-jan.csv", '"$10,087.35"', '"$10,0x7.35"', read_addendum_ff, "OPPS Payment Rate"
    ),
    Damage("ZIP5_OCT2025.txt", "AL352031011200", "AL35203101X200", read_zip5, "ZIP5 layout"),
]


@pytest.mark.parametrize("damage", DAMAGES, ids=lambda d: f"{d.file}:{d.named}")
def test_a_damaged_official_file_is_refused_naming_file_line_and_column(
    tmp_path: Path, damage: Damage
) -> None:
    damaged = _damaged(tmp_path, damage.file, damage.old, damage.new)
    with pytest.raises(ReferenceDataError) as refused:
        damage.reader(damaged)
    message = str(refused.value)
    assert str(damaged) in message
    assert damage.named in message


def test_an_unbalanced_quote_is_refused_not_swallowing_the_rest_of_the_file(
    tmp_path: Path,
) -> None:
    damaged = _damaged(tmp_path, "ASC-AA-2026-jan.csv", '"$8,447.98 "', '"$8,447.98 ')
    with pytest.raises(ReferenceDataError, match=r"ASC-AA-2026-jan\.csv:\d+: not valid CSV"):
        read_addendum_aa(damaged)


def test_official_payment_files_in_the_reference_dir_replace_the_shipped_tables(
    tmp_path: Path,
) -> None:
    for name in ("PPRRVU2025_Oct.csv", "ASC-AA-2026-jan.csv"):
        shutil.copy(OFFICIAL / name, tmp_path / name)
    # the GPCI and ZIP5 files whole (the fixtures' excerpts lack localities: refused)
    for name in ("GPCI2025.csv", "ZIP5_OCT2025.txt.gz"):
        shutil.copy(SHIPPED_2025 / name, tmp_path / name)
    (tmp_path / "notes.txt").write_text("not a CMS file\n")
    with pytest.raises(ReferenceDataError, match=r"pci-2026\.1 asc: ASC-AA-2026-jan\.csv holds no"):
        load_reference(official_dir=tmp_path)  # an excerpt: it lacks 93454 and others
    reference = load_reference(official_dir=tmp_path, accept_partial=True)
    assert reference.ignored_files == ("notes.txt",)
    june, march = date(2025, 6, 10), date(2026, 3, 2)
    rulesets = {day: reference.ruleset_for(day) for day in (june, march)}
    assert all(rulesets.values())
    rvu = rulesets[june].rvu("92924", june)  # type: ignore[union-attr]
    assert rvu is not None and "PPRRVU2025_Oct.csv" in rvu.provenance.source
    asc = rulesets[march].asc_row("92924", march)  # type: ignore[union-attr]
    assert asc is not None and asc.payment == Decimal("8447.98")
    # the excerpt lacks 93454: accepted as partial, its shipped row stays, and says so
    kept = rulesets[march].asc_row("93454", march)  # type: ignore[union-attr]
    assert kept is not None and "ASC-AA" not in kept.provenance.source
    assert any(note.startswith("pci-2026.1 asc:") and "93454" in note for note in reference.partial)


def test_two_files_of_one_table_and_release_are_refused(tmp_path: Path) -> None:
    shutil.copy(OFFICIAL / "ASC-AA-2026-jan.csv", tmp_path / "AA.csv")
    shutil.copy(OFFICIAL / "ASC-AA-2026-jan.csv", tmp_path / "AA-copy.csv")
    with pytest.raises(ReferenceDataError, match=r"AA-copy\.csv and AA\.csv"):
        load_reference(official_dir=tmp_path)


def test_outcomes_name_the_files_their_ruleset_was_read_from(tmp_path: Path) -> None:
    shutil.copy(OFFICIAL / "PPRRVU2025_Oct.csv", tmp_path / "PPRRVU2025_Oct.csv")
    reference = load_reference(official_dir=tmp_path)
    outcome = evaluate(event(line("92924", "LD", date="2025-06-10")), reference, Policy())
    names = [source.name for source in outcome.ruleset.sources]
    assert names == [
        "reference/pci-2025/*.csv",
        "GPCI2025.csv",
        "ZIP5_OCT2025.txt",
        "PPRRVU2025_Oct.csv",
    ]
    official = outcome.ruleset.sources[-1]
    assert official.release == (
        "CMS 2025 National Physician Fee Schedule Relative Value File October Release"
    )
    assert (
        official.sha256
        == hashlib.sha256((OFFICIAL / "PPRRVU2025_Oct.csv").read_bytes()).hexdigest()
    )
    later = evaluate(event(line("92924", "LD")), reference, Policy())
    assert "PPRRVU2025_Oct.csv" not in [source.name for source in later.ruleset.sources]


def test_reference_show_lists_tables_rows_dates_confidence_and_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from service.entrypoints.cli import main

    shutil.copy(OFFICIAL / "PPRRVU2025_Oct.csv", tmp_path / "PPRRVU2025_Oct.csv")
    code = main(["reference", "show", "--as-of", "2025-06-10", "--reference-dir", str(tmp_path)])
    shown = capsys.readouterr().out
    assert code == 0
    assert "pci-2025: tables" in shown and "pci-2026.1" not in shown
    rvu_line = next(line for line in shown.splitlines() if line.startswith("│ rvu "))
    assert "60" in rvu_line  # the excerpt's 60 rows (global, 26, TC), not the 54 shipped ones
    assert "PPRRVU2025_Oct.csv" in shown and "42,956" in shown
    assert main(["reference", "show", "--as-of", "2024-06-10"]) == 2


LAYOUT_ONLY = Path(__file__).resolve().parents[1] / "fixtures" / "cms-layout"


def test_opps_addendum_b_states_the_status_indicator_ahead_of_ff(tmp_path: Path) -> None:
    """Built from the published layout (no real Addendum B here): its rows win over the
    status indicator FF only lets us infer."""
    shutil.copy(
        LAYOUT_ONLY / "January 2026 Addendum B.csv", tmp_path / "January 2026 Addendum B.csv"
    )
    shutil.copy(OFFICIAL / "ASC-FF-2026-jan.csv", tmp_path / "FF.csv")
    march = date(2026, 3, 2)
    # both files lack the diagnostic catheterisations the shipped opps table has
    ruleset = load_reference(official_dir=tmp_path, accept_partial=True).ruleset_for(march)
    assert ruleset is not None
    atherectomy = ruleset.opps_row("92924", march)
    assert atherectomy is not None
    assert (atherectomy.status_indicator, atherectomy.apc, atherectomy.payment) == (
        "J1",
        "5193",
        Decimal("10087.35"),
    )
    assert "OPPS Addendum B, January 2026" in atherectomy.provenance.source
    assert atherectomy.provenance.confidence == "confirmed"
    ivus = ruleset.opps_row("92978", march)
    assert ivus is not None and (ivus.status_indicator, ivus.payment) == ("N", Decimal(0))
    stent = ruleset.opps_row("92928", march)  # only in FF: J1 derived
    assert stent is not None and stent.provenance.confidence == "derived"


@pytest.mark.parametrize(
    "name",
    ["2026 January Web Addendum B.12.29.25.csv", "January 2026 Web Addendum B.12.29.25.csv"],
)
def test_addendum_b_under_cms_own_file_name_is_read_for_its_quarter(
    tmp_path: Path, name: str
) -> None:
    """CMS names the file "<year> <Month> Web Addendum B.<mm.dd.yy>.csv"; the layout fixture's
    title names no quarter, so the name must give it (it was refused: "no quarter")."""
    text = (LAYOUT_ONLY / "January 2026 Addendum B.csv").read_text()
    (tmp_path / name).write_text(text.replace("for CY 2026", ""))
    release, payments = read_addendum_b(tmp_path / name)
    assert (release.effective_from, release.effective_to) == (date(2026, 1, 1), date(2026, 12, 31))
    assert "OPPS Addendum B, January 2026" in release.title
    assert [p.code for p in payments] == ["92924", "92978"]


def test_the_2026_gpci_file_loads_through_the_official_directory_for_2026_claims(
    tmp_path: Path,
) -> None:
    shutil.copy(OFFICIAL / "GPCI2026.csv", tmp_path / "GPCI2026.csv")
    reference = load_reference(official_dir=tmp_path)
    march = date(2026, 3, 2)
    ruleset = reference.ruleset_for(march)
    assert ruleset is not None and len(ruleset.localities) == 109
    (alabama,) = ruleset.localities[("10112", "00")]
    assert (alabama.work_gpci, alabama.practice_expense_gpci, alabama.malpractice_gpci) == (
        Decimal("1.000"),
        Decimal("0.875"),
        Decimal("0.566"),
    )
    assert alabama.provenance.covers(march) and "GPCI2026.csv" in alabama.provenance.source
    assert reference.origins["pci-2026.1"]["gpci"] == "GPCI2026.csv"
    earlier = reference.ruleset_for(date(2025, 6, 10))
    assert earlier is not None
    assert "GPCI2025.csv" in earlier.localities[("10112", "00")][0].provenance.source


def _values(row: object) -> tuple[object, ...]:
    from service.domain.reference import RvuRow

    assert isinstance(row, RvuRow)
    return (
        row.code,
        row.modifier,
        row.status,
        row.work_rvu,
        row.facility_pe_rvu,
        row.malpractice_rvu,
        row.total_rvu,
        row.multiple_procedure,
        row.pctc_indicator,
    )


def test_the_shipped_2025_rvu_table_is_the_official_files_rows_for_the_codes_in_scope() -> None:
    from service.adapters.cms.tables import rvu_rows

    release, rows = read_relative_values(OFFICIAL / "PPRRVU2025_Oct.csv")
    june = date(2025, 6, 10)
    ruleset = load_reference().ruleset_for(june)
    assert ruleset is not None
    official = {
        (r.code, r.modifier): _values(r) for r in rvu_rows(release, rows) if r.code in ruleset.codes
    }
    shipped = {(r.code, r.modifier): _values(r) for rs in ruleset.rvus.values() for r in rs}
    assert shipped == official
    assert {m for _, m in shipped} == {"", "26", "TC"}


def test_the_2026_rows_carry_the_2025_pctc_and_mult_proc_forward_and_say_so() -> None:
    _, rows = read_relative_values(OFFICIAL / "PPRRVU2025_Oct.csv")
    of_2025 = {r.code: (r.pctc_indicator, r.multiple_procedure) for r in rows if not r.modifier}
    march = date(2026, 3, 2)
    ruleset = load_reference().ruleset_for(march)
    assert ruleset is not None
    carried = [r for rs in ruleset.rvus.values() for r in rs]
    assert carried and all(not r.modifier for r in carried)  # no 26/TC row without a 2026 fact
    for row in carried:
        assert (row.pctc_indicator, row.multiple_procedure) == of_2025[row.code], row.code
        assert "carried forward from CMS 2025" in row.provenance.source
        assert "PPRRVU2025_Oct.csv" in row.provenance.source
        if row.total_rvu is None:  # an indicator-only row
            assert row.provenance.confidence == "derived"
    deleted = {"92921", "92925", "92929", "92934", "92938", "92944"}
    assert not deleted & {r.code for r in carried}
    assert {r.code for r in carried if r.pctc_indicator == "1"} == {
        "92978", "92979", "93454", "93455", "93456", "93457", "93458", "93459", "93460",
        "93461", "93571", "93572",
    }  # fmt: skip


def test_reference_show_gives_the_carried_forward_zip_table_its_own_confidence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from service.entrypoints.cli import main

    assert main(["reference", "show", "--as-of", "2026-03-02"]) == 0
    shown = capsys.readouterr().out
    zip_line = next(line for line in shown.splitlines() if line.startswith("│ zip5 "))
    assert "derived" in zip_line
    assert "GPCI2026.csv" in shown


def test_a_partial_release_is_named_by_its_own_files_not_another_years(tmp_path: Path) -> None:
    shutil.copy(OFFICIAL / "PPRRVU2025_Oct.csv", tmp_path / "PPRRVU2025_Oct.csv")
    shutil.copy(OFFICIAL / PFS_2026, tmp_path / PFS_2026)
    with pytest.raises(ReferenceDataError) as refused:
        load_reference(official_dir=tmp_path)
    message = str(refused.value)
    assert message.startswith(f"pci-2026.1 rvu: {PFS_2026} holds no row for")
    assert "PPRRVU2025_Oct.csv" not in message


# Damage never passes silently ----------------------------------------------------------------


def _lines(path: Path) -> list[bytes]:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return raw.splitlines(keepends=True)


def test_a_gpci_file_cut_at_a_line_boundary_is_refused_naming_the_localities_it_lacks(
    tmp_path: Path,
) -> None:
    kept = _lines(OFFICIAL / "GPCI2026.csv")[: 3 + 57]  # title, blank, header, 57 localities
    (tmp_path / "GPCI2026.csv").write_bytes(b"".join(kept))
    with pytest.raises(ReferenceDataError, match=r"pci-2026\.1 gpci: GPCI2026\.csv holds no row"):
        load_reference(official_dir=tmp_path)
    reference = load_reference(official_dir=tmp_path, accept_partial=True)
    ruleset = reference.ruleset_for(date(2026, 3, 2))
    assert ruleset is not None and len(ruleset.localities) == 109  # the shipped 52 stay
    assert any(note.startswith("pci-2026.1 gpci:") for note in reference.partial)
    assert "partial release accepted" in reference.origins["pci-2026.1"]["gpci"]


def test_a_zip5_file_cut_at_a_line_boundary_is_refused_naming_the_localities_it_lacks(
    tmp_path: Path,
) -> None:
    records = _lines(SHIPPED_2025 / "ZIP5_OCT2025.txt.gz")
    assert len(records) == 42_956
    (tmp_path / "ZIP5_OCT2025.txt").write_bytes(b"".join(records[:20_000]))
    with pytest.raises(ReferenceDataError, match=r"pci-2025 zip5: ZIP5_OCT2025\.txt holds no row"):
        load_reference(official_dir=tmp_path)
    reference = load_reference(official_dir=tmp_path, accept_partial=True)
    june = date(2025, 6, 10)
    ruleset = reference.ruleset_for(june)
    assert ruleset is not None
    held = {record[7:14] for record in records[:20_000]}
    lacking = next(record for record in records if record[7:14] not in held)
    # a locality the cut file lacks keeps its shipped ZIPs
    assert ruleset.locality_of(lacking[2:7].decode(), june) is not None
    assert any(note.startswith("pci-2025 zip5:") for note in reference.partial)


def test_the_whole_zip5_and_gpci_files_load_without_a_partial_release(tmp_path: Path) -> None:
    for name in ("GPCI2025.csv", "ZIP5_OCT2025.txt.gz"):
        shutil.copy(SHIPPED_2025 / name, tmp_path / name)
    reference = load_reference(official_dir=tmp_path)
    assert reference.partial == ()


def test_a_single_twin_carrying_the_other_tracks_factor_is_refused(tmp_path: Path) -> None:
    # a _nonQPP file with 33.5675, the shipped qualifying-APM factor of 2026
    (tmp_path / PFS_2026).write_text(
        (OFFICIAL / PFS_2026).read_text(encoding="utf-8").replace(",33.4009,", ",33.5675,"),
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError, match=r"33\.5675.*swapped"):
        load_reference(official_dir=tmp_path, accept_partial=True)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("Locality Number", "Locality Numbr", r":3: not the GPCI layout .*'Locality Number'"),
        ("2026 PE GPCI", "2026 MP GPCI", r":3: not the GPCI layout .*'PE GPCI' found 0"),
        ("State,Locality Number", "State,Extra,Locality Number", r":4: 7 cells; the header has 8"),
    ],
)
def test_a_gpci_header_with_a_damaged_cell_is_refused_naming_file_and_line(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    damaged = tmp_path / "GPCI2026.csv"
    damaged.write_text((OFFICIAL / "GPCI2026.csv").read_text().replace(old, new, 1))
    with pytest.raises(ReferenceDataError, match=r"GPCI2026\.csv" + problem):
        read_gpci(damaged)


def test_a_second_gpci_row_for_one_locality_is_refused_naming_its_line(tmp_path: Path) -> None:
    lines = _lines(OFFICIAL / "GPCI2026.csv")
    damaged = tmp_path / "GPCI2026.csv"
    damaged.write_bytes(b"".join([*lines[:4], lines[3], *lines[4:]]))
    with pytest.raises(ReferenceDataError, match=r"GPCI2026\.csv:5: a second row .*10112.*00"):
        read_gpci(damaged)


@pytest.mark.parametrize(
    ("old", "new", "column"),
    [
        ("92928,", "9292\x008,", "HCPCS"),
        ("92928,,", "92928,\x00\x00,", "MOD"),
        ("92928,", "9292,", "HCPCS"),
    ],
)
@pytest.mark.parametrize("accept_partial", [False, True])
def test_a_pfs_row_with_nul_bytes_or_no_hcpcs_code_is_refused_naming_its_line(
    tmp_path: Path, old: str, new: str, column: str, accept_partial: bool
) -> None:
    text = (OFFICIAL / "PPRRVU2025_Oct.csv").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "PPRRVU2025_Oct.csv").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=rf"PPRRVU2025_Oct\.csv:\d+: column '{column}'"):
        load_reference(official_dir=tmp_path, accept_partial=accept_partial)


def test_each_ruleset_names_only_the_files_in_force_for_it_and_lists_each_file_once(
    tmp_path: Path,
) -> None:
    for name in ("PPRRVU2025_Oct.csv", PFS_2026, "GPCI2026.csv"):
        shutil.copy(OFFICIAL / name, tmp_path / name)
    shutil.copy(SHIPPED_2025 / "GPCI2025.csv", tmp_path / "GPCI2025.csv")
    reference = load_reference(official_dir=tmp_path, accept_partial=True)
    origins = reference.origins
    for table in ("rvu", "conversion_factors", "gpci"):
        assert "2026" not in origins["pci-2025"][table].split(";")[0], origins["pci-2025"]
        assert "2025" not in origins["pci-2026.1"][table].split(";")[0], origins["pci-2026.1"]
    for ruleset in reference.rulesets:
        names = [source.name for source in ruleset.sources]
        assert len(names) == len(set(names)), names


def test_reference_show_lists_the_aoc_table_and_where_the_zip_table_comes_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from service.entrypoints.cli import main

    assert main(["reference", "show", "--as-of", "2026-03-02"]) == 0
    shown = capsys.readouterr().out
    lines = shown.splitlines()
    assert any(x.startswith("│ aoc ") for x in lines)
    zip_at = next(i for i, x in enumerate(lines) if x.startswith("│ zip5 "))
    zip_cells = " ".join(x.split("│")[5].strip() for x in lines[zip_at : zip_at + 4])
    assert "ZIP5_OCT2025" in zip_cells and "carried" in zip_cells


def test_a_readme_beside_the_files_is_ignored_whatever_layouts_it_names(tmp_path: Path) -> None:
    shutil.copy(OFFICIAL / "GPCI2026.csv", tmp_path / "GPCI2026.csv")
    (tmp_path / "README.md").write_text(
        "CY 2026 GEOGRAPHIC PRACTICE COST INDICES by Medicare Administrative Contractor; "
        "Addendum B, Addendum FF with its HCPCS Code column; Column 1 / Column 2 PTP pairs\n"
    )
    reference = load_reference(official_dir=tmp_path)
    assert reference.ignored_files == ("README.md",)
