"""The claim while edits run over it: lines that corrections change as they apply."""

from datetime import date
from functools import lru_cache
from typing import NamedTuple

from contracts import Claim, ClaimLine, Lesion, LineSnapshot
from service.domain.reference import CodeRow, ReferenceData, Ruleset
from service.domain.vocabulary import CORONARY_MODIFIERS, DISTINCT_MODIFIERS


class _Modifiers(NamedTuple):
    coronary: tuple[str, ...]
    distinct: tuple[str, ...]
    territory: str | None
    """The line's coronary territory when it names exactly one."""


@lru_cache(maxsize=4096)
def _classified(modifiers: tuple[str, ...]) -> _Modifiers:
    """What a line's modifiers say (few distinct tuples occur: memoized, bounded)."""
    coronary = tuple(m for m in modifiers if m in CORONARY_MODIFIERS)
    distinct = tuple(m for m in modifiers if m in DISTINCT_MODIFIERS)
    return _Modifiers(coronary, distinct, coronary[0] if len(coronary) == 1 else None)


def territory_of(modifiers: tuple[str, ...]) -> str | None:
    """The coronary territory a line's modifiers name, when they name exactly one."""
    return _classified(modifiers).territory


def is_pci_base(row: CodeRow | None) -> bool:
    """A PCI base code in force (not a deleted one)."""
    return row is not None and row.kind == "pci_base" and not row.deleted


class WorkLine:
    """One claim line while the edits run: its current code, modifiers and units."""

    __slots__ = (
        "active",
        "changed",
        "coronary_modifiers",
        "distinct_modifiers",
        "in_scope",
        "index",
        "is_diagnostic",
        "is_graft",
        "is_pci_base",
        "known",
        "line_number",
        "modifiers",
        "procedure_code",
        "removed_by",
        "row",
        "ruleset",
        "service_date",
        "submitted",
        "territory",
        "units",
    )

    def __init__(
        self,
        index: int,
        submitted: ClaimLine,
        ruleset: Ruleset | None,
        row: CodeRow | None,
        known: bool,
    ) -> None:
        self.index = index
        self.submitted = submitted
        self.procedure_code = submitted.procedure_code
        self.units = submitted.units
        self.line_number = submitted.line_number
        self.service_date = submitted.service_date
        self.ruleset = ruleset
        self.removed_by: str | None = None
        self.active = True
        """Not removed (`removed_by` is None): kept with it by `WorkingClaim.remove`, a field
        rather than a property since the edits ask it ~20 times a claim."""
        self.changed = False
        # set_modifiers and set_row, inlined (a working line is built for every claim line)
        self.modifiers = modifiers = tuple(submitted.modifiers)
        self.coronary_modifiers, self.distinct_modifiers, self.territory = _classified(modifiers)
        self.row = row
        self.known = known
        self.in_scope = known and ruleset is not None
        if row is None:
            self.is_pci_base = self.is_graft = self.is_diagnostic = False
        else:
            self.is_pci_base = row.kind == "pci_base" and not row.deleted
            self.is_graft = row.graft
            self.is_diagnostic = row.kind == "diagnostic"

    def set_row(self, row: CodeRow | None, known: bool) -> None:
        self.row = row
        self.known = known
        self.in_scope = known and self.ruleset is not None
        self.is_pci_base = is_pci_base(row)
        self.is_graft = row is not None and row.graft
        self.is_diagnostic = row is not None and row.kind == "diagnostic"

    def set_modifiers(self, modifiers: tuple[str, ...]) -> None:
        self.modifiers = modifiers
        self.coronary_modifiers, self.distinct_modifiers, self.territory = _classified(modifiers)

    def state(self) -> LineSnapshot:
        return LineSnapshot(
            procedure_code=self.procedure_code, modifiers=self.modifiers, units=self.units
        )


class View:
    """Derived line sets of the working claim as it stands (rebuilt after each change to
    what it reads of a line)."""

    __slots__ = ("active", "base", "base_by_date", "groups", "lesions")

    def __init__(
        self, lines: list[WorkLine], grafts: dict[int, frozenset[str]] | None = None
    ) -> None:
        self.active = [line for line in lines if line.removed_by is None and line.in_scope]
        self.base = [line for line in self.active if line.is_pci_base]
        self.base_by_date: dict[date, list[WorkLine]] = {}
        # A territory group: one date, territory and kind; graft lines also by the bypass
        # grafts their lesions name (each graft is its own vessel).
        groups: dict[tuple[date, str, bool, frozenset[str]], list[WorkLine]] = {}
        no_graft: frozenset[str] = frozenset()
        for line in self.base:
            self.base_by_date.setdefault(line.service_date, []).append(line)
            if line.territory is not None:
                graft = (
                    (grafts or {}).get(line.line_number, no_graft) if line.is_graft else no_graft
                )
                key = (line.service_date, line.territory, line.is_graft, graft)
                groups.setdefault(key, []).append(line)
        self.groups = list(groups.values())
        self.lesions: dict[int, tuple[Lesion, ...]] | None = None


