"""Official CMS files dropped into CLAIM_EDIT_REFERENCE_DIR, recognised by their first lines.

NCCI PTP files replace the shipped pairs in every ruleset (rows keep their own effective and
deletion dates); the practitioner and the hospital outpatient tables each replace their own
setting's table only. An MUE file replaces the shipped values of its setting from the date
it is in force (its content's, else its name's `Eff_MM-DD-YYYY`). Payment files (PFS
relative values, GPCI, ZIP5, ASC Addenda AA and FF, OPPS Addendum B) replace the matching
table of each ruleset whose dates their release overlaps. A file of no known layout
is named and ignored (one named like a CMS file of a known layout is an error: a damaged
header); two files of one table and release are an error.

A release must hold a row for every code the shipped table it replaces has a row for (over
the same dates): otherwise start-up stops naming the codes, unless the operator accepts a
partial release (CLAIM_EDIT_ACCEPT_PARTIAL_REFERENCE), when the shipped rows stay in force
for the codes it lacks and `reference show` and a start-up warning say which. The same
rule holds for the add-on code edits (per add-on), the GPCI table (per carrier and locality)
and the ZIP5 table (per carrier and locality a ZIP maps onto: ZIP codes come and go each
quarter, localities rarely). A lone PFS twin whose factor is the shipped factor of the
other track (and not its own) is refused: its name looks swapped.
The NCCI add-on code edit workbook (.xlsx, told by its sheet's header) replaces the shipped
aoc.csv of each ruleset its rows overlap (each row keeps its own dates). From 2026 the PFS
relative value file comes as two twins, one per conversion-factor track (`_QPP`,
`_nonQPP`): both load, each giving its own track's factor, and their relative values must
agree.
"""

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

from contracts import ReferenceSource
from service.adapters.cms.aoc import aoc_rows, read_aoc
from service.adapters.cms.asc import read_addendum_aa, read_addendum_b, read_addendum_ff
from service.adapters.cms.files import AOC_WORKBOOK, Layout, layout_by_name, layout_of
from service.adapters.cms.pfs import read_gpci, read_relative_values, read_zip5
from service.adapters.cms.release import Release, official_head, sha256_of
from service.adapters.cms.tables import (
    BOTH_TRACKS,
    addendum_b_rows,
    asc_rows,
    conversion_factor_rows,
    locality_index,
    locality_rows,
    opps_rows,
    provenance,
    rvu_rows,
    tracks_of,
)
from service.adapters.csv_tables import ReferenceDataError
from service.adapters.ncci_tables import (
    cut_file_error,
    official_mue,
    official_ptp,
    pair_index,
    ptp_codes,
)
from service.domain.reference import (
    AocRow,
    AscRow,
    ConversionFactorRow,
    LocalityRow,
    MueRow,
    OppsRow,
    Provenance,
    PtpRow,
    RowT,
    Ruleset,
    RvuRow,
    ZipTable,
    index_by,
)


@dataclass(frozen=True, slots=True)
class OfficialTables:
    mue_practitioner: tuple[MueRow, ...] | None = None
    mue_outpatient: tuple[MueRow, ...] | None = None
    ptp_practitioner: tuple[PtpRow, ...] | None = None
    ptp_outpatient: tuple[PtpRow, ...] | None = None
    rvus: tuple[RvuRow, ...] | None = None
    conversion_factors: tuple[ConversionFactorRow, ...] | None = None
    asc: tuple[AscRow, ...] | None = None
    opps: tuple[OppsRow, ...] | None = None
    localities: tuple[LocalityRow, ...] | None = None
    zip_tables: tuple[ZipTable, ...] | None = None
    aoc: tuple[AocRow, ...] | None = None
    """NCCI add-on code edits (rows keep their own dates, like PTP rows)."""
    sources: tuple[tuple[ReferenceSource, date, date | None], ...] = ()
    """Each file read, with the dates it is in force (NCCI PTP files: every date)."""
    ignored: tuple[str, ...] = ()
    files: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Table → the names of the files that fed it."""


BINARY_SUFFIXES = frozenset({".gz", ".xlsx", ".xls", ".zip"})
PTP_NAME = re.compile(r"cci(pra|oph)-v(\d+)r(\d+)-f(\d+)", re.IGNORECASE)
"""CMS's PTP file names: ccipra-v322r0-f1.txt (practitioner), ccioph-... (hospital)."""


