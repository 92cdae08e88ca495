"""ASC Addenda AA (covered procedures and rates) and FF (device offsets, which also carry the
procedure's OPPS APC and payment rate), and OPPS Addendum B, as CMS publishes them each
quarter."""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from service.adapters.cms.release import Release, from_month
from service.adapters.csv_tables import ReferenceDataError, official_rows

HCPCS = re.compile(r"[A-Z0-9]{5}")
QUARTER = re.compile(r"([A-Z][a-z]+ \d{4}) Payment Indicator")


@dataclass(frozen=True, slots=True)
class AscRate:
    code: str
    payment_indicator: str
    multiple_procedure_discounting: bool
    rate: Decimal | None
    """None for packaged procedures (N1): no separate payment."""


@dataclass(frozen=True, slots=True)
class DeviceIntensive:
    code: str
    payment_indicator: str
    opps_apc: str
    opps_rate: Decimal


def _money(path: Path, line: int, column: str, text: str) -> Decimal | None:
    """`"$8,447.98 "` → 8447.98; blank → None."""
    cleaned = text.replace("$", "").replace(",", "").strip()
    if not cleaned:
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation as error:
        message = f"{path}:{line}: column {column!r}: not money: {text!r}"
        raise ReferenceDataError(message) from error


def _table(path: Path, addendum: str) -> tuple[Release, list[str], list[tuple[int, list[str]]]]:
    rows = official_rows(path)
    header_at = next((i for i, row in enumerate(rows) if row and row[0] == "HCPCS Code"), None)
    title = " ".join(rows[0][0].split()) if rows and rows[0] else ""
    if header_at is None or f"Addendum {addendum}" not in title:
        raise ReferenceDataError(f"{path}: not the ASC Addendum {addendum} layout")
    header = [" ".join(cell.split()) for cell in rows[header_at]]
    quarter = next((m.group(1) for cell in header if (m := QUARTER.search(cell))), None)
    if quarter is None:
        raise ReferenceDataError(f"{path}:{header_at + 1}: no '<Month> <Year> Payment Indicator'")
    body = _body(path, rows, header_at)
    release = from_month(path, f"ASC Addendum {addendum}, {quarter}", quarter)
    return release, header, body


def _body(path: Path, rows: list[list[str]], header_at: int) -> list[tuple[int, list[str]]]:
    """(line number, cells) of each row under the header, to the first blank line (CMS's
    notes follow it); a row whose first cell is not a HCPCS code is an error."""
    body: list[tuple[int, list[str]]] = []
    for index in range(header_at + 1, len(rows)):
        row = rows[index]
        if not any(cell.strip() for cell in row):
            break
        if not HCPCS.fullmatch(row[0].strip()):
            raise ReferenceDataError(f"{path}:{index + 1}: column 'HCPCS Code': {row[0]!r}")
        body.append((index + 1, row))
    return body


def _column(path: Path, header: list[str], name: str) -> int:
    for position, cell in enumerate(header):
        if cell.endswith(name) or cell == name:
            return position
    raise ReferenceDataError(f"{path}: no column {name!r}")


def read_addendum_aa(path: Path) -> tuple[Release, list[AscRate]]:
    release, header, body = _table(path, "AA")
    indicator = _column(path, header, "Payment Indicator")
    discounting = _column(path, header, "Subject to Multiple Procedure Discounting")
    rate = _column(path, header, "Payment Rate")
    found = []
    for line, row in body:
        flag = row[discounting].strip()
        if flag not in ("Y", "N"):
            raise ReferenceDataError(
                f"{path}:{line}: column 'Subject to Multiple Procedure Discounting': {flag!r}"
            )
        found.append(
            AscRate(
                code=row[0].strip(),
                payment_indicator=row[indicator].strip(),
                multiple_procedure_discounting=flag == "Y",
                rate=_money(path, line, "Payment Rate", row[rate]),
            )
        )
    return release, found


def read_addendum_ff(path: Path) -> tuple[Release, list[DeviceIntensive]]:
    """Only the rows with an OPPS APC and rate (device-intensive procedures)."""
    release, header, body = _table(path, "FF")
    indicator = _column(path, header, "Payment Indicator")
    apc = _column(path, header, "APC")
    rate = _column(path, header, "OPPS Payment Rate")
    found = []
    for line, row in body:
        amount = _money(path, line, "OPPS Payment Rate", row[rate])
        if amount is None or not row[apc].strip():
            continue
        code, kind = row[0].strip(), row[indicator].strip()
        found.append(DeviceIntensive(code, kind, row[apc].strip(), amount))
    return release, found


@dataclass(frozen=True, slots=True)
class OppsPayment:
    code: str
    status_indicator: str
    apc: str
    rate: Decimal | None
    """None when the addendum gives no rate (packaged or not paid under OPPS)."""


ADDENDUM_B_QUARTER = re.compile(r"(January|April|July|October)\s+(\d{4})")
# CMS's own file names put the year first: "2026 January Web Addendum B.12.29.25.csv".
ADDENDUM_B_YEAR_FIRST = re.compile(r"(\d{4})\s+(January|April|July|October)")


def _addendum_b_quarter(text: str) -> str | None:
    """ "January 2026" from "January 2026 ..." or from "2026 January ..."."""
    if (found := ADDENDUM_B_QUARTER.search(text)) is not None:
        return f"{found.group(1)} {found.group(2)}"
    if (found := ADDENDUM_B_YEAR_FIRST.search(text)) is not None:
        return f"{found.group(2)} {found.group(1)}"
    return None


def read_addendum_b(path: Path) -> tuple[Release, list[OppsPayment]]:
    """OPPS Addendum B as CMS publishes it (CSV of the quarterly workbook): title and note
    lines, then `HCPCS Code, Short Descriptor, SI, APC, Relative Weight, Payment Rate, ...`.
    The quarter comes from the title lines, else from the file name: CMS's own ("2026
    January Web Addendum B.12.29.25.csv") or month first ("January 2026 Addendum B.csv").
    Built from the published layout: no real copy was at hand here."""
    rows = official_rows(path)
    header_at = next(
        (i for i, row in enumerate(rows) if row and row[0].strip() == "HCPCS Code"), None
    )
    if header_at is None:
        message = f"{path}: not the OPPS Addendum B layout (no 'HCPCS Code' header)"
        raise ReferenceDataError(message)
    header = [" ".join(cell.split()) for cell in rows[header_at]]
    preamble = " ".join(cell for row in rows[:header_at] for cell in row)
    month_year = _addendum_b_quarter(preamble) or _addendum_b_quarter(path.name)
    if month_year is None:
        message = (
            f"{path}: no quarter in the title or name (CMS names the file "
            "'<year> <Month> Web Addendum B.<mm.dd.yy>.csv', e.g. '2026 January Web Addendum "
            "B.12.29.25.csv'; keep its name)"
        )
        raise ReferenceDataError(message)
    release = from_month(path, f"OPPS Addendum B, {month_year}", month_year)
    indicator, apc, rate = (_column(path, header, name) for name in ("SI", "APC", "Payment Rate"))
    body = _body(path, rows, header_at)
    for line, row in body:
        if len(row) <= max(indicator, apc, rate):
            raise ReferenceDataError(
                f"{path}:{line}: {len(row)} cells; the header has {len(header)} (a cut or "
                "damaged line?)"
            )
    return release, [
        OppsPayment(
            row[0].strip(),
            row[indicator].strip(),
            row[apc].strip(),
            _money(path, line, "Payment Rate", row[rate]),
        )
        for line, row in body
    ]
