"""NCCI rows (MUE values, procedure-to-procedure pairs) in CMS's published layouts, shared
by the shipped samples and the official quarterly files."""

import csv
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from service.adapters.csv_tables import (
    CONFIDENCES,
    CsvRow,
    ReferenceDataError,
    column_starting,
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


HCPCS = re.compile(r"[A-Z0-9]{5}")
PTP_COLUMNS = ("Column 1", "Column 2", "*", "Effective", "Deletion", "Modifier")


def official_ptp(path: Path, wanted: frozenset[str] | None = None) -> list[PtpRow]:
    """A CMS PTP file (tab-separated text or CSV), streamed: every row is checked (codes,
    dates, indicator; an error names file, line and column), and only the pairs with a code
    in `wanted` are kept (the practitioner table has ~1.7 million pairs; the engine can use
    the few hundred whose codes it knows)."""
    source = f"CMS NCCI PTP file {path.name}"
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as lines:
        header_line = 0
        for header_line, text in enumerate(lines, start=1):  # noqa: B007 (used after)
            if "Column 1" in text:
                break
        else:
            raise ReferenceDataError(f"{path}: no header line containing 'Column 1'")
        delimiter = "\t" if "\t" in text else ","
        header = [cell.strip() for cell in next(csv.reader([text], delimiter=delimiter))]
        for position, (expected, found) in enumerate(zip(PTP_COLUMNS, header, strict=False)):
            if not found.startswith(expected):
                raise ReferenceDataError(
                    f"{path}:{header_line}: column {position + 1} is {found!r}, not {expected!r}"
                )
        kept: list[PtpRow] = []
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        try:
            for cells in reader:
                line = header_line + reader.line_num
                if not any(cell.strip() for cell in cells):
                    continue
                row = _ptp_cells(path, line, cells)
                if wanted is None or row[0] in wanted or row[1] in wanted:
                    kept.append(_ptp(row, source))
        except csv.Error as error:
            raise ReferenceDataError(
                f"{path}:{header_line + reader.line_num}: not valid CSV: {error}"
            ) from error
    return kept


def _ptp_cells(path: Path, line: int, cells: list[str]) -> tuple[str, str, date, date | None, str]:
    if len(cells) < len(PTP_COLUMNS):
        raise ReferenceDataError(f"{path}:{line}: {len(cells)} columns; the layout has 7")
    column_1, column_2 = cells[0].strip(), cells[1].strip()
    for name, code in (("Column 1", column_1), ("Column 2", column_2)):
        if not HCPCS.fullmatch(code):
            raise ReferenceDataError(
                f"{path}:{line}: column {name!r}: {code!r} is not a HCPCS code"
            )
    effective = _yyyymmdd(path, line, "Effective Date", cells[3].strip())
    deletion_text = cells[4].strip()
    deletion = (
        None
        if deletion_text in ("", "*")
        else _yyyymmdd(path, line, "Deletion Date", deletion_text)
    )
    indicator = cells[5].strip()[:1]
    if indicator not in ("0", "1", "9"):
        raise ReferenceDataError(f"{path}:{line}: column 'Modifier': {cells[5]!r} is not 0, 1 or 9")
    return column_1, column_2, effective, deletion, indicator


def _yyyymmdd(path: Path, line: int, column: str, text: str) -> date:
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError(text)
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError as error:
        raise ReferenceDataError(
            f"{path}:{line}: column {column!r}: not a date: {text!r}"
        ) from error


def _ptp(row: tuple[str, str, date, date | None, str], source: str) -> PtpRow:
    column_1, column_2, effective, deletion, indicator = row
    provenance = Provenance(
        "ptp", f"{column_1}/{column_2}", effective, deletion, source, "confirmed"
    )
    return PtpRow(column_1, column_2, indicator, provenance)  # type: ignore[arg-type]


def pair_index(rows: Iterable[PtpRow]) -> dict[tuple[str, str], tuple[PtpRow, ...]]:
    indexed: dict[tuple[str, str], list[PtpRow]] = {}
    for row in rows:
        indexed.setdefault((row.column_1, row.column_2), []).append(row)
    return {pair: tuple(group) for pair, group in indexed.items()}


def ptp_codes(*tables: Iterable[PtpRow]) -> frozenset[str]:
    return frozenset(
        code for rows in tables for row in rows for code in (row.column_1, row.column_2)
    )
