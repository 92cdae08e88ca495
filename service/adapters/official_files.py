"""Official CMS files dropped into CLAIM_EDIT_REFERENCE_DIR, recognised by their first lines.

NCCI MUE and PTP files replace the shipped samples in every ruleset (PTP rows keep their own
effective and deletion dates; an MUE file has none, so it applies to each ruleset's whole
range). Payment files (PFS relative values, GPCI, ZIP5, ASC Addenda AA and FF) replace the
matching table of each ruleset whose dates their release overlaps. A file of no known layout
is named and ignored; two files of one table and release are an error. From 2026 the PFS
relative value file comes as two twins, one per conversion-factor track (`_QPP`,
`_nonQPP`): both load, each giving its own track's factor, and their relative values must
agree.
"""

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

from contracts import ReferenceSource
from service.adapters.cms.asc import read_addendum_aa, read_addendum_b, read_addendum_ff
from service.adapters.cms.files import Layout, layout_of
from service.adapters.cms.pfs import read_gpci, read_relative_values, read_zip5
from service.adapters.cms.release import Release, sha256_of
from service.adapters.cms.tables import (
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
from service.adapters.csv_tables import ReferenceDataError, read_rows
from service.adapters.ncci_tables import mue_row, official_ptp, pair_index, ptp_codes
from service.domain.reference import (
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
    sources: tuple[tuple[ReferenceSource, date, date | None], ...] = ()
    """Each file read, with the dates it is in force (NCCI files: every date)."""
    ignored: tuple[str, ...] = ()


def _mue(path: Path, head: str) -> tuple[str, list[MueRow]]:
    kind = "mue_outpatient" if "Outpatient Hospital" in head else "mue_practitioner"
    source = f"CMS NCCI MUE file {path.name}"
    return kind, [
        mue_row(
            row, Provenance("mue", row.text("HCPCS/CPT Code"), date.min, None, source, "confirmed")
        )
        for row in read_rows(path, "HCPCS/CPT Code")
    ]


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
    releases: dict[tuple[str, date], str] = {}
    twins: dict[date, tuple[str, list[object]]] = {}
    sources: list[tuple[ReferenceSource, date, date | None]] = []
    ignored: list[str] = []
    for path in sorted(p for p in directory.iterdir() if p.is_file()):
        layout = layout_of(path)
        if layout is None:
            ignored.append(path.name)
        elif layout == "mue":
            head = path.read_text(encoding="utf-8-sig", errors="replace")[:8192]
            kind, mues = _mue(path, head)
            _only_one(releases, (kind, date.min), path, kind.replace("_", " ") + " files")
            found.setdefault(kind, []).extend(mues)
            sources.append((_ncci_source(path, "MUE"), date.min, None))
        elif layout == "ptp":
            outpatient = any(w in path.name.lower() for w in ("hosp", "outpatient", "opps"))
            kind = "ptp_outpatient" if outpatient else "ptp_practitioner"
            found.setdefault(kind, []).extend(official_ptp(path, wanted))
            sources.append((_ncci_source(path, "PTP"), date.min, None))
        else:
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
            sources.append((release.reference_source, release.effective_from, release.effective_to))
    _tracks_in_order(found.get("conversion_factors", []), directory)
    if not found:
        raise ReferenceDataError(
            f"{directory}: no file of a known layout (PFS relative values, GPCI, ZIP5, ASC "
            "Addendum AA or FF, OPPS Addendum B, NCCI MUE or PTP)"
            + (f"; not recognised: {', '.join(ignored)}" if ignored else ": the directory is empty")
        )
    collected: dict[str, Any] = {name: tuple(rows) for name, rows in found.items()}
    return OfficialTables(**collected, sources=tuple(sources), ignored=tuple(ignored))


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


def _ncci_source(path: Path, table: str) -> ReferenceSource:
    return ReferenceSource(name=path.name, release=f"CMS NCCI {table} file", sha256=sha256_of(path))


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


def with_official(ruleset: Ruleset, official: OfficialTables) -> Ruleset:
    def dated(rows: tuple[MueRow, ...]) -> dict[str, tuple[MueRow, ...]]:
        return index_by(
            (
                replace(
                    r,
                    provenance=replace(
                        r.provenance,
                        effective_from=ruleset.effective_from,
                        effective_to=ruleset.effective_to,
                    ),
                )
                for r in rows
            ),
            "code",
        )

    changes: dict[str, object] = {}
    if official.mue_practitioner is not None:
        changes["mue_practitioner"] = dated(official.mue_practitioner)
    if official.mue_outpatient is not None:
        changes["mue_outpatient"] = dated(official.mue_outpatient)
    if official.ptp_practitioner is not None:
        changes["ptp_practitioner"] = pair_index(official.ptp_practitioner)
        if official.ptp_outpatient is None:
            changes["ptp_outpatient"] = changes["ptp_practitioner"]
    if official.ptp_outpatient is not None:
        changes["ptp_outpatient"] = pair_index(official.ptp_outpatient)
    if official.ptp_practitioner is not None or official.ptp_outpatient is not None:
        changes["ptp_codes"] = ptp_codes(
            official.ptp_practitioner or (), official.ptp_outpatient or ()
        )
    # Payment files replace a ruleset's table when their release overlaps its dates.
    if (rvus := _dated_index(official.rvus, ruleset, "code")) is not None:
        changes["rvus"] = rvus
    factors = _dated_index(official.conversion_factors, ruleset, "participation")
    if factors is not None:
        # per track: a _nonQPP file alone leaves the shipped qualifying-APM factor in place
        changes["conversion_factors"] = {**ruleset.conversion_factors, **factors}
    if (asc := _dated_index(official.asc, ruleset, "code")) is not None:
        changes["asc"] = asc
    if (opps := _dated_index(official.opps, ruleset, "code")) is not None:
        changes["opps"] = opps
    if official.localities and (localities := _overlapping(official.localities, ruleset)):
        changes["localities"] = locality_index(localities)
    if official.zip_tables:
        end = ruleset.effective_to or date.max
        zip_tables = tuple(
            table
            for table in official.zip_tables
            if table.provenance.effective_from <= end
            and (table.provenance.effective_to or date.max) >= ruleset.effective_from
        )
        if zip_tables:
            changes["zip_tables"] = zip_tables
    end = ruleset.effective_to or date.max
    read = tuple(
        source
        for source, start, stop in official.sources
        if start <= end and (stop or date.max) >= ruleset.effective_from
    )
    changes["sources"] = (*ruleset.sources, *read)
    return replace(ruleset, **changes)  # type: ignore[arg-type]
