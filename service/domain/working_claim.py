"""The claim while edits run over it: lines that corrections change as they apply."""

from dataclasses import dataclass
from datetime import date

from contracts import Claim, ClaimLine, Lesion, LineSnapshot
from service.domain.reference import CodeRow, ReferenceData, Ruleset
from service.domain.vocabulary import CORONARY_MODIFIERS, DISTINCT_MODIFIERS


@dataclass(slots=True)
class WorkLine:
    index: int
    submitted: ClaimLine
    procedure_code: str
    modifiers: tuple[str, ...]
    units: int
    ruleset: Ruleset | None
    row: CodeRow | None
    known: bool
    removed_by: str | None = None
    changed: bool = False
    coronary_modifiers: tuple[str, ...] = ()
    distinct_modifiers: tuple[str, ...] = ()
    territory: str | None = None
    """The line's coronary territory when it names exactly one."""
    line_number: int = 0
    service_date: date = date.min
    in_scope: bool = False
    is_pci_base: bool = False
    is_graft: bool = False
    is_diagnostic: bool = False

    def __post_init__(self) -> None:
        self.line_number = self.submitted.line_number
        self.service_date = self.submitted.service_date
        self.set_modifiers(self.modifiers)
        self.set_row(self.row, self.known)

    def set_row(self, row: CodeRow | None, known: bool) -> None:
        self.row = row
        self.known = known
        self.in_scope = known and self.ruleset is not None
        self.is_pci_base = row is not None and row.kind == "pci_base" and not row.deleted
        self.is_graft = row is not None and row.graft
        self.is_diagnostic = row is not None and row.kind == "diagnostic"

    def set_modifiers(self, modifiers: tuple[str, ...]) -> None:
        self.modifiers = modifiers
        self.coronary_modifiers = tuple(m for m in modifiers if m in CORONARY_MODIFIERS)
        self.distinct_modifiers = tuple(m for m in modifiers if m in DISTINCT_MODIFIERS)
        self.territory = self.coronary_modifiers[0] if len(self.coronary_modifiers) == 1 else None

    @property
    def active(self) -> bool:
        return self.removed_by is None

    def state(self) -> LineSnapshot:
        return LineSnapshot(
            procedure_code=self.procedure_code, modifiers=self.modifiers, units=self.units
        )


class _View:
    """Derived line sets, valid for one version of the working claim."""

    __slots__ = ("active", "base", "base_by_date", "groups", "lesions", "version")

    def __init__(self, lines: list[WorkLine], version: int) -> None:
        self.version = version
        self.active = [line for line in lines if line.removed_by is None and line.in_scope]
        self.base = [line for line in self.active if line.is_pci_base]
        self.base_by_date: dict[date, list[WorkLine]] = {}
        groups: dict[tuple[date, str, bool], list[WorkLine]] = {}
        for line in self.base:
            self.base_by_date.setdefault(line.service_date, []).append(line)
            if line.territory is not None:
                groups.setdefault((line.service_date, line.territory, line.is_graft), []).append(
                    line
                )
        self.groups = list(groups.values())
        self.lesions: dict[int, tuple[Lesion, ...]] | None = None


class WorkingClaim:
    """Lines in submitted order (by position: line numbers may repeat) and the documentation."""

    __slots__ = ("_view", "claim", "lines", "reference", "version")

    def __init__(self, claim: Claim, reference: ReferenceData) -> None:
        self.claim = claim
        self.reference = reference
        self.version = 0
        self.lines = [self._work_line(i, line) for i, line in enumerate(claim.lines)]
        self._view = _View(self.lines, 0)

    def _work_line(self, index: int, line: ClaimLine) -> WorkLine:
        ruleset = self.reference.ruleset_for(line.service_date)
        row = ruleset.code(line.procedure_code, line.service_date) if ruleset else None
        return WorkLine(
            index=index,
            submitted=line,
            procedure_code=line.procedure_code,
            modifiers=tuple(line.modifiers),
            units=line.units,
            ruleset=ruleset,
            row=row,
            known=self.reference.knows(line.procedure_code),
        )

    # queries -----------------------------------------------------------------------------

    def view(self) -> _View:
        if self._view.version != self.version:
            self._view = _View(self.lines, self.version)
        return self._view

    def active_lines(self) -> list[WorkLine]:
        return self.view().active

    def base_lines(self) -> list[WorkLine]:
        return self.view().base

    def base_lines_on(self, service_date: date) -> list[WorkLine]:
        return self.view().base_by_date.get(service_date, [])

    def territory_groups(self) -> list[list[WorkLine]]:
        """PCI base lines with the same date, rendering NPI, territory and kind
        (docs/edit-catalog.md).

        The claim has one rendering provider, so the NPI is the same on every line.
        """
        return self.view().groups

    def lesion_territories(self, lesion: Lesion, line: WorkLine) -> frozenset[str]:
        ruleset = line.ruleset
        if ruleset is None:
            return frozenset()
        found = (ruleset.territory_of_segment(s, line.service_date) for s in lesion.segments)
        return frozenset(t for t in found if t is not None)

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
        view = self.view()
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
        self.version += 1

    def set_modifiers(self, line: WorkLine, modifiers: tuple[str, ...]) -> None:
        line.set_modifiers(modifiers)
        line.changed = True
        self.version += 1

    def set_units(self, line: WorkLine, units: int) -> None:
        line.units = units
        line.changed = True
        self.version += 1

    def replace_code(self, line: WorkLine, code: str) -> None:
        line.procedure_code = code
        row = line.ruleset.code(code, line.service_date) if line.ruleset else None
        line.set_row(row, self.reference.knows(code))
        line.changed = True
        self.version += 1

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
