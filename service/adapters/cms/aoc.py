"""CMS's NCCI Medicare add-on code (AOC) edit workbook, read as CMS publishes it (.xlsx).

One sheet: an AMA notice in the first row, then the header `AOC_Edit_Type, Add-On_Code,
AOC_DelDT, Primary_Code, Primary_Code_DelDT, AOC_Edit_EffDT, AOC_Edit_DelDT,
Special_Instruction_Notes` and one row per add-on/primary pair (~9,000 rows). Dates are Julian
YYYYDDD (2026001 is 2026-01-01); a deletion date is blank (or "*") while the edit stands. Edit
type 1 lists the primaries, type 2 names none (primary `CCCCC`: contractor-defined), type 3
lists some (the MAC may accept others; eight type 3 add-ons have a `CCCCC` row too). The
workbook is read streaming (openpyxl read-only): the real 2026 Q2 file (225 kB zipped, 1.8 MB
of sheet XML, 9,000 rows) reads and checks in about 1 s on a busy 2-core machine, most of it
openpyxl's XML parsing, with a peak of ~3 MB of Python memory.
"""

import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from contracts import ReferenceSource
from service.adapters.cms.release import cms_reference_source, cms_source, sha256_of
from service.adapters.csv_tables import ReferenceDataError
from service.domain.reference import CONTRACTOR_DEFINED, AocRow, Provenance

HEADER = (
    "AOC_Edit_Type",
    "Add-On_Code",
    "AOC_DelDT",
    "Primary_Code",
    "Primary_Code_DelDT",
    "AOC_Edit_EffDT",
    "AOC_Edit_DelDT",
    "Special_Instruction_Notes",
)
HCPCS = re.compile(r"[0-9A-Z]{5}")
JULIAN = re.compile(r"(\d{4})(\d{3})")
VERSION = re.compile(r"V(\d{4})Q([1-4])", re.IGNORECASE)
HEADER_ROWS = 10
"""The header is looked for in this many first rows (CMS puts one notice row above it)."""

EditType = Literal[1, 2, 3]


@dataclass(frozen=True, slots=True)
class AocEdit:
    """One row of the workbook: an add-on, one primary, and the dates the pair is in force."""

    edit_type: EditType
    addon: str
    addon_deleted: date | None
    primary: str
    """A HCPCS code, or CCCCC (contractor-defined) on a type 2 and some type 3 rows."""
    primary_deleted: date | None
    effective: date
    deleted: date | None
    notes: str
    row: int
    """The sheet row it was read from (1-based, as Excel shows it)."""

    @property
    def last_day(self) -> date | None:
        """The last day the pair is in force: the earliest of the edit's, the add-on's and the
        primary's deletion dates (a deletion date is the last day, 2025365 is 2025-12-31)."""
        ends = [d for d in (self.deleted, self.addon_deleted, self.primary_deleted) if d]
        return min(ends) if ends else None


@dataclass(frozen=True, slots=True)
class AocWorkbook:
    """The file read: its name, sheet, sha256 and the quarter its name or sheet gives."""

    file: str
    sheet: str
    sha256: str
    version: str
    """"2026Q2" from `AOC_V2026Q2-MCR`; "" when neither the sheet nor the file name says."""

    @property
    def title(self) -> str:
        quarter = f", {self.version[:4]} Q{self.version[5:]}" if self.version else ""
        return f"NCCI Medicare add-on code edits{quarter}"

    @property
    def source(self) -> str:
        return cms_source(self.title, self.file, self.sha256)

    @property
    def reference_source(self) -> ReferenceSource:
        return cms_reference_source(self.title, self.file, self.sha256)


def is_aoc_workbook(path: Path) -> bool:
    """Whether the file is an .xlsx (a zip) with a sheet whose header is the AOC layout's
    (its first two cells): told by content, never by the file's name."""
    if not zipfile.is_zipfile(path):
        return False
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        return False
    try:
        return any(
            _header_row(sheet.iter_rows(max_row=HEADER_ROWS, values_only=True))
            for sheet in workbook.worksheets
        )
    finally:
        workbook.close()


def _header_row(rows: Iterable[tuple[object, ...]]) -> int | None:
    for number, cells in enumerate(rows, start=1):
        if tuple(_text(c) for c in cells[:2]) == HEADER[:2]:
            return number
    return None


