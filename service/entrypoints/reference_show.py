"""`claim-edit reference show`: what is loaded, table by table, and from which files."""

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from rich.console import Group
from rich.table import Table

from service.domain.reference import Provenance, ReferenceData, Ruleset
from service.terminal import to_text


def _rows(ruleset: Ruleset) -> dict[str, list[Any]]:
    def flat(table: Any) -> list[Any]:
        return [row for rows in table.values() for row in rows]

    return {
        "codes": flat(ruleset.codes),
        "hierarchy": flat(ruleset.ranks),
        "derivation": list(ruleset.derivation),
        "segments": flat(ruleset.segments),
        "diagnoses": flat(ruleset.diagnoses),
        "code_sets": flat(ruleset.code_sets),
        "rvu": flat(ruleset.rvus),
        "conversion_factors": flat(ruleset.conversion_factors),
        "opps": flat(ruleset.opps),
        "asc": flat(ruleset.asc),
        "mue_practitioner": flat(ruleset.mue_practitioner),
        "mue_outpatient": flat(ruleset.mue_outpatient),
        "ptp_practitioner": flat(ruleset.ptp_practitioner),
        "ptp_outpatient": flat(ruleset.ptp_outpatient),
        "gpci": flat(ruleset.localities),
        "aoc": flat(ruleset.aoc),
    }


def _dates(provenances: Iterable[Provenance]) -> str:
    found = list(provenances)
    if not found:
        return ""
    start = min(p.effective_from for p in found)
    ends = [p.effective_to for p in found]
    end = "open" if None in ends else max(e for e in ends if e is not None).isoformat()
    return f"{'any' if start == date.min else start.isoformat()} to {end}"


SHIPPED = "shipped"


def _zip_origin(provenance: Provenance) -> str:
    """A shipped ZIP table: its file, and whether it is an earlier year's carried forward."""
    if provenance.confidence == "derived":
        return f"{SHIPPED}: {provenance.key} carried forward (carried_forward.csv)"
    return f"{SHIPPED}: {provenance.key}"


def ruleset_view(ruleset: Ruleset, origins: Mapping[str, str] | None = None) -> Group:
    """The ruleset's tables (rows, dates, confidence, and where they come from: the
    official files named in `origins`, else the shipped set) and its files."""
    origins = origins or {}
    tables = Table(title=f"{ruleset.version}: tables", title_justify="left")
    for column in ("table", "rows", "in force", "confidence", "from"):
        tables.add_column(column)
    for name, rows in _rows(ruleset).items():
        provenances = [row.provenance for row in rows]
        counts = Counter(p.confidence for p in provenances)
        tables.add_row(
            name,
            f"{len(rows):,}",
            _dates(provenances),
            ", ".join(f"{kind} {n:,}" for kind, n in counts.most_common()),
            origins.get(name, SHIPPED if rows else ""),
        )
    for table in ruleset.zip_tables:
        tables.add_row(
            "zip5",
            f"{len(table.localities):,}",
            _dates([table.provenance]),
            table.provenance.confidence,
            origins.get("zip5", _zip_origin(table.provenance)),
        )
    files = Table(title=f"{ruleset.version}: files", title_justify="left")
    for column in ("file", "release", "sha256"):
        files.add_column(column)
    for source in ruleset.sources:
        files.add_row(source.name, source.release, source.sha256[:16])
    return Group(tables, files)


def show(reference: ReferenceData, as_of: date | None) -> str | None:
    """The text for every ruleset, or for the one in force on `as_of` (None: no ruleset)."""
    rulesets = reference.rulesets
    if as_of is not None:
        found = reference.ruleset_for(as_of)
        if found is None:
            return None
        rulesets = (found,)
    notes = (
        ["only PTP pairs with a code the edits know are kept from official PTP files"]
        if any(" PTP edits" in s.release for r in rulesets for s in r.sources)
        else []
    )
    versions = {r.version for r in rulesets}
    notes.extend(
        f"partial release accepted: {line}"
        for line in reference.partial
        if line.split(" ", 1)[0] in versions
    )
    if reference.ignored_files:
        notes.append(f"ignored (no known layout): {', '.join(reference.ignored_files)}")
    views = (ruleset_view(r, reference.origins.get(r.version)) for r in rulesets)
    return to_text(Group(*views, *notes))