@dataclass(frozen=True, slots=True)
class _PtpFile:
    path: Path
    kind: str
    release: str | None
    number: int | None


def _ptp_file(path: Path) -> _PtpFile:
    """Practitioner or hospital outpatient: by what the file's first lines say, else by
    CMS's name for it (ccipra-…: practitioner, ccioph-…: outpatient hospital)."""
    # the lines before the header (notice, title): rows further on are not about the file
    head = official_head(path).decode("utf-8", errors="replace").split("Column 1")[0].lower()
    by_content = (
        "ptp_outpatient"
        if "hospital" in head
        else "ptp_practitioner"
        if "practitioner" in head
        else None
    )
    named = PTP_NAME.search(path.name)
    by_name = None
    if named is not None:
        by_name = "ptp_practitioner" if named.group(1).lower() == "pra" else "ptp_outpatient"
    kind = by_content or by_name
    if kind is None:
        raise ReferenceDataError(
            f"{path}: a PTP file, but neither its lines nor its name tell whether it is the "
            "practitioner or the hospital outpatient table: keep CMS's file name "
            "(ccipra-v<version>r<revision>-f<n>: practitioner; ccioph-…: hospital outpatient)"
        )
    if named is None:
        return _PtpFile(path, kind, None, None)
    return _PtpFile(path, kind, f"v{named.group(2)}r{named.group(3)}", int(named.group(4)))


def _one_ptp_release(files: list[_PtpFile]) -> None:
    """A PTP table's files are one release's, each once, numbered without a gap."""
    releases = sorted({f.release or "(unnamed)" for f in files})
    names = ", ".join(f.path.name for f in files)
    where = files[0].path.parent
    if len(releases) > 1:
        raise ReferenceDataError(
            f"{where}: PTP files of {len(releases)} releases ({', '.join(releases)}): {names}; "
            "keep the files of one release"
        )
    numbers = [f.number for f in files if f.number is not None]
    if len(numbers) != len(set(numbers)):
        raise ReferenceDataError(f"{where}: two PTP files with one number: {names}")
    gaps = sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
    if gaps:
        raise ReferenceDataError(
            f"{where}: PTP files {names}: file {', '.join(f'f{n}' for n in gaps)} of the "
            "release is missing; copy every file CMS ships for it"
        )


def _ptp_source(found: _PtpFile) -> ReferenceSource:
    table = "practitioner" if found.kind == "ptp_practitioner" else "hospital outpatient"
    release = f" {found.release}" if found.release else ""
    return ReferenceSource(
        name=found.path.name,
        release=f"CMS NCCI {table} PTP edits{release}",
        sha256=sha256_of(found.path),
    )


def _payment_tables(path: Path, layout: Layout) -> tuple[Release, dict[str, list[object]]]:
    """One official payment file → its release and the rows of each table it feeds."""
    if layout == "pfs_rvu":
        release, values = read_relative_values(path)
        return release, {
            "rvus": list(rvu_rows(release, values)),
            "conversion_factors": list(conversion_factor_rows(release, values)),
        }
    if layout == "gpci":
        release, gpcis = read_gpci(path)
        return release, {"localities": list(locality_rows(release, gpcis))}
    if layout == "zip5":
        release, table = read_zip5(path)
        return release, {"zip_tables": [ZipTable(table, provenance(release, "zip5", release.file))]}
    if layout == "asc_aa":
        release, rates = read_addendum_aa(path)
        return release, {"asc": list(asc_rows(release, rates))}
    if layout == "opps_b":
        release, payments = read_addendum_b(path)
        return release, {"opps": list(addendum_b_rows(release, payments))}
    release, devices = read_addendum_ff(path)
    return release, {"opps": list(opps_rows(release, devices))}