def _grafts_by_line(claim: Claim) -> dict[int, frozenset[str]]:
    """Line number → the `graft_id`s its graft lesions name (lesions that name the line)."""
    found: dict[int, set[str]] = {}
    if claim.procedure is not None:
        for lesion in claim.procedure.lesions:
            if lesion.via_graft and lesion.graft_id and lesion.line_number is not None:
                found.setdefault(lesion.line_number, set()).add(lesion.graft_id)
    return {number: frozenset(ids) for number, ids in found.items()}


class WorkingClaim:
    """Lines in submitted order (by position: line numbers may repeat) and the documentation."""

    __slots__ = ("claim", "grafts", "lines", "reference", "view")

    def __init__(self, claim: Claim, reference: ReferenceData) -> None:
        self.claim = claim
        self.reference = reference
        for_line = reference.for_line
        self.lines = [
            WorkLine(index, line, *for_line(line.procedure_code, line.service_date))
            for index, line in enumerate(claim.lines)
        ]
        self.grafts = _grafts_by_line(claim)
        self.view = View(self.lines, self.grafts)
        """The line sets the edits ask for; corrections replace it (few claims have any)."""

    # queries -----------------------------------------------------------------------------

    def base_lines(self) -> list[WorkLine]:
        return self.view.base

    def lesion_territories(self, lesion: Lesion, line: WorkLine) -> frozenset[str]:
        ruleset = line.ruleset
        if ruleset is None:
            return frozenset()
        return ruleset.territories_of_segments(lesion.segments, line.service_date)

    def owner_of(self, lesion: Lesion) -> WorkLine | None:
        """Lesion → line (docs/edit-catalog.md): by line number, else by territory and graft
        kind."""
        bases = self.base_lines()
        if lesion.line_number is not None:
            named = [line for line in bases if line.line_number == lesion.line_number]
            if len(named) == 1:
                return named[0]
        matches = [
            line
            for line in bases
            if line.territory is not None
            and line.is_graft == lesion.via_graft
            and line.territory in self.lesion_territories(lesion, line)
        ]
        return matches[0] if len(matches) == 1 else None

    def lesions_of(self, line: WorkLine) -> tuple[Lesion, ...]:
        procedure = self.claim.procedure
        if procedure is None:
            return ()
        view = self.view
        if view.lesions is None:
            owned: dict[int, list[Lesion]] = {}
            for lesion in procedure.lesions:
                owner = self.owner_of(lesion)
                if owner is not None:
                    owned.setdefault(owner.index, []).append(lesion)
            view.lesions = {index: tuple(found) for index, found in owned.items()}
        return view.lesions.get(line.index, ())

    # corrections -------------------------------------------------------------------------

    def remove(self, line: WorkLine, edit_id: str) -> None:
        line.removed_by = edit_id
        line.active = False
        self.view = View(self.lines, self.grafts)

    # A View reads of a line only whether it is removed, in scope, a PCI base code, a graft,
    # and its territory (with its date and number, which no correction changes): a
    # correction that changes none of them leaves the view as it stands.

    def set_modifiers(self, line: WorkLine, modifiers: tuple[str, ...]) -> None:
        territory = line.territory
        line.set_modifiers(modifiers)
        line.changed = True
        if line.territory != territory:
            self.view = View(self.lines, self.grafts)

    def set_units(self, line: WorkLine, units: int) -> None:
        line.units = units
        line.changed = True

    def replace_code(self, line: WorkLine, code: str) -> None:
        read = (line.in_scope, line.is_pci_base, line.is_graft)
        line.procedure_code = code
        row = line.ruleset.code(code, line.service_date) if line.ruleset else None
        line.set_row(row, self.reference.knows(code))
        line.changed = True
        if (line.in_scope, line.is_pci_base, line.is_graft) != read:
            self.view = View(self.lines, self.grafts)

    def billed_claim(self) -> Claim:
        """The claim as it should be billed: corrections applied, removed lines omitted."""
        if not any(line.changed or line.removed_by for line in self.lines):
            return self.claim
        kept = tuple(
            line.submitted.model_copy(
                update={
                    "procedure_code": line.procedure_code,
                    "modifiers": line.modifiers,
                    "units": line.units,
                }
            )
            if line.changed
            else line.submitted
            for line in self.lines
            if line.removed_by is None
        )
        return self.claim.model_copy(update={"lines": kept})
