"""Load reference/ (one folder per ruleset) and, optionally, official CMS NCCI files.

Official files dropped into a directory (CLAIM_EDIT_REFERENCE_DIR) replace the shipped
tables they feed (service/adapters/official_files.py says how, and when a release that
lacks codes is refused).
"""

import hashlib
import tomllib
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path

from contracts import ReferenceSource
from service.adapters.cms.files import layout_of
from service.adapters.cms.pfs import read_gpci, read_zip5
from service.adapters.cms.tables import locality_index, locality_rows, provenance
from service.adapters.csv_tables import (
    CsvRow,
    ReferenceDataError,
    read_rows,
)
from service.adapters.ncci_tables import mue_row, pair_index, ptp_codes, ptp_row
from service.adapters.official_files import load_official, with_official
from service.domain.reference import (
    AocRow,
    AscRow,
    CodeRow,
    CodeSetRow,
    ConversionFactorRow,
    DerivationRow,
    DiagnosisRow,
    LocalityRow,
    OppsRow,
    PtpRow,
    RankRow,
    ReferenceData,
    Ruleset,
    RvuRow,
    SegmentRow,
    ZipTable,
    index_by,
)

# Package data, so an installed wheel finds them as a source checkout does.
SHIPPED_REFERENCE_DIR = Path(str(files("reference")))
CODE_KINDS = ("pci_base", "branch_addon", "addon", "diagnostic", "pci_other")


def _optional(path: Path) -> list[CsvRow]:
    return list(read_rows(path)) if path.exists() else []


def _code_row(row: CsvRow) -> CodeRow:
    code = row.text("code")
    kind = row.text("kind")
    if kind not in CODE_KINDS:
        raise ReferenceDataError(f"{row.where('kind')}: {kind!r} is not one of {CODE_KINDS}")
    return CodeRow(
        code=code,
        kind=kind,  # type: ignore[arg-type]
        deleted=row.text("status") == "deleted",
        coronary=row.text("coronary") == "yes",
        graft=row.text("vessel", required=False) == "graft",
        requires=row.text("requires", required=False),
        cpt_analogue=row.text("cpt_analogue", required=False),
        description=row.text("description", required=False),
        provenance=row.provenance("codes", code),
    )


def _aoc_row(row: CsvRow) -> AocRow:
    addon, primary, edit_type = row.text("addon"), row.text("primary"), row.text("edit_type")
    if edit_type not in ("1", "2", "3"):
        raise ReferenceDataError(f"{row.where('edit_type')}: {edit_type!r} is not 1, 2 or 3")
    return AocRow(
        addon,
        primary,
        int(edit_type),  # type: ignore[arg-type]
        row.provenance("aoc", f"{addon}/{primary}"),
    )


def _yes_no(row: CsvRow, column: str) -> bool | None:
    value = row.text(column, required=False)
    if value not in ("", "Y", "N"):
        raise ReferenceDataError(f"{row.where(column)}: {value!r} is not Y or N")
    return None if not value else value == "Y"


def _rvu_row(row: CsvRow) -> RvuRow:
    """A PFS row: global (no modifier), 26 or TC. Work and total RVUs may both be blank in a
    row that carries only indicators forward (PC/TC, MULT PROC); never one without the other."""
    code, modifier = row.text("code"), row.text("modifier", required=False)
    work, total = row.optional_decimal("work_rvu"), row.optional_decimal("total_rvu")
    if (work is None) != (total is None):
        blank = "work_rvu" if work is None else "total_rvu"
        raise ReferenceDataError(f"{row.where(blank)}: missing value (the other RVU is given)")
    if modifier not in ("", "26", "TC"):
        raise ReferenceDataError(f"{row.where('modifier')}: {modifier!r} is not blank, 26 or TC")
    return RvuRow(
        code,
        work,
        total,
        row.provenance("rvu", f"{code}-{modifier}" if modifier else code),
        status=row.text("status", required=False),
        facility_pe_rvu=row.optional_decimal("facility_pe_rvu"),
        malpractice_rvu=row.optional_decimal("mp_rvu"),
        multiple_procedure=row.text("mult_proc", required=False),
        modifier=modifier,
        pctc_indicator=row.text("pctc", required=False),
    )


def _shipped_ptp(path: Path) -> tuple[PtpRow, ...]:
    return tuple(
        ptp_row(row, row.text("source"), row.text("confidence")) for row in _optional(path)
    )