def load_official(directory: Path, wanted: frozenset[str] | None = None) -> OfficialTables:
    """Every file of a known layout in the directory (recognised by its first lines); of
    the NCCI PTP pairs, only those with a code in `wanted` (the codes the edits know)."""
    found: dict[str, list[object]] = {}
    files: dict[str, list[str]] = {}
    releases: dict[tuple[str, date], str] = {}
    twins: dict[date, tuple[str, list[object]]] = {}
    sources: list[tuple[ReferenceSource, date, date | None]] = []
    ignored: list[str] = []
    ptp_files: dict[str, list[_PtpFile]] = {}
    mue_files: dict[str, list[tuple[Path, date, tuple[MueRow, ...]]]] = {}
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        layout = layout_of(path)
        text = layout is not None and path.suffix.lower() not in BINARY_SUFFIXES
        if text and (cut := cut_file_error(path)) is not None:
            raise cut
        if layout is None:
            if (named := layout_by_name(path)) == AOC_WORKBOOK:
                raise ReferenceDataError(
                    f"{path}: named like CMS's {named}, but not a valid .xlsx workbook with "
                    "the add-on code edit sheet (truncated or damaged?); copy the file again "
                    "as CMS publishes it"
                )
            if named is not None:
                raise ReferenceDataError(
                    f"{path}: named like a CMS {named} file, but its first lines are not that "
                    "layout (a damaged header?); copy the file again as CMS publishes it"
                )
            ignored.append(path.name)
        elif layout == "mue":
            mue = official_mue(path)
            kind = f"mue_{mue.setting}"
            _only_one(
                releases,
                (kind, mue.effective_from),
                path,
                f"{kind.replace('_', ' ')} files in force from {mue.effective_from}",
            )
            mue_files.setdefault(kind, []).append((path, mue.effective_from, mue.rows))
        elif layout == "aoc":
            workbook, edits = read_aoc(path)
            _only_one(releases, ("aoc", date.min), path, "NCCI add-on code edit workbooks")
            found.setdefault("aoc", []).extend(aoc_rows(workbook, edits, wanted))
            files.setdefault("aoc", []).append(path.name)
            sources.append((workbook.reference_source, date.min, None))
        elif layout == "ptp":
            ptp = _ptp_file(path)
            ptp_files.setdefault(ptp.kind, []).append(ptp)
            found.setdefault(ptp.kind, []).extend(official_ptp(path, wanted))
            files.setdefault(ptp.kind, []).append(path.name)
            sources.append((_ptp_source(ptp), date.min, None))
        else:
            _add_payment_file(
                path,
                layout,
                found=found,
                files=files,
                releases=releases,
                twins=twins,
                sources=sources,
            )
    for ptp_group in ptp_files.values():
        _one_ptp_release(ptp_group)
    _chain_mue_files(mue_files, found, files, sources)
    _tracks_in_order(found.get("conversion_factors", []), directory)
    if not found and not ptp_files and not mue_files:
        raise ReferenceDataError(
            f"{directory}: no file of a known layout (PFS relative values, GPCI, ZIP5, ASC "
            "Addendum AA or FF, OPPS Addendum B, NCCI MUE, PTP or add-on code edits)"
            + (f"; not recognised: {', '.join(ignored)}" if ignored else ": the directory is empty")
        )
    collected: dict[str, Any] = {name: tuple(rows) for name, rows in found.items()}
    return OfficialTables(
        **collected,
        sources=tuple(sources),
        ignored=tuple(ignored),
        files={name: tuple(names) for name, names in files.items()},
    )


