"""Load reference/ (one folder per ruleset) and, optionally, official CMS NCCI files.

Official files dropped into a directory (CLAIM_EDIT_REFERENCE_DIR) replace the shipped
PTP/MUE samples in every ruleset: PTP rows carry their own effective and deletion dates;
an MUE file has none, so its rows apply to each ruleset's whole date range.
"""

import hashlib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from importlib.resources import files
from pathlib import Path

from service.adapters.cms.files import layout_of
from service.adapters.cms.pfs import read_gpci, read_zip5
from service.adapters.cms.release import Release
from service.adapters.csv_tables import (
    CONFIDENCES,
    CsvRow,
    ReferenceDataError,
    column_starting,
    read_rows,
)
from service.domain.reference import (
    AscRow,
    CodeRow,
    ConversionFactorRow,
    DerivationRow,
    LocalityRow,
    MueRow,
    OppsRow,
    Provenance,
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
CODE_KINDS = ("pci_base", "branch_addon", "addon", "diagnostic")
PRIMARY_KINDS = ("", "base", "base_or_diagnostic", "base_same_territory")


@dataclass(frozen=True, slots=True)
class OfficialTables:
    mue_practitioner: tuple[MueRow, ...] | None = None
    mue_outpatient: tuple[MueRow, ...] | None = None
    ptp_practitioner: tuple[PtpRow, ...] | None = None
    ptp_outpatient: tuple[PtpRow, ...] | None = None
    ignored: tuple[str, ...] = ()


def _optional(path: Path) -> list[CsvRow]:
    return list(read_rows(path)) if path.exists() else []


def _code_row(row: CsvRow) -> CodeRow:
    code = row.text("code")
    kind = row.text("kind")
    primary = row.text("primary", required=False)
    if kind not in CODE_KINDS:
        raise ReferenceDataError(f"{row.where('kind')}: {kind!r} is not one of {CODE_KINDS}")
    if primary not in PRIMARY_KINDS:
        raise ReferenceDataError(f"{row.where('primary')}: {primary!r} not in {PRIMARY_KINDS}")
    return CodeRow(
        code=code,
        kind=kind,  # type: ignore[arg-type]
        deleted=row.text("status") == "deleted",
        coronary=row.text("coronary") == "yes",
        graft=row.text("vessel", required=False) == "graft",
        primary=primary,  # type: ignore[arg-type]
        requires=row.text("requires", required=False),
        cpt_analogue=row.text("cpt_analogue", required=False),
        description=row.text("description", required=False),
        provenance=row.provenance("codes", code),
    )


def _mue_row(row: CsvRow, provenance: Provenance) -> MueRow:
    return MueRow(
        code=row.text("HCPCS/CPT Code"),
        value=row.integer(
            column_starting(row, "Practitioner")
            if _has(row, "Practitioner")
            else column_starting(row, "Outpatient")
        ),
        adjudication_indicator=row.integer("MUE Adjudication Indicator"),
        provenance=provenance,
    )


def _yes_no(row: CsvRow, column: str) -> bool | None:
    value = row.text(column, required=False)
    if value not in ("", "Y", "N"):
        raise ReferenceDataError(f"{row.where(column)}: {value!r} is not Y or N")
    return None if not value else value == "Y"


def _has(row: CsvRow, prefix: str) -> bool:
    return any(name.lower().startswith(prefix.lower()) for name in row.cells)


def _ptp_row(row: CsvRow, source: str, confidence: str) -> PtpRow:
    column_1 = row.text(column_starting(row, "Column 1"))
    column_2 = row.text(column_starting(row, "Column 2"))
    indicator = row.text(column_starting(row, "Modifier"))[:1]
    if indicator not in ("0", "1", "9"):
        raise ReferenceDataError(f"{row.where('Modifier')}: indicator {indicator!r} not 0, 1 or 9")
    if confidence not in CONFIDENCES:
        raise ReferenceDataError(f"{row.where('confidence')}: unknown confidence {confidence!r}")
    effective = row.date(column_starting(row, "Effective"))
    assert effective is not None
    provenance = Provenance(
        table="ptp",
        key=f"{column_1}/{column_2}",
        effective_from=effective,
        effective_to=row.date(column_starting(row, "Deletion"), required=False),
        source=source,
        confidence=confidence,  # type: ignore[arg-type]
    )
    return PtpRow(column_1, column_2, indicator, provenance)  # type: ignore[arg-type]


def _shipped_ptp(path: Path) -> tuple[PtpRow, ...]:
    return tuple(
        _ptp_row(row, row.text("source"), row.text("confidence")) for row in _optional(path)
    )


def _official_ptp(path: Path) -> list[PtpRow]:
    rows = []
    for row in read_rows(path, "Column 1"):
        if row.cells.get(column_starting(row, "Column 1"), "").strip():
            rows.append(_ptp_row(row, f"CMS NCCI PTP file {path.name}", "confirmed"))
    return rows


def _pair_index(rows: Iterable[PtpRow]) -> dict[tuple[str, str], tuple[PtpRow, ...]]:
    indexed: dict[tuple[str, str], list[PtpRow]] = {}
    for row in rows:
        indexed.setdefault((row.column_1, row.column_2), []).append(row)
    return {pair: tuple(group) for pair, group in indexed.items()}


def load_ruleset(
    folder: Path, version: str, effective_from: date, effective_to: date | None
) -> Ruleset:
    codes = [_code_row(row) for row in read_rows(folder / "codes.csv")]
    ranks = [
        RankRow(r.text("code"), r.integer("rank"), r.provenance("hierarchy", r.text("code")))
        for r in read_rows(folder / "hierarchy.csv")
    ]
    rvus = [
        RvuRow(
            r.text("code"),
            r.decimal("work_rvu"),
            r.decimal("total_rvu"),
            r.provenance("rvu", r.text("code")),
            status=r.text("status", required=False),
            facility_pe_rvu=r.optional_decimal("facility_pe_rvu"),
            malpractice_rvu=r.optional_decimal("mp_rvu"),
            multiple_procedure=r.text("mult_proc", required=False),
        )
        for r in _optional(folder / "rvu.csv")
    ]
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
        _mue_row(r, r.provenance("mue", r.text("HCPCS/CPT Code")))
        for r in _optional(folder / "mue_practitioner.csv")
    ]
    mue_outpatient = [
        _mue_row(r, r.provenance("mue", r.text("HCPCS/CPT Code")))
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
    localities, zip_tables = _official_localities(folder)
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
        ptp_practitioner=_pair_index(ptp_practitioner),
        ptp_outpatient=_pair_index(ptp_outpatient),
        segments=index_by(segments, "segment"),
        derivation=tuple(derivation),
        des_code_for={row.cpt_analogue: row.code for row in codes if row.cpt_analogue},
        ptp_codes=_ptp_codes(ptp_practitioner, ptp_outpatient),
        localities=localities,
        zip_tables=zip_tables,
    )