def read_aoc(path: Path) -> tuple[AocWorkbook, list[AocEdit]]:
    """Every row of the workbook, each checked; an error names file, sheet, row and column."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise ReferenceDataError(f"{path}: not an Excel workbook: {error}") from error
    try:
        for sheet in workbook.worksheets:
            header = _header_row(sheet.iter_rows(max_row=HEADER_ROWS, values_only=True))
            if header is None:
                continue
            where = f"{path.name}, sheet {sheet.title!r}"
            rows = sheet.iter_rows(min_row=header, values_only=True)
            _check_header(where, header, next(rows))
            edits = list(_edits(where, header + 1, rows))
            if not edits:
                raise ReferenceDataError(f"{where}: no add-on code rows below the header")
            found = VERSION.search(sheet.title) or VERSION.search(path.name)
            version = f"{found.group(1)}Q{found.group(2)}" if found else ""
            return AocWorkbook(path.name, sheet.title, sha256_of(path), version), edits
    finally:
        workbook.close()
    raise ReferenceDataError(
        f"{path.name}: no sheet with the add-on code edit header ({', '.join(HEADER)}) in its "
        f"first {HEADER_ROWS} rows"
    )


def aoc_rows(
    workbook: AocWorkbook, edits: Iterable[AocEdit], wanted: Iterable[str] | None = None
) -> list[AocRow]:
    """The engine's rows (the add-ons in `wanted`, or all), each naming the workbook."""
    keep = None if wanted is None else frozenset(wanted)
    return [
        AocRow(
            edit.addon,
            edit.primary,
            edit.edit_type,
            Provenance(
                "aoc",
                f"{edit.addon}/{edit.primary}",
                edit.effective,
                edit.last_day,
                workbook.source,
                "confirmed",
            ),
        )
        for edit in edits
        if keep is None or edit.addon in keep
    ]


def _check_header(where: str, row: int, cells: tuple[object, ...]) -> None:
    for column, expected in enumerate(HEADER, start=1):
        found = _text(cells[column - 1]) if column <= len(cells) else ""
        if found != expected:
            raise ReferenceDataError(
                f"{where}, row {row}, column {get_column_letter(column)}: header "
                f"{found!r}, expected {expected!r}"
            )


def _edits(where: str, first: int, rows: Iterable[tuple[object, ...]]) -> Iterator[AocEdit]:
    for number, cells in enumerate(rows, start=first):
        if not any(_text(c) for c in cells):
            continue
        cell = _Cells(where, number, cells)
        edit_type = cell.edit_type()
        primary = cell.primary(edit_type)
        effective = cell.julian(6)
        if effective is None:
            raise cell.error(6, "missing effective date")
        yield AocEdit(
            edit_type=edit_type,
            addon=cell.code(2),
            addon_deleted=cell.julian(3),
            primary=primary,
            primary_deleted=cell.julian(5),
            effective=effective,
            deleted=cell.julian(7),
            notes=cell.text(8),
            row=number,
        )


@dataclass(frozen=True, slots=True)
class _Cells:
    where: str
    row: int
    cells: tuple[object, ...]

    def error(self, column: int, problem: str) -> ReferenceDataError:
        name = HEADER[column - 1]
        return ReferenceDataError(
            f"{self.where}, row {self.row}, column {get_column_letter(column)} ({name}): {problem}"
        )

    def text(self, column: int) -> str:
        return _text(self.cells[column - 1]) if column <= len(self.cells) else ""

    def edit_type(self) -> EditType:
        value = self.text(1)
        if value not in ("1", "2", "3"):
            raise self.error(1, f"{value!r} is not edit type 1, 2 or 3")
        return int(value)  # type: ignore[return-value]

    def code(self, column: int) -> str:
        value = self.text(column)
        if not HCPCS.fullmatch(value) or value == CONTRACTOR_DEFINED:
            raise self.error(column, f"{value!r} is not a HCPCS code")
        return value

    def primary(self, edit_type: EditType) -> str:
        """A HCPCS code; CCCCC (contractor-defined) on every type 2 row and on some type 3
        rows (the MAC adds primaries to those CMS lists), never on a type 1 row."""
        value = self.text(4)
        if value == CONTRACTOR_DEFINED and edit_type != 1:
            return value
        if edit_type == 2:
            raise self.error(4, f"{value!r}: a type 2 row's primary is CCCCC")
        return self.code(4)

    def julian(self, column: int) -> date | None:
        """YYYYDDD → date; blank or "*" → None (not deleted)."""
        value = self.text(column)
        if value in ("", "*"):
            return None
        found = JULIAN.fullmatch(value)
        if found is not None:
            year, day = int(found.group(1)), int(found.group(2))
            first = date(year, 1, 1) if year >= 1 else None
            if first is not None and 1 <= day <= (date(year, 12, 31) - first).days + 1:
                return first + timedelta(days=day - 1)
        raise self.error(column, f"{value!r} is not a Julian date YYYYDDD")


def _text(value: object) -> str:
    """A cell as text: CMS stores the codes and dates as text; a number typed into a copy
    (2026001.0) reads as its digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