def _add_payment_file(
    path: Path,
    layout: Layout,
    *,
    found: dict[str, list[object]],
    files: dict[str, list[str]],
    releases: dict[tuple[str, date], str],
    twins: dict[date, tuple[str, list[object]]],
    sources: list[tuple[ReferenceSource, date, date | None]],
) -> None:
    """One official payment file's rows into the tables it feeds."""
    release, tables = _payment_tables(path, layout)
    if layout == "pfs_rvu":
        # One file per conversion-factor track: the _QPP and _nonQPP twins of one
        # release load together; their relative values must agree and are kept once.
        for track in tracks_of(release.file):
            what = f"{release.title} ({track})"
            _only_one(releases, (f"{layout} {track}", release.effective_from), path, what)
        tables["rvus"] = _twin_rvus(twins, release, path, tables["rvus"])
    else:
        _only_one(releases, (layout, release.effective_from), path, release.title)
    for name, rows in tables.items():
        # Addendum B states the OPPS status indicator; FF's rows only infer it: B's
        # go first, so a look-up finds them before FF's for one code and date.
        table = found.setdefault(name, [])
        if layout == "opps_b":
            table[:0] = rows
        else:
            table.extend(rows)
        files.setdefault(name, []).append(path.name)
    sources.append((release.reference_source, release.effective_from, release.effective_to))


def _chain_mue_files(
    mue_files: dict[str, list[tuple[Path, date, tuple[MueRow, ...]]]],
    found: dict[str, list[object]],
    files: dict[str, list[str]],
    sources: list[tuple[ReferenceSource, date, date | None]],
) -> None:
    """Each MUE file is in force from its date until the next file of its setting begins."""
    for kind, dated in mue_files.items():
        dated.sort(key=lambda item: item[1])
        for (path, start, mue_rows), following in zip(dated, [*dated[1:], None], strict=True):
            end = following[1] - timedelta(days=1) if following else None
            found.setdefault(kind, []).extend(
                replace(r, provenance=replace(r.provenance, effective_to=end)) for r in mue_rows
            )
            files.setdefault(kind, []).append(path.name)
            source = ReferenceSource(
                name=path.name,
                release=f"CMS NCCI {kind.removeprefix('mue_')} MUE values from {start}",
                sha256=sha256_of(path),
            )
            sources.append((source, start, end))


def _twin_rvus(
    twins: dict[date, tuple[str, list[object]]], release: Release, path: Path, rows: list[object]
) -> list[object]:
    """The relative values of a release the first time; for its twin (the other track's
    file) nothing, once they are found to agree row for row (only the factor differs)."""
    earlier = twins.setdefault(release.effective_from, (path.name, rows))
    if earlier[0] == path.name:
        return rows

    def values(found: list[object]) -> list[tuple[object, ...]]:
        return [
            tuple(getattr(row, f.name) for f in fields(row) if f.name != "provenance")
            for row in found
            if isinstance(row, RvuRow)
        ]

    if values(earlier[1]) != values(rows):
        raise ReferenceDataError(
            f"{path.parent}: {earlier[0]} and {path.name} are the two conversion-factor tracks "
            f"of {release.title} but their relative values differ: keep files of one release"
        )
    return []


def _tracks_in_order(factors: Sequence[object], directory: Path) -> None:
    """The qualifying APM track's factor is the higher one (from 2026 its yearly update is
    0.75% against 0.25%): twins whose names say the opposite were swapped or misnamed."""
    by_year: dict[date, dict[str, ConversionFactorRow]] = {}
    for row in factors:
        if isinstance(row, ConversionFactorRow):
            by_year.setdefault(row.provenance.effective_from, {})[row.participation] = row
    for tracks in by_year.values():
        qualifying, other = tracks.get("qualifying_apm"), tracks.get("non_qualifying_apm")
        if qualifying and other and qualifying.conversion_factor < other.conversion_factor:
            raise ReferenceDataError(
                f"{directory}: the qualifying APM factor {qualifying.conversion_factor} "
                f"({qualifying.provenance.source}) is below the non-qualifying one "
                f"{other.conversion_factor} ({other.provenance.source}): are the _QPP and "
                "_nonQPP files swapped?"
            )