def _official_localities(
    folder: Path,
) -> tuple[dict[tuple[str, str], tuple[LocalityRow, ...]], tuple[ZipTable, ...]]:
    """GPCI and ZIP5 files, in CMS's own layouts, found in a folder by their first lines."""
    localities: dict[tuple[str, str], list[LocalityRow]] = {}
    zip_tables: list[ZipTable] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        layout = layout_of(path)
        if layout == "gpci":
            release, gpcis = read_gpci(path)
            for gpci in gpcis:
                key = (gpci.carrier, gpci.locality)
                localities.setdefault(key, []).append(
                    LocalityRow(
                        gpci.carrier,
                        gpci.locality,
                        gpci.name,
                        gpci.work,
                        gpci.practice_expense,
                        gpci.malpractice,
                        _confirmed(release, "gpci", f"{gpci.carrier}/{gpci.locality}"),
                    )
                )
        elif layout == "zip5":
            release, table = read_zip5(path)
            zip_tables.append(ZipTable(table, _confirmed(release, "zip5", release.file)))
    return {key: tuple(rows) for key, rows in localities.items()}, tuple(zip_tables)


def _confirmed(release: Release, table: str, key: str) -> Provenance:
    return Provenance(
        table, key, release.effective_from, release.effective_to, release.source, "confirmed"
    )


def _ptp_codes(*tables: Iterable[PtpRow]) -> frozenset[str]:
    return frozenset(
        code for rows in tables for row in rows for code in (row.column_1, row.column_2)
    )


