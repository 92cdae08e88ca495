"""The Physician Fee Schedule's own files: relative values (PPRRVU), GPCI and ZIP5.

Each reader checks the layout it relies on (the header cells at the positions it reads) and
names file, line and column for any cell it cannot use. Rows with a modifier (26, TC, 53)
are professional or technical components; only the global rows (no modifier) are read.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from service.adapters.cms.release import Release, calendar_year, official_bytes
from service.adapters.csv_tables import ReferenceDataError, official_rows

# The relative value file's last header line, cell by cell (its header spans five lines).
RVU_HEADER = (
    "HCPCS", "MOD", "DESCRIPTION", "CODE", "PAYMENT", "RVU", "PE RVU", "INDICATOR", "PE RVU",
    "INDICATOR", "RVU", "TOTAL", "TOTAL", "IND", "DAYS", "OP", "OP", "OP", "PROC", "SURG",
    "SURG", "SURG", "SURG", "BASE", "FACTOR",
)  # fmt: skip
# Positions in that layout.
HCPCS, MOD, STATUS, WORK, NONFACILITY_PE, FACILITY_PE, MP, FACILITY_TOTAL = 0, 1, 3, 5, 6, 8, 10, 12
GLOBAL_DAYS, MULT_PROC, CONV_FACTOR = 14, 18, 24
RVU_TITLE = re.compile(r"(\d{4}) National Physician Fee Schedule Relative Value File (\w+) Release")
GPCI_TITLE = re.compile(r"CY (\d{4}) GEOGRAPHIC PRACTICE COST INDICES", re.IGNORECASE)


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


def read_relative_values(path: Path) -> tuple[Release, list[PfsRvu]]:
    """A PPRRVU file: its release (from the title line) and its global rows."""
    rows = official_rows(path)
    title = next((m for row in rows[:5] for cell in row if (m := RVU_TITLE.search(cell))), None)
    if title is None:
        raise ReferenceDataError(f"{path}: no 'NNNN National Physician Fee Schedule' title")
    header = next((i for i, row in enumerate(rows) if row[:2] == ["HCPCS", "MOD"]), None)
    if header is None or tuple(c.strip() for c in rows[header][: len(RVU_HEADER)]) != RVU_HEADER:
        raise ReferenceDataError(f"{path}: not the PFS relative value layout (header cells)")
    release = calendar_year(path, title.group(0), int(title.group(1)))
    found: list[PfsRvu] = []
    for line, row in enumerate(rows[header + 1 :], start=header + 2):
        if not row or not row[HCPCS].strip() or row[MOD].strip():
            continue
        if len(row) <= CONV_FACTOR:
            raise ReferenceDataError(f"{path}:{line}: {len(row)} cells; the layout has 31")

        def number(position: int, column: str, line: int = line, row: list[str] = row) -> Decimal:
            return _number(path, line, column, row[position])

        found.append(
            PfsRvu(
                code=row[HCPCS].strip(),
                status=row[STATUS].strip(),
                work=number(WORK, "WORK RVU"),
                facility_pe=number(FACILITY_PE, "FACILITY PE RVU"),
                nonfacility_pe=None
                if row[NONFACILITY_PE + 1].strip() == "NA"
                else number(NONFACILITY_PE, "NON-FAC PE RVU"),
                malpractice=number(MP, "MP RVU"),
                facility_total=number(FACILITY_TOTAL, "FACILITY TOTAL"),
                global_days=row[GLOBAL_DAYS].strip(),
                multiple_procedure=row[MULT_PROC].strip(),
                conversion_factor=number(CONV_FACTOR, "CONV FACTOR"),
            )
        )
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
    found: list[Gpci] = []
    for line, row in enumerate(rows[header + 1 :], start=header + 2):
        if len(row) < 7 or not row[0].strip().isdigit():
            continue  # blank lines and the footnotes under the table
        found.append(
            Gpci(
                carrier=row[0].strip(),
                locality=row[2].strip().zfill(2),
                name=row[3].strip(),
                work=_number(path, line, "PW GPCI", row[4]),
                practice_expense=_number(path, line, "PE GPCI", row[5]),
                malpractice=_number(path, line, "MP GPCI", row[6]),
            )
        )
    return release, found


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
