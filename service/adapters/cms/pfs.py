"""The Physician Fee Schedule's own files: relative values (PPRRVU), GPCI and ZIP5.

Each reader checks the layout it relies on and names file, line and column for any cell it
cannot use. The relative value file's header spans several lines and its columns move
between years (2026 adds PRIC IND before ENDO BASE): its columns are found by their header
cells, joined top to bottom ("WORK" over "RVU" is WORK RVU), never by position. Every row
is read: the global row (no modifier) and the professional (26) and technical (TC)
component rows CMS publishes for a code that splits into them.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from service.adapters.cms.release import Release, calendar_year, official_bytes
from service.adapters.csv_tables import ReferenceDataError, official_rows

# The columns read, by their header cells joined over the header's lines.
HCPCS, MOD, STATUS = "HCPCS", "MOD", "STATUS CODE"
WORK, NONFACILITY_PE, NONFACILITY_NA = "WORK RVU", "NON-FAC PE RVU", "NON-FAC NA INDICATOR"
FACILITY_PE, MP, FACILITY_TOTAL = "FACILITY PE RVU", "MP RVU", "FACILITY TOTAL"
PCTC, GLOBAL_DAYS, MULT_PROC, CONV_FACTOR = "PCTC IND", "GLOB DAYS", "MULT PROC", "CONV FACTOR"
RVU_COLUMNS = (
    HCPCS, MOD, STATUS, WORK, NONFACILITY_PE, NONFACILITY_NA, FACILITY_PE, MP, FACILITY_TOTAL,
    PCTC, GLOBAL_DAYS, MULT_PROC, CONV_FACTOR,
)  # fmt: skip
COMPONENT_MODIFIERS = ("", "26", "TC")
RVU_TITLE = re.compile(r"(\d{4}) National Physician Fee Schedule Relative Value File (\w+) Release")
GPCI_TITLE = re.compile(r"CY (\d{4}) GEOGRAPHIC PRACTICE COST INDICES", re.IGNORECASE)
# The GPCI columns read, by their header cells (each once): MAC, locality, name, PW, PE, MP.
GPCI_COLUMNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("MAC", re.compile(r"Medicare Administrative Contractor \(MAC\)")),
    ("Locality Number", re.compile(r"Locality Number")),
    ("Locality Name", re.compile(r"Locality Name")),
    ("PW GPCI", re.compile(r"\d{4} PW GPCI\b.*")),
    ("PE GPCI", re.compile(r"\d{4} PE GPCI\b.*")),
    ("MP GPCI", re.compile(r"\d{4} MP GPCI\b.*")),
)
HCPCS_CODE = re.compile(r"[0-9A-Z]{5}")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class PfsRvu:
    code: str
    status: str
    work: Decimal
    facility_pe: Decimal
    nonfacility_pe: Decimal | None
    """None when the file says NA (not paid in a non-facility setting)."""
    malpractice: Decimal
    facility_total: Decimal
    global_days: str
    multiple_procedure: str
    conversion_factor: Decimal
    modifier: str = ""
    """The MOD cell: "" the global row, "26" professional component, "TC" technical."""
    pctc_indicator: str = ""
    """PCTC IND (0 no split, 1 splits into 26 and TC, 2 professional only, ...)."""


@dataclass(frozen=True, slots=True)
class Gpci:
    carrier: str
    locality: str
    name: str
    work: Decimal
    practice_expense: Decimal
    malpractice: Decimal


def _number(path: Path, line: int, column: str, text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise ReferenceDataError(f"{path}:{line}: column {column!r}: not a number: {text!r}")
    return value


def _is_header_line(row: list[str]) -> bool:
    """A line of the column header: text past the first three cells (the title, notice and
    release lines above it have text in the DESCRIPTION cell only)."""
    return any(cell.strip() for cell in row[3:])


def _columns(path: Path, rows: list[list[str]]) -> tuple[int, dict[str, int]]:
    """The header's last line (HCPCS, MOD, ...) and each column read → its position."""
    last = next(
        (i for i, row in enumerate(rows) if [c.strip() for c in row[:2]] == [HCPCS, MOD]), None
    )
    if last is None:
        raise ReferenceDataError(
            f"{path}:{len(rows)}: not the PFS relative value layout (header cells): no line "
            "starts HCPCS,MOD (a cut or damaged header)"
        )
    first = last
    while first > 0 and _is_header_line(rows[first - 1]):
        first -= 1
    width = len(rows[last])
    names = [
        " ".join(
            cell
            for row in rows[first : last + 1]
            if position < len(row) and (cell := row[position].strip())
        )
        for position in range(width)
    ]
    positions: dict[str, int] = {}
    for column in RVU_COLUMNS:
        found = [i for i, name in enumerate(names) if name == column]
        if len(found) != 1:
            raise ReferenceDataError(
                f"{path}:{first + 1}-{last + 1}: not the PFS relative value layout (header "
                f"cells): column {column!r} found {len(found)} times"
            )
        positions[column] = found[0]
    return last, positions