def load_official(directory: Path) -> OfficialTables:
    """Official CMS NCCI MUE and PTP files (CSV or tab-separated text), found by their headers."""
    found: dict[str, list[MueRow] | list[PtpRow]] = {}
    ignored: list[str] = []
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        if path.suffix.lower() not in (".csv", ".txt"):
            ignored.append(path.name)
            continue
        head = path.read_text(encoding="utf-8-sig", errors="replace")[:8192]
        outpatient = any(w in path.name.lower() for w in ("hosp", "outpatient", "opps"))
        if "MUE Adjudication Indicator" in head:
            kind = "mue_outpatient" if "Outpatient Hospital" in head else "mue_practitioner"
            rows: list[MueRow] = []
            for row in read_rows(path, "HCPCS/CPT Code"):
                code = row.text("HCPCS/CPT Code")
                rows.append(
                    _mue_row(
                        row,
                        Provenance(
                            "mue",
                            code,
                            date.min,
                            None,
                            f"CMS NCCI MUE file {path.name}",
                            "confirmed",
                        ),
                    )
                )
            found.setdefault(kind, []).extend(rows)  # type: ignore[arg-type]
        elif "Column 1" in head and "Column 2" in head:
            kind = "ptp_outpatient" if outpatient else "ptp_practitioner"
            found.setdefault(kind, []).extend(_official_ptp(path))  # type: ignore[arg-type]
        else:
            ignored.append(path.name)
    if not found:
        raise ReferenceDataError(
            f"{directory}: no file of a known layout (NCCI MUE or PTP)"
            + (f"; not recognised: {', '.join(ignored)}" if ignored else ": the directory is empty")
        )
    tables = {k: tuple(v) for k, v in found.items()}
    return OfficialTables(**tables, ignored=tuple(ignored))  # type: ignore[arg-type]


def _with_official(ruleset: Ruleset, official: OfficialTables) -> Ruleset:
    def dated(rows: tuple[MueRow, ...]) -> dict[str, tuple[MueRow, ...]]:
        return index_by(
            (
                replace(
                    r,
                    provenance=replace(
                        r.provenance,
                        effective_from=ruleset.effective_from,
                        effective_to=ruleset.effective_to,
                    ),
                )
                for r in rows
            ),
            "code",
        )

    changes: dict[str, object] = {}
    if official.mue_practitioner is not None:
        changes["mue_practitioner"] = dated(official.mue_practitioner)
    if official.mue_outpatient is not None:
        changes["mue_outpatient"] = dated(official.mue_outpatient)
    if official.ptp_practitioner is not None:
        changes["ptp_practitioner"] = _pair_index(official.ptp_practitioner)
        if official.ptp_outpatient is None:
            changes["ptp_outpatient"] = changes["ptp_practitioner"]
    if official.ptp_outpatient is not None:
        changes["ptp_outpatient"] = _pair_index(official.ptp_outpatient)
    if official.ptp_practitioner is not None or official.ptp_outpatient is not None:
        changes["ptp_codes"] = _ptp_codes(
            official.ptp_practitioner or (), official.ptp_outpatient or ()
        )
    return replace(ruleset, **changes)  # type: ignore[arg-type]


def load_reference(
    root: Path = SHIPPED_REFERENCE_DIR, official_dir: Path | None = None
) -> ReferenceData:
    manifest_path = root / "rulesets.toml"
    try:
        manifest = tomllib.loads(manifest_path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ReferenceDataError(f"{manifest_path}: {error}") from error
    official = load_official(official_dir) if official_dir is not None else None
    rulesets = []
    for entry in manifest.get("ruleset", []):
        ruleset = load_ruleset(
            root / entry["directory"],
            entry["version"],
            entry["effective_from"],
            entry.get("effective_to"),
        )
        rulesets.append(_with_official(ruleset, official) if official else ruleset)
    known = frozenset(code for r in rulesets for code in r.codes)
    coronary = frozenset(
        code for r in rulesets for code, rows in r.codes.items() if any(x.coronary for x in rows)
    )
    return ReferenceData(
        tuple(rulesets),
        known,
        coronary,
        _fingerprint(root, official_dir),
        ignored_files=official.ignored if official else (),
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
