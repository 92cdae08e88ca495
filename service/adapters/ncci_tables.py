"""NCCI rows (MUE values, procedure-to-procedure pairs) in CMS's published layouts, shared
by the shipped samples and the official quarterly files."""

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

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
# The PTP header as CMS publishes it: seven columns, each wrapped over up to four lines in
# the tab-separated text ("Effective" / "Date"; "Modifier" / "0=not allowed" / ...). A
# column is read by the start of its joined cells, spaces ignored.
PTP_COLUMNS = (
    "Column 1",
    "Column 2",
    "*=in existence prior to 1996",
    "Effective Date",
    "Deletion Date",
    "Modifier",
    "PTP Edit Rationale",
)


def _squeezed(text: str) -> str:
    return "".join(text.split()).lower()


def cut_file_error(path: Path) -> ReferenceDataError | None:
    """A file whose last record has no line end was cut (a download or copy that stopped):
    the error names its last line. CMS ends every line of its files, the last one too."""
    with path.open("rb") as opened:
        size = opened.seek(0, 2)
        if size == 0:
            return ReferenceDataError(f"{path}: the file is empty")
        opened.seek(max(0, size - 1))
        if opened.read(1) == b"\n":
            return None
        opened.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: opened.read(1 << 20), b""))
    return ReferenceDataError(
        f"{path}:{lines + 1}: the last line has no line end: the file is cut (a download or "
        "copy that stopped?); copy the whole file again"
    )


def _ptp_header(path: Path, records: list[tuple[int, list[str]]]) -> None:
    """The header's lines joined column by column, checked against CMS's layout."""
    joined = [""] * max(len(cells) for _, cells in records)
    for _, cells in records:
        for position, cell in enumerate(cells):
            joined[position] = f"{joined[position]} {cell.strip()}".strip()
    line = records[0][0]
    if len(joined) < len(PTP_COLUMNS):
        raise ReferenceDataError(
            f"{path}:{line}: header of {len(joined)} columns; CMS's PTP layout has "
            f"{len(PTP_COLUMNS)} ({', '.join(PTP_COLUMNS)})"
        )
    for position, expected in enumerate(PTP_COLUMNS):
        if not _squeezed(joined[position]).startswith(_squeezed(expected)):
            raise ReferenceDataError(
                f"{path}:{line}: header column {position + 1} is {joined[position]!r}, not "
                f"{expected!r}: not CMS's PTP layout (a damaged header?)"
            )


def official_ptp(path: Path, wanted: frozenset[str] | None = None) -> list[PtpRow]:
    """A CMS PTP file (tab-separated text or CSV), streamed: notice and title lines, the
    header (one line, or wrapped over several as CMS's text files have it: a line whose
    first two cells are empty continues it), then every row checked (codes, dates,
    indicator, seven cells; an error names file, line and column). Only the pairs with a
    code in `wanted` are kept (the practitioner table has ~1.7 million pairs; the engine
    can use the few hundred whose codes it knows). A cut file is refused."""
    if (cut := cut_file_error(path)) is not None:
        raise cut
    source = f"CMS NCCI PTP file {path.name}"
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as lines:
        head = lines.read(8192)
        lines.seek(0)
        delimiter = "\t" if "\t" in head else ","
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        header: list[tuple[int, list[str]]] = []
        kept: list[PtpRow] = []
        in_body = False
        try:
            for cells in reader:
                line = reader.line_num
                if not header:
                    if cells and _squeezed(cells[0]) == "column1":
                        header.append((line, cells))
                    continue
                if not any(cell.strip() for cell in cells):
                    continue
                if not in_body:
                    if len(cells) > 1 and not cells[0].strip() and not cells[1].strip():
                        header.append((line, cells))  # the header goes on (CMS wraps it)
                        continue
                    _ptp_header(path, header)
                    in_body = True
                row = _ptp_cells(path, line, cells)
                if wanted is None or row[0] in wanted or row[1] in wanted:
                    kept.append(_ptp(row, source))
        except csv.Error as error:
            raise ReferenceDataError(f"{path}:{reader.line_num}: not valid CSV: {error}") from error
    if not header:
        raise ReferenceDataError(f"{path}: no header line starting with 'Column 1'")
    if not in_body:
        _ptp_header(path, header)  # a header and no rows: still CMS's header, or an error
    return kept


def _ptp_cells(path: Path, line: int, cells: list[str]) -> tuple[str, str, date, date | None, str]:
    if len(cells) < len(PTP_COLUMNS):
        raise ReferenceDataError(
            f"{path}:{line}: {len(cells)} cells; CMS's PTP layout has {len(PTP_COLUMNS)} "
            "(a cut or damaged line?)"
        )
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


MueSetting = Literal["practitioner", "outpatient"]
MUE_VALUE_COLUMNS: dict[str, MueSetting] = {
    "practitionerservicesmuevalues": "practitioner",
    "outpatienthospitalservicesmuevalues": "outpatient",
}
MUE_COLUMNS = (
    "HCPCS/CPT Code",
    "<setting> MUE Values",
    "MUE Adjudication Indicator",
    "MUE Rationale",
)
EFFECTIVE_IN_TEXT = re.compile(r"Effective(?:\s+Date)?\s*:?\s*(\d{1,2})/(\d{1,2})/(\d{4})", re.I)
EFFECTIVE_IN_NAME = re.compile(r"Eff_(\d{2})-(\d{2})-(\d{4})", re.I)