def _check_cells(path: Path, line: int, row: list[str], at: dict[str, int]) -> None:
    """Every cell read is free of control characters (NUL bytes of a damaged copy) and the
    HCPCS cell is a HCPCS code: a damaged row is refused, never skipped."""
    for column, position in at.items():
        if CONTROL.search(row[position]):
            raise ReferenceDataError(
                f"{path}:{line}: column {column!r}: control characters in {row[position]!r} "
                "(a damaged line)"
            )
    if not HCPCS_CODE.fullmatch(row[at[HCPCS]].strip()):
        raise ReferenceDataError(
            f"{path}:{line}: column {HCPCS!r}: {row[at[HCPCS]]!r} is not a HCPCS code"
        )


def read_relative_values(path: Path) -> tuple[Release, list[PfsRvu]]:
    """A PPRRVU file (the 2025 layout, or 2026's with PRIC IND): its release (from the title
    line) and every row, global and component (26, TC)."""
    rows = official_rows(path)
    title = next((m for row in rows[:5] for cell in row if (m := RVU_TITLE.search(cell))), None)
    if title is None:
        raise ReferenceDataError(f"{path}: no 'NNNN National Physician Fee Schedule' title")
    header, at = _columns(path, rows)
    release = calendar_year(path, title.group(0), int(title.group(1)))
    found: list[PfsRvu] = []
    for line, row in enumerate(rows[header + 1 :], start=header + 2):
        if not row or not row[0].strip():
            continue
        if len(row) < len(rows[header]):
            raise ReferenceDataError(
                f"{path}:{line}: {len(row)} cells; the header has {len(rows[header])} "
                "(a damaged or cut line)"
            )
        _check_cells(path, line, row, at)
        modifier = row[at[MOD]].strip()
        if modifier not in COMPONENT_MODIFIERS:
            continue  # 53 (discontinued) and other modifier rows are not read

        def number(column: str, line: int = line, row: list[str] = row) -> Decimal:
            return _number(path, line, column, row[at[column]])

        found.append(
            PfsRvu(
                code=row[at[HCPCS]].strip(),
                status=row[at[STATUS]].strip(),
                work=number(WORK),
                facility_pe=number(FACILITY_PE),
                nonfacility_pe=None
                if row[at[NONFACILITY_NA]].strip() == "NA"
                else number(NONFACILITY_PE),
                malpractice=number(MP),
                facility_total=number(FACILITY_TOTAL),
                global_days=row[at[GLOBAL_DAYS]].strip(),
                multiple_procedure=row[at[MULT_PROC]].strip(),
                conversion_factor=number(CONV_FACTOR),
                modifier=modifier,
                pctc_indicator=row[at[PCTC]].strip(),
            )
        )
    if not found:
        raise ReferenceDataError(f"{path}:{header + 1}: no data rows under the header (a cut file)")
    return release, found