def _only_one(
    seen: dict[tuple[str, date], str], key: tuple[str, date], path: Path, what: str
) -> None:
    """One file per table and release: a second is an error naming both."""
    earlier = seen.setdefault(key, path.name)
    if earlier != path.name:
        raise ReferenceDataError(
            f"{path.parent}: {earlier} and {path.name} are both {what}: keep one file per "
            "table and release"
        )


def _dated_index(
    rows: Sequence[RowT] | None, ruleset: Ruleset, key: str
) -> dict[str, tuple[RowT, ...]] | None:
    overlapping = _overlapping(rows or (), ruleset)
    return index_by(overlapping, key) if overlapping else None


def _overlapping(rows: Sequence[RowT], ruleset: Ruleset) -> list[RowT]:
    end = ruleset.effective_to or date.max
    return [
        row
        for row in rows
        if row.provenance.effective_from <= end
        and (row.provenance.effective_to or date.max) >= ruleset.effective_from
    ]


CodeRowT = TypeVar("CodeRowT", MueRow, RvuRow, OppsRow, AscRow, AocRow)
PARTIAL_SETTING = "CLAIM_EDIT_ACCEPT_PARTIAL_REFERENCE"
SHOWN_CODES = 8
LOCALITY = "carrier/locality"


@dataclass(frozen=True, slots=True)
class Replaced:
    """What an official release did to one table of one ruleset."""

    table: str
    files: tuple[str, ...]
    lacking: tuple[str, ...]
    """Codes the shipped table has rows for and the release has none for."""
    unit: str = ""
    """What `lacking` names when not codes ("carrier/locality" for GPCI and ZIP5)."""

    @property
    def verb(self) -> str:
        return "holds" if len(self.files) == 1 else "hold"

    def lacking_text(self) -> str:
        shown = ", ".join(self.lacking[:SHOWN_CODES])
        more = len(self.lacking) - SHOWN_CODES
        unit = f"{self.unit} " if self.unit else ""
        return unit + shown + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True, slots=True)
class Assembled:
    """A ruleset with the official files in, and what `reference show` and the start-up
    log say about how its tables were put together."""

    ruleset: Ruleset
    origins: dict[str, str]
    partial: tuple[str, ...]


def _overlaps(provenance: Provenance, start: date, end: date | None) -> bool:
    return (
        provenance.effective_from <= (end or date.max)
        and (provenance.effective_to or date.max) >= start
    )


def _outside(row: CodeRowT, start: date, end: date | None) -> list[CodeRowT]:
    """The parts of a shipped row's dates that fall outside [start, end]."""
    found = row.provenance
    parts: list[CodeRowT] = []
    if found.effective_from < start:
        last = min(found.effective_to or date.max, start - timedelta(days=1))
        parts.append(replace(row, provenance=replace(found, effective_to=last)))
    if end is not None and (found.effective_to or date.max) > end:
        first = max(found.effective_from, end + timedelta(days=1))
        parts.append(replace(row, provenance=replace(found, effective_from=first)))
    return parts


def _by_code(
    shipped: Mapping[str, tuple[CodeRowT, ...]],
    release: Sequence[CodeRowT],
    start: date,
    end: date | None,
    key: str = "code",
) -> tuple[dict[str, tuple[CodeRowT, ...]], tuple[str, ...]]:
    """The release's rows over [start, end] in place of the shipped rows of the codes it
    holds (their shipped rows stay outside those dates); the codes it lacks keep theirs.
    `key`: the rows' code field (`addon` for the add-on code edits)."""
    held = {getattr(row, key) for row in release}
    needed = {
        code
        for code, rows in shipped.items()
        if any(_overlaps(r.provenance, start, end) for r in rows)
    }
    lacking = tuple(sorted(needed - held))
    kept: list[CodeRowT] = [
        part
        for code, rows in shipped.items()
        for row in rows
        for part in ([row] if code not in held else _outside(row, start, end))
    ]
    merged: list[CodeRowT] = list(release)
    merged.extend(kept)
    return index_by(merged, key), lacking