def load_ruleset(
    folder: Path, version: str, effective_from: date, effective_to: date | None
) -> Ruleset:
    codes = [_code_row(row) for row in read_rows(folder / "codes.csv")]
    ranks = [
        RankRow(r.text("code"), r.integer("rank"), r.provenance("hierarchy", r.text("code")))
        for r in read_rows(folder / "hierarchy.csv")
    ]
    rvus = [_rvu_row(r) for r in _optional(folder / "rvu.csv")]
    factors = [
        ConversionFactorRow(
            r.text("participation"),  # type: ignore[arg-type]
            r.decimal("conversion_factor"),
            r.provenance("conversion_factors", r.text("participation")),
        )
        for r in _optional(folder / "conversion_factors.csv")
    ]
    opps = [
        OppsRow(
            r.text("code"),
            r.text("status_indicator"),
            r.text("apc"),
            r.decimal("payment"),
            r.provenance("opps", r.text("code")),
        )
        for r in _optional(folder / "opps.csv")
    ]
    asc = [
        AscRow(
            r.text("code"),
            r.optional_decimal("payment"),
            r.provenance("asc", r.text("code")),
            payment_indicator=r.text("payment_indicator", required=False),
            multiple_procedure_discounting=_yes_no(r, "multiple_procedure_discounting"),
        )
        for r in _optional(folder / "asc.csv")
    ]
    mue_practitioner = [
        mue_row(r, r.provenance("mue", r.text("HCPCS/CPT Code")))
        for r in _optional(folder / "mue_practitioner.csv")
    ]
    mue_outpatient = [
        mue_row(r, r.provenance("mue", r.text("HCPCS/CPT Code")))
        for r in _optional(folder / "mue_outpatient.csv")
    ]
    segments = [
        SegmentRow(
            r.text("segment"), r.text("territory"), r.provenance("segments", r.text("segment"))
        )
        for r in read_rows(folder / "segments.csv")
    ]
    derivation = sorted(
        (
            DerivationRow(
                r.integer("priority"),
                r.text("condition"),
                tuple(r.text("expected_codes").split()),
                r.provenance("derivation", r.text("condition")),
            )
            for r in read_rows(folder / "derivation.csv")
        ),
        key=lambda row: row.priority,
    )
    diagnoses = [
        DiagnosisRow(
            r.text("condition"),
            r.text("diagnosis"),
            r.provenance("diagnoses", r.text("condition")),
        )
        for r in _optional(folder / "diagnoses.csv")
    ]
    code_sets: dict[tuple[str, str], list[CodeSetRow]] = {}
    for r in _optional(folder / "code_sets.csv"):
        name, code = r.text("set"), r.text("code")
        row = CodeSetRow(name, code, r.provenance("code_sets", f"{name}/{code}"))
        code_sets.setdefault((name, code), []).append(row)
    aoc = [_aoc_row(r) for r in _optional(folder / "aoc.csv")]
    localities, zip_tables, official_sources = _official_localities(folder)
    carried_tables, carried_sources = _carried_forward(folder)
    zip_tables = (*zip_tables, *carried_tables)
    official_sources = [*official_sources, *carried_sources]
    ptp_practitioner = _shipped_ptp(folder / "ptp_practitioner.csv")
    ptp_outpatient_path = folder / "ptp_outpatient.csv"
    ptp_outpatient = (
        _shipped_ptp(ptp_outpatient_path) if ptp_outpatient_path.exists() else ptp_practitioner
    )
    return Ruleset(
        version=version,
        effective_from=effective_from,
        effective_to=effective_to,
        codes=index_by(codes, "code"),
        ranks=index_by(ranks, "code"),
        rvus=index_by(rvus, "code"),
        conversion_factors=index_by(factors, "participation"),
        opps=index_by(opps, "code"),
        asc=index_by(asc, "code"),
        mue_practitioner=index_by(mue_practitioner, "code"),
        mue_outpatient=index_by(mue_outpatient, "code"),
        ptp_practitioner=pair_index(ptp_practitioner),
        ptp_outpatient=pair_index(ptp_outpatient),
        segments=index_by(segments, "segment"),
        derivation=tuple(derivation),
        des_code_for={row.cpt_analogue: row.code for row in codes if row.cpt_analogue},
        ptp_codes=ptp_codes(ptp_practitioner, ptp_outpatient),
        localities=localities,
        zip_tables=zip_tables,
        diagnoses=index_by(diagnoses, "condition"),
        code_sets={key: tuple(rows) for key, rows in code_sets.items()},
        aoc=index_by(aoc, "addon"),
        sources=(_shipped_source(folder), *official_sources),
    )


