"""Which official file a row came from, and the dates it is in force."""

import gzip
import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from contracts import ReferenceSource
from service.adapters.csv_tables import ReferenceDataError

MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}


@dataclass(frozen=True, slots=True)
class Release:
    """One official file: its name, CMS's title for it, its bytes' sha256 and its dates."""

    file: str
    title: str
    sha256: str
    effective_from: date
    effective_to: date

    @property
    def source(self) -> str:
        return cms_source(self.title, self.file, self.sha256)

    @property
    def reference_source(self) -> ReferenceSource:
        return cms_reference_source(self.title, self.file, self.sha256)


def cms_source(title: str, file: str, sha256: str) -> str:
    """How a row names the CMS file it came from."""
    return f"CMS {title} ({file}, sha256 {sha256[:12]})"


def cms_reference_source(title: str, file: str, sha256: str) -> ReferenceSource:
    """How an outcome names a CMS file its ruleset was read from."""
    return ReferenceSource(name=file, release=f"CMS {title}", sha256=sha256)


def official_bytes(path: Path) -> bytes:
    """The file's bytes as CMS published them (a shipped copy may be gzip-compressed)."""
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.suffix == ".gz" else raw


def official_head(path: Path, size: int = 8192) -> bytes:
    """The first bytes as published, without reading (or decompressing) the whole file:
    an official PTP file is ~30 MB."""
    with gzip.open(path) if path.suffix == ".gz" else path.open("rb") as opened:
        return opened.read(size)


def published_name(path: Path) -> str:
    return path.name.removesuffix(".gz")


def sha256_of(path: Path, published: bytes | None = None) -> str:
    """Of the published bytes, so the digest matches CMS's own file (`published`: those
    bytes, when the caller has already read them)."""
    return hashlib.sha256(official_bytes(path) if published is None else published).hexdigest()


def calendar_year(path: Path, title: str, year: int, published: bytes | None = None) -> Release:
    """A file CMS publishes for a calendar year (PFS relative values, GPCI, ZIP to locality):
    in force for the whole year; a later release of the same year corrects it and replaces
    it (two files of the same table and release are an error where they are loaded)."""
    digest = sha256_of(path, published)
    return Release(published_name(path), title, digest, date(year, 1, 1), date(year, 12, 31))


def from_month(path: Path, title: str, month_year: str) -> Release:
    """A quarterly file titled by its first month ("January 2026"): in force from that month
    to the end of its year, unless a later quarter's file of the year is loaded too."""
    found = re.fullmatch(r"\s*([A-Za-z]+)\s+(\d{4})\s*", month_year)
    month = MONTHS.get(found.group(1).lower()) if found else None
    if found is None or month is None:
        raise ReferenceDataError(f"{path}: no month and year in {month_year!r}")
    year = int(found.group(2))
    start, end = date(year, month, 1), date(year, 12, 31)
    return Release(published_name(path), title, sha256_of(path), start, end)