def _ptp(
    shipped: Mapping[tuple[str, str], tuple[PtpRow, ...]],
    release: Sequence[PtpRow],
    ruleset: Ruleset,
) -> tuple[dict[tuple[str, str], tuple[PtpRow, ...]], tuple[str, ...]]:
    """The release's pairs; a shipped pair stays only if one of its codes is in no row of
    the release over the ruleset's dates (and the release has no row for the pair)."""
    start, end = ruleset.effective_from, ruleset.effective_to
    held = ptp_codes(r for r in release if _overlaps(r.provenance, start, end))
    needed = ptp_codes(
        r for rows in shipped.values() for r in rows if _overlaps(r.provenance, start, end)
    )
    lacking = tuple(sorted(needed - held))
    pairs = {(r.column_1, r.column_2) for r in release}
    kept = [
        r
        for pair, rows in shipped.items()
        if pair not in pairs and (pair[0] in lacking or pair[1] in lacking)
        for r in rows
    ]
    return pair_index([*release, *kept]), lacking


def _window(rows: Iterable[RowT], ruleset: Ruleset) -> tuple[date, date | None]:
    """The dates the release's rows cover within the ruleset's."""
    found = [row.provenance for row in rows]
    start = max(ruleset.effective_from, min(p.effective_from for p in found))
    ends = [p.effective_to for p in found]
    end = None if None in ends else max(e for e in ends if e is not None)
    if ruleset.effective_to is not None:
        end = ruleset.effective_to if end is None else min(end, ruleset.effective_to)
    return start, end


def partial_refusal(version: str, replaced: Sequence[Replaced]) -> ReferenceDataError:
    problems = "; ".join(
        f"{version} {r.table}: {', '.join(r.files)} {r.verb} no row for {r.lacking_text()}, "
        "which the shipped table has rows for"
        for r in replaced
    )
    return ReferenceDataError(
        f"{problems}. The file is cut or an excerpt: load the whole file as CMS publishes it "
        "(and every file of a release CMS ships in parts, such as the PTP table's f1..f4), "
        f"or set {PARTIAL_SETTING}=true (`--accept-partial-reference`) to load it anyway: "
        "its rows replace the shipped rows for the codes it holds, the shipped rows stay in "
        "force for the codes it lacks"
    )