@dataclass(frozen=True, slots=True)
class MueFile:
    """One CMS MUE file: the setting its values column names, the date it is in force from
    (its content's, else its name's `Eff_MM-DD-YYYY`), and its rows (in force from that
    date; the loader ends them where a later file of the same setting begins)."""

    setting: MueSetting
    effective_from: date
    dated_by: str
    rows: tuple[MueRow, ...]


def _is_mue_header(cells: list[str]) -> bool:
    squeezed = [_squeezed(cell) for cell in cells]
    return bool(squeezed) and (
        squeezed[0].startswith("hcpcs")
        or any(
            cell.endswith("muevalues") or cell == "mueadjudicationindicator" for cell in squeezed
        )
    )


def _mue_setting(path: Path, line: int, cells: list[str]) -> MueSetting:
    """The header checked against CMS's MUE layout; the setting its values column names."""
    if len(cells) < len(MUE_COLUMNS):
        raise ReferenceDataError(
            f"{path}:{line}: header of {len(cells)} columns; CMS's MUE layout has "
            f"{len(MUE_COLUMNS)} ({', '.join(MUE_COLUMNS)})"
        )
    squeezed = [_squeezed(cell) for cell in cells]
    checks = (
        (0, squeezed[0] == "hcpcs/cptcode", "HCPCS/CPT Code"),
        (2, squeezed[2] == "mueadjudicationindicator", "MUE Adjudication Indicator"),
        (3, squeezed[3].startswith("muerationale"), "MUE Rationale"),
    )
    for position, ok, expected in checks:
        if not ok:
            raise ReferenceDataError(
                f"{path}:{line}: header column {position + 1} is {cells[position]!r}, not "
                f"{expected!r}: not CMS's MUE layout (a damaged header?)"
            )
    setting = MUE_VALUE_COLUMNS.get(squeezed[1])
    if setting is None:
        raise ReferenceDataError(
            f"{path}:{line}: header column 2 is {' '.join(cells[1].split())!r}: the service "
            "reads 'Practitioner Services MUE Values' and 'Outpatient Hospital Services MUE "
            "Values' files only (a damaged header, or a DME supplier file to remove?)"
        )
    return setting


def _mue_date(path: Path, preamble: str) -> tuple[date, str]:
    for found, dated_by in (
        (EFFECTIVE_IN_TEXT.search(preamble), "its content"),
        (EFFECTIVE_IN_NAME.search(path.name), "its name"),
    ):
        if found is not None:
            month, day, year = (int(part) for part in found.groups())
            try:
                return date(year, month, day), dated_by
            except ValueError:
                break
    raise ReferenceDataError(
        f"{path}: no effective date in its lines or its name (CMS names MUE files "
        "..._Eff_MM-DD-YYYY.csv): keep CMS's file name"
    )


def official_mue(path: Path) -> MueFile:
    """A CMS MUE file as published: a quoted AMA notice (over several lines), then the
    header (its first cell `"HCPCS/<line break>CPT Code"`), then one row per code: value
    and MUE adjudication indicator (1 line, 2 or 3 date of service). Every row is checked,
    an error names file, line and column; a cut file is refused."""
    if (cut := cut_file_error(path)) is not None:
        raise cut
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    source = f"CMS NCCI MUE file {path.name}"
    setting: MueSetting | None = None
    preamble: list[str] = []
    found: list[tuple[str, int, int]] = []
    try:
        last = 0
        for cells in reader:
            line, first_line, last = reader.line_num, last + 1, reader.line_num
            if setting is None:
                if _is_mue_header(cells):
                    setting = _mue_setting(path, first_line, cells)
                else:
                    preamble.extend(cells)
                continue
            if not any(cell.strip() for cell in cells):
                continue
            found.append(_mue_cells(path, line, cells))
    except csv.Error as error:
        raise ReferenceDataError(f"{path}:{reader.line_num}: not valid CSV: {error}") from error
    if setting is None:
        raise ReferenceDataError(
            f"{path}: no header line ('HCPCS/CPT Code', ... 'MUE Adjudication Indicator')"
        )
    effective, dated_by = _mue_date(path, " ".join(preamble))
    rows = tuple(
        MueRow(
            code, value, indicator, Provenance("mue", code, effective, None, source, "confirmed")
        )
        for code, value, indicator in found
    )
    return MueFile(setting, effective, dated_by, rows)


def _mue_cells(path: Path, line: int, cells: list[str]) -> tuple[str, int, int]:
    if len(cells) < len(MUE_COLUMNS):
        raise ReferenceDataError(
            f"{path}:{line}: {len(cells)} cells; CMS's MUE layout has {len(MUE_COLUMNS)} "
            "(a cut or damaged line?)"
        )
    code, value, indicator = (cell.strip() for cell in cells[:3])
    if not HCPCS.fullmatch(code):
        raise ReferenceDataError(
            f"{path}:{line}: column 'HCPCS/CPT Code': {code!r} is not a HCPCS code"
        )
    if not value.isdigit():
        raise ReferenceDataError(
            f"{path}:{line}: column 'MUE Values': {value!r} is not a whole number"
        )
    if indicator[:1] not in ("1", "2", "3"):
        raise ReferenceDataError(
            f"{path}:{line}: column 'MUE Adjudication Indicator': {indicator!r} is not 1, 2 or 3"
        )
    return code, int(value), int(indicator[:1])