def _shipped_source(folder: Path) -> ReferenceSource:
    """The ruleset's tables in this project's layout, as one source: their joint sha256."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.suffix == ".csv" and not layout_of(p)):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return ReferenceSource(
        name=f"reference/{folder.name}/*.csv",
        release=f"tables shipped with claim-edit {_package_version()}",
        sha256=digest.hexdigest(),
    )


def _package_version() -> str:
    try:
        return version("claim-edit")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _official_localities(
    folder: Path,
) -> tuple[
    dict[tuple[str, str], tuple[LocalityRow, ...]], tuple[ZipTable, ...], list[ReferenceSource]
]:
    """GPCI and ZIP5 files, in CMS's own layouts, found in a folder by their first lines."""
    localities: list[LocalityRow] = []
    zip_tables: list[ZipTable] = []
    sources: list[ReferenceSource] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        layout = layout_of(path)
        if layout == "gpci":
            release, gpcis = read_gpci(path)
            localities.extend(locality_rows(release, gpcis))
            sources.append(release.reference_source)
        elif layout == "zip5":
            release, table = read_zip5(path)
            zip_tables.append(ZipTable(table, provenance(release, "zip5", release.file)))
            sources.append(release.reference_source)
    return locality_index(localities), tuple(zip_tables), sources


def _carried_forward(folder: Path) -> tuple[tuple[ZipTable, ...], list[ReferenceSource]]:
    """carried_forward.csv: an official file of an earlier ruleset that stands for this one
    until CMS's own is shipped (table `zip5`: a ZIP-to-locality file), with the dates, source
    and confidence (`derived`) the row gives, not the file's own year."""
    tables: list[ZipTable] = []
    sources: list[ReferenceSource] = []
    for row in _optional(folder / "carried_forward.csv"):
        table, name = row.text("table"), row.text("file")
        if table != "zip5":
            raise ReferenceDataError(f"{row.where('table')}: {table!r} is not zip5")
        path = (folder / name).resolve()
        if not path.is_file() or layout_of(path) != "zip5":
            raise ReferenceDataError(f"{row.where('file')}: {name!r} is not a ZIP5 file")
        release, localities = read_zip5(path)
        tables.append(ZipTable(localities, row.provenance("zip5", release.file)))
        sources.append(release.reference_source)
    return tuple(tables), sources


def load_reference(
    root: Path = SHIPPED_REFERENCE_DIR,
    official_dir: Path | None = None,
    *,
    accept_partial: bool = False,
) -> ReferenceData:
    """The shipped rulesets, with the official files of `official_dir` in. A release that
    lacks a code a shipped table it replaces has is refused, unless `accept_partial`."""
    manifest_path = root / "rulesets.toml"
    try:
        manifest = tomllib.loads(manifest_path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ReferenceDataError(f"{manifest_path}: {error}") from error
    shipped = [
        load_ruleset(
            root / entry["directory"],
            entry["version"],
            entry["effective_from"],
            entry.get("effective_to"),
        )
        for entry in manifest.get("ruleset", [])
    ]
    known = frozenset(code for r in shipped for code in r.codes)
    # the PTP pairs kept: those with a code the edits know or a shipped pair has
    wanted = known | frozenset(code for r in shipped for code in r.ptp_codes)
    official = load_official(official_dir, wanted) if official_dir is not None else None
    assembled = [with_official(r, official, accept_partial) for r in shipped] if official else []
    rulesets = [a.ruleset for a in assembled] if assembled else shipped
    coronary = frozenset(
        code for r in rulesets for code, rows in r.codes.items() if any(x.coronary for x in rows)
    )
    return ReferenceData(
        tuple(rulesets),
        known,
        coronary,
        _fingerprint(root, official_dir),
        ignored_files=official.ignored if official else (),
        origins={a.ruleset.version: a.origins for a in assembled},
        partial=tuple(line for a in assembled for line in a.partial),
    )


def _fingerprint(*directories: Path | None) -> str:
    digest = hashlib.sha256()
    for directory in directories:
        if directory is None:
            continue
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