def with_official(
    ruleset: Ruleset, official: OfficialTables, accept_partial: bool = False
) -> Assembled:
    """The ruleset with the official tables in. A release that lacks a code the shipped
    table has is refused (ReferenceDataError), unless `accept_partial`."""
    changes: dict[str, object] = {}
    replaced: list[Replaced] = []
    origins: dict[str, str] = {}
    # only the files in force in this ruleset (a 2025 file says nothing of 2026)
    current = _current_files(ruleset, official)

    def files_of(*tables: str) -> tuple[str, ...]:
        named = tuple(n for t in tables for n in official.files.get(t, ()) if n in current)
        return named or tuple(n for t in tables for n in official.files.get(t, ()))

    def by_code(
        table: str, shown: str, rows: Sequence[CodeRowT] | None, shipped: Any, key: str = "code"
    ) -> None:
        overlapping = _overlapping(rows or (), ruleset)
        if not overlapping:
            return
        start, end = _window(overlapping, ruleset)
        merged, lacking = _by_code(shipped, overlapping, start, end, key)
        changes[table] = merged
        replaced.append(Replaced(shown, files_of(table), lacking))

    by_code(
        "mue_practitioner", "mue_practitioner", official.mue_practitioner, ruleset.mue_practitioner
    )
    by_code("mue_outpatient", "mue_outpatient", official.mue_outpatient, ruleset.mue_outpatient)
    by_code("rvus", "rvu", official.rvus, ruleset.rvus)
    by_code("asc", "asc", official.asc, ruleset.asc)
    by_code("opps", "opps", official.opps, ruleset.opps)
    by_code("aoc", "aoc", official.aoc, ruleset.aoc, key="addon")
    if official.localities and (localities := _overlapping(official.localities, ruleset)):
        changes["localities"], lacking = _by_locality(ruleset.localities, localities)
        replaced.append(Replaced("gpci", files_of("localities"), lacking, LOCALITY))
    if zip_tables := _zips_in_force(official.zip_tables or (), ruleset):
        changes["zip_tables"], lacking = _by_pair(ruleset, zip_tables)
        replaced.append(Replaced("zip5", files_of("zip_tables"), lacking, LOCALITY))
    _tracks_not_swapped(ruleset, official)
    for table in ("ptp_practitioner", "ptp_outpatient"):
        release: tuple[PtpRow, ...] | None = getattr(official, table)
        if release is None:
            continue
        pairs, lacking = _ptp(getattr(ruleset, table), release, ruleset)
        changes[table] = pairs
        replaced.append(Replaced(table, files_of(table), lacking))
    if official.ptp_practitioner is not None and official.ptp_outpatient is None:
        origins["ptp_outpatient"] = (
            "shipped: no hospital outpatient PTP file loaded, so hospital claims keep the "
            "shipped pairs"
        )
    _joint_ptp_codes(ruleset, changes)
    incomplete = [r for r in replaced if r.lacking]
    if incomplete and not accept_partial:
        raise partial_refusal(ruleset.version, incomplete)
    for r in replaced:
        origins[r.table] = ", ".join(r.files) + (
            f"; shipped rows kept for {r.lacking_text()} (partial release accepted)"
            if r.lacking
            else ""
        )
    partial = tuple(
        f"{ruleset.version} {r.table}: {', '.join(r.files)} {r.verb} no row for "
        f"{r.lacking_text()}: the shipped rows stay in force for them ({PARTIAL_SETTING})"
        for r in incomplete
    )
    # Tables replaced whole when their release overlaps the ruleset's dates.
    whole, whole_origins = _whole_tables(ruleset, official, files_of)
    changes.update(whole)
    origins.update(whole_origins)
    changes["sources"] = _sources(ruleset, official)
    return Assembled(replace(ruleset, **changes), origins, partial)  # type: ignore[arg-type]


def _sources(ruleset: Ruleset, official: OfficialTables) -> tuple[ReferenceSource, ...]:
    """The ruleset's sources and the official files in force on its dates, each once (a
    file shipped in the ruleset's folder and loaded again from the directory is one)."""
    end = ruleset.effective_to or date.max
    listed = {(s.name, s.sha256) for s in ruleset.sources}
    added: list[ReferenceSource] = []
    for source, start, stop in official.sources:
        key = (source.name, source.sha256)
        if start <= end and (stop or date.max) >= ruleset.effective_from and key not in listed:
            listed.add(key)
            added.append(source)
    return (*ruleset.sources, *added)


def _joint_ptp_codes(ruleset: Ruleset, changes: dict[str, object]) -> None:
    """The codes of either PTP table, once a release replaced one of them."""
    if "ptp_practitioner" in changes or "ptp_outpatient" in changes:
        practitioner = changes.get("ptp_practitioner", ruleset.ptp_practitioner)
        outpatient = changes.get("ptp_outpatient", ruleset.ptp_outpatient)
        changes["ptp_codes"] = ptp_codes(
            *([r for rows in t.values() for r in rows] for t in (practitioner, outpatient))  # type: ignore[attr-defined]
        )