def read_gpci(path: Path) -> tuple[Release, list[Gpci]]:
    """Addendum E (GPCI<yyyy>.csv): MAC, state, locality, name, PW, PE and MP GPCI."""
    rows = official_rows(path)
    title = next((m for row in rows[:3] for cell in row if (m := GPCI_TITLE.search(cell))), None)
    header = next(
        (i for i, row in enumerate(rows) if row and row[0].startswith("Medicare Admin")), None
    )
    if title is None or header is None:
        raise ReferenceDataError(f"{path}: not the GPCI layout (title and header lines)")
    release = calendar_year(path, title.group(0).strip(), int(title.group(1)))
    at = _gpci_columns(path, header + 1, rows[header])
    width = len(rows[header])
    found: list[Gpci] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in enumerate(rows[header + 1 :], start=header + 2):
        if not row or not row[0].strip().isdigit():
            continue  # blank lines and the footnotes under the table
        if len(row) != width:
            raise ReferenceDataError(
                f"{path}:{line}: {len(row)} cells; the header has {width} (a damaged line)"
            )
        gpci = Gpci(
            carrier=row[at["MAC"]].strip(),
            locality=row[at["Locality Number"]].strip().zfill(2),
            name=row[at["Locality Name"]].strip(),
            work=_number(path, line, "PW GPCI", row[at["PW GPCI"]]),
            practice_expense=_number(path, line, "PE GPCI", row[at["PE GPCI"]]),
            malpractice=_number(path, line, "MP GPCI", row[at["MP GPCI"]]),
        )
        earlier = seen.setdefault((gpci.carrier, gpci.locality), line)
        if earlier != line:
            raise ReferenceDataError(
                f"{path}:{line}: a second row for carrier {gpci.carrier} locality "
                f"{gpci.locality} (the first is line {earlier})"
            )
        found.append(gpci)
    return release, found


def _gpci_columns(path: Path, line: int, header: list[str]) -> dict[str, int]:
    """Each GPCI column read → its position, found by its header cell, each exactly once."""
    at: dict[str, int] = {}
    for column, pattern in GPCI_COLUMNS:
        found = [i for i, cell in enumerate(header) if pattern.fullmatch(cell.strip())]
        if len(found) != 1:
            raise ReferenceDataError(
                f"{path}:{line}: not the GPCI layout (header cells): column {column!r} found "
                f"{len(found)} times"
            )
        at[column] = found[0]
    return at


def read_zip5(path: Path) -> tuple[Release, dict[str, tuple[str, str]]]:
    """ZIP5_<MON><YYYY>.txt, fixed width: state 1-2, ZIP 3-7, carrier 8-12, locality 13-14,
    year and quarter 76-80 (ZIP5lyout.txt). ZIP → (carrier, locality), the ~110 distinct
    pairs shared: the file has ~43,000 records and this is read at start-up."""
    raw = official_bytes(path)
    pairs: dict[tuple[str, str], tuple[str, str]] = {}
    found: dict[str, tuple[str, str]] = {}
    first_quarter = ""
    # One record at a time: a list of every line, or a StringIO, would hold the file twice.
    for line, match in enumerate(re.finditer(rb"[^\n]*\n?", raw), start=1):
        record = match.group().decode("ascii", errors="replace")
        if not record.strip():
            continue
        zip_code, carrier, locality = record[2:7], record[7:12], record[12:14]
        quarter = record[75:80]
        if not (zip_code.isdigit() and carrier.isdigit() and locality.isdigit()):
            raise ReferenceDataError(f"{path}:{line}: not the ZIP5 layout (ZIP, carrier, locality)")
        if not (len(quarter) == 5 and quarter.isdigit()):
            raise ReferenceDataError(f"{path}:{line}: column 'Year/Quarter' (76-80): {quarter!r}")
        first_quarter = first_quarter or quarter
        found[zip_code] = pairs.setdefault((carrier, locality), (carrier, locality))
    if not found:
        raise ReferenceDataError(f"{path}: no ZIP5 records")
    year, quarter = first_quarter[:4], first_quarter[4]
    title = f"ZIP code to carrier locality file, {year} quarter {quarter}"
    return calendar_year(path, title, int(year), published=raw), found
