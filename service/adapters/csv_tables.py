"""Reading effective-dated CSV tables with errors that name the file, line and column."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import get_args

from contracts.vocabulary import Confidence
from service.domain.reference import Provenance

CONFIDENCES: frozenset[str] = frozenset(get_args(Confidence))


class ReferenceDataError(ValueError):
    """A reference table that cannot be read; the message names file, line and column."""


@dataclass(frozen=True, slots=True)
class CsvRow:
    path: Path
    line: int
    cells: dict[str, str]

    def where(self, column: str) -> str:
        return f"{self.path}:{self.line}: column {column!r}"

    def text(self, column: str, *, required: bool = True) -> str:
        value = (self.cells.get(column) or "").strip()
        if required and not value:
            raise ReferenceDataError(f"{self.where(column)}: missing value")
        return value

    def date(self, column: str, *, required: bool = True) -> date | None:
        value = self.text(column, required=required)
        if not value or value == "*":
            return None
        try:
            if len(value) == 8 and value.isdigit():
                return date(int(value[:4]), int(value[4:6]), int(value[6:]))
            return date.fromisoformat(value)
        except ValueError as error:
            raise ReferenceDataError(f"{self.where(column)}: not a date: {value!r}") from error

    def decimal(self, column: str) -> Decimal:
        value = self.text(column)
        try:
            return Decimal(value)
        except InvalidOperation as error:
            raise ReferenceDataError(f"{self.where(column)}: not a number: {value!r}") from error

    def optional_decimal(self, column: str) -> Decimal | None:
        return self.decimal(column) if self.text(column, required=False) else None

    def integer(self, column: str) -> int:
        value = self.text(column)
        digits = value.split()[0] if value.split() else value
        if not digits.isdigit():
            raise ReferenceDataError(f"{self.where(column)}: not a whole number: {value!r}")
        return int(digits)

    def provenance(self, table: str, key: str) -> Provenance:
        confidence = self.text("confidence")
        if confidence not in CONFIDENCES:
            raise ReferenceDataError(
                f"{self.where('confidence')}: {confidence!r} is not one of {sorted(CONFIDENCES)}"
            )
        effective_from = self.date("effective_from")
        assert effective_from is not None
        return Provenance(
            table=table,
            key=key,
            effective_from=effective_from,
            effective_to=self.date("effective_to", required=False),
            source=self.text("source"),
            confidence=confidence,  # type: ignore[arg-type]
        )


def read_rows(path: Path, header_marker: str | None = None) -> Iterator[CsvRow]:
    """Rows of a CSV (or tab-separated) file as dicts keyed by header.

    With `header_marker`, lines before the first line containing it are skipped: official
    CMS files open with copyright and title lines.
    """
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    lines = text.splitlines()
    start = 0
    if header_marker is not None:
        start = next((i for i, line in enumerate(lines) if header_marker in line), -1)
        if start < 0:
            raise ReferenceDataError(f"{path}: no header line containing {header_marker!r}")
    delimiter = "\t" if "\t" in lines[start] else ","
    reader = csv.reader(io.StringIO("\n".join(lines[start:])), delimiter=delimiter)
    header = [cell.strip() for cell in next(reader, [])]
    for offset, cells in enumerate(reader, start=start + 2):
        if not any(cell.strip() for cell in cells):
            continue
        yield CsvRow(path, offset, dict(zip(header, cells, strict=False)))


def official_rows(path: Path) -> list[list[str]]:
    """Every line of an official CSV as cells. Strict: a quote left open is an error naming
    its line, never a field that silently swallows the lines after it."""
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        return list(reader)
    except csv.Error as error:
        raise ReferenceDataError(f"{path}:{reader.line_num}: not valid CSV: {error}") from error


def column_starting(row: CsvRow, prefix: str) -> str:
    for name in row.cells:
        if name.lower().startswith(prefix.lower()):
            return name
    raise ReferenceDataError(f"{row.path}: no column starting with {prefix!r}")