def _whole_tables(
    ruleset: Ruleset, official: OfficialTables, files_of: Callable[..., tuple[str, ...]]
) -> tuple[dict[str, object], dict[str, str]]:
    """The conversion factors an official file replaces (per track) where its release
    overlaps the ruleset's dates, and the files they came from."""
    changes: dict[str, object] = {}
    origins: dict[str, str] = {}
    factors = _dated_index(official.conversion_factors, ruleset, "participation")
    if factors is not None:
        # per track: a _nonQPP file alone leaves the shipped qualifying-APM factor in place
        changes["conversion_factors"] = {**ruleset.conversion_factors, **factors}
        origins["conversion_factors"] = ", ".join(files_of("conversion_factors"))
    return changes, origins


def _current_files(ruleset: Ruleset, official: OfficialTables) -> frozenset[str]:
    """The names of the official files in force on some date of the ruleset."""
    end = ruleset.effective_to or date.max
    return frozenset(
        source.name
        for source, begins, ends in official.sources
        if begins <= end and (ends or date.max) >= ruleset.effective_from
    )


def _by_locality(
    shipped: Mapping[tuple[str, str], tuple[LocalityRow, ...]], release: Sequence[LocalityRow]
) -> tuple[dict[tuple[str, str], tuple[LocalityRow, ...]], tuple[str, ...]]:
    """The release's GPCI rows; a (carrier, locality) the shipped table has and the release
    lacks keeps its shipped rows (named in `lacking` as carrier/locality)."""
    held = {(row.carrier, row.locality) for row in release}
    missing = sorted(set(shipped) - held)
    kept = [row for pair in missing for row in shipped[pair]]
    return locality_index([*release, *kept]), tuple(f"{c}/{loc}" for c, loc in missing)


def _by_pair(
    ruleset: Ruleset, release: Sequence[ZipTable]
) -> tuple[tuple[ZipTable, ...], tuple[str, ...]]:
    """The release's ZIP tables. ZIP codes come and go each quarter, localities rarely: a
    (carrier, locality) the shipped table maps ZIPs onto and the release maps none onto is
    lacking, and the shipped ZIPs of such a pair stay (merged into the release's table)."""
    shipped = _zips_in_force(ruleset.zip_tables, ruleset)
    needed = {pair for table in shipped for pair in table.localities.values()}
    held = {pair for table in release for pair in table.localities.values()}
    missing = needed - held
    if not missing:
        return tuple(release), ()
    kept = {
        zip_code: pair
        for table in shipped
        for zip_code, pair in table.localities.items()
        if pair in missing
    }
    first, *rest = release
    merged = ZipTable({**kept, **first.localities}, first.provenance)
    return (merged, *rest), tuple(f"{c}/{loc}" for c, loc in sorted(missing))


def _zips_in_force(tables: Sequence[ZipTable], ruleset: Ruleset) -> list[ZipTable]:
    return [
        t for t in tables if _overlaps(t.provenance, ruleset.effective_from, ruleset.effective_to)
    ]


def _tracks_not_swapped(ruleset: Ruleset, official: OfficialTables) -> None:
    """A file for one conversion-factor track whose factor is the shipped factor of the
    OTHER track (and not its own track's) for the ruleset's year: the names look swapped."""
    shipped = {
        track: {r.conversion_factor for r in _overlapping(rows, ruleset)}
        for track, rows in ruleset.conversion_factors.items()
    }
    for row in _overlapping(official.conversion_factors or (), ruleset):
        tracks = tracks_of(row.provenance.source)
        if len(tracks) != 1:
            continue  # a file for both tracks (before 2026)
        other = next((t for t in BOTH_TRACKS if t != row.participation), None)
        own_factors = shipped.get(row.participation, set())
        if (
            other is not None
            and row.conversion_factor in shipped.get(other, set())
            and row.conversion_factor not in own_factors
        ):
            raise ReferenceDataError(
                f"{ruleset.version}: {row.provenance.source} gives the {row.participation} "
                f"track the factor {row.conversion_factor}, which is the shipped "
                f"{other} factor, not the shipped {row.participation} one "
                f"({', '.join(str(f) for f in sorted(own_factors))}): are the _QPP and "
                "_nonQPP file names swapped?"
            )
