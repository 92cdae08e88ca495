"""NCCI rows (MUE values, procedure-to-procedure pairs) in CMS's published layouts, shared
by the shipped samples and the official quarterly files."""

from collections.abc import Iterable
from pathlib import Path

from service.adapters.csv_tables import (
    CONFIDENCES,
    CsvRow,
    ReferenceDataError,
    column_starting,
    read_rows,
)
from service.domain.reference import MueRow, Provenance, PtpRow


def mue_row(row: CsvRow, provenance: Provenance) -> MueRow:
    return MueRow(
        code=row.text("HCPCS/CPT Code"),
        value=row.integer(
            column_starting(row, "Practitioner")
            if has_column(row, "Practitioner")
            else column_starting(row, "Outpatient")
        ),
        adjudication_indicator=row.integer("MUE Adjudication Indicator"),
        provenance=provenance,
    )


def has_column(row: CsvRow, prefix: str) -> bool:
    return any(name.lower().startswith(prefix.lower()) for name in row.cells)


def ptp_row(row: CsvRow, source: str, confidence: str) -> PtpRow:
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


def official_ptp(path: Path) -> list[PtpRow]:
    rows = []
    for row in read_rows(path, "Column 1"):
        if row.cells.get(column_starting(row, "Column 1"), "").strip():
            rows.append(ptp_row(row, f"CMS NCCI PTP file {path.name}", "confirmed"))
    return rows


def pair_index(rows: Iterable[PtpRow]) -> dict[tuple[str, str], tuple[PtpRow, ...]]:
    indexed: dict[tuple[str, str], list[PtpRow]] = {}
    for row in rows:
        indexed.setdefault((row.column_1, row.column_2), []).append(row)
    return {pair: tuple(group) for pair, group in indexed.items()}


def ptp_codes(*tables: Iterable[PtpRow]) -> frozenset[str]:
    return frozenset(
        code for rows in tables for row in rows for code in (row.column_1, row.column_2)
    )
