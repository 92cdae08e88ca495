"""The claim while edits run over it: lines that corrections change as they apply."""

from dataclasses import dataclass
from datetime import date

from contracts import Claim, ClaimLine, Lesion
from service.domain.outcome import LineState
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

    @property
    def line_number(self) -> int:
        return self.submitted.line_number

    @property
    def service_date(self) -> date:
        return self.submitted.service_date

    @property
    def active(self) -> bool:
        return self.removed_by is None

    @property
    def in_scope(self) -> bool:
        return self.known and self.ruleset is not None

    @property
    def coronary_modifiers(self) -> tuple[str, ...]:
        return tuple(m for m in self.modifiers if m in CORONARY_MODIFIERS)

    @property
    def territory(self) -> str | None:
        """The line's coronary territory when it names exactly one."""
        found = self.coronary_modifiers
        return found[0] if len(found) == 1 else None

    @property
    def distinct_modifiers(self) -> tuple[str, ...]:
        return tuple(m for m in self.modifiers if m in DISTINCT_MODIFIERS)

    @property
    def is_pci_base(self) -> bool:
        return self.row is not None and self.row.kind == "pci_base" and not self.row.deleted

    @property
    def is_graft(self) -> bool:
        return self.row is not None and self.row.graft

    @property
    def is_diagnostic(self) -> bool:
        return self.row is not None and self.row.kind == "diagnostic"

    def state(self) -> LineState:
        return LineState(self.procedure_code, self.modifiers, self.units)


class WorkingClaim:
    """Lines in submitted order (by position: line numbers may repeat) and the documentation."""

    __slots__ = ("_lesion_cache", "claim", "lines", "reference", "version")

    def __init__(self, claim: Claim, reference: ReferenceData) -> None:
        self.claim = claim
        self.reference = reference
        self.version = 0
        self._lesion_cache: tuple[int, dict[int, tuple[Lesion, ...]]] | None = None
        self.lines = [self._work_line(i, line) for i, line in enumerate(claim.lines)]

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

    def active_lines(self) -> list[WorkLine]:
        return [line for line in self.lines if line.removed_by is None and line.in_scope]

    def base_lines(self) -> list[WorkLine]:
        return [line for line in self.active_lines() if line.is_pci_base]

    def base_lines_on(self, service_date: date) -> list[WorkLine]:
        return [line for line in self.base_lines() if line.service_date == service_date]

    def lesion_territories(self, lesion: Lesion, line: WorkLine) -> frozenset[str]:
        ruleset = line.ruleset
        if ruleset is None:
            return frozenset()
        found = (ruleset.territory_of_segment(s, line.service_date) for s in lesion.segments)
        return frozenset(t for t in found if t is not None)

    def owner_of(self, lesion: Lesion) -> WorkLine | None:
        """edits.md, "lesion → line": by line number, else by territory and graft kind."""
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
        if self._lesion_cache is None or self._lesion_cache[0] != self.version:
            owned: dict[int, list[Lesion]] = {}
            for lesion in procedure.lesions:
                owner = self.owner_of(lesion)
                if owner is not None:
                    owned.setdefault(owner.index, []).append(lesion)
            self._lesion_cache = (self.version, {k: tuple(v) for k, v in owned.items()})
        return self._lesion_cache[1].get(line.index, ())

    # corrections -------------------------------------------------------------------------

    def remove(self, line: WorkLine, edit_id: str) -> None:
        line.removed_by = edit_id
        self.version += 1

    def set_modifiers(self, line: WorkLine, modifiers: tuple[str, ...]) -> None:
        line.modifiers = modifiers
        self.version += 1

    def set_units(self, line: WorkLine, units: int) -> None:
        line.units = units
        self.version += 1

    def replace_code(self, line: WorkLine, code: str) -> None:
        line.procedure_code = code
        line.row = line.ruleset.code(code, line.service_date) if line.ruleset else None
        line.known = self.reference.knows(code)
        self.version += 1

    def billed_claim(self) -> Claim:
        """The claim as it should be billed: corrections applied, removed lines omitted."""
        kept = tuple(
            line.submitted
            if line.state() == _submitted_state(line.submitted)
            else line.submitted.model_copy(
                update={
                    "procedure_code": line.procedure_code,
                    "modifiers": line.modifiers,
                    "units": line.units,
                }
            )
            for line in self.lines
            if line.removed_by is None
        )
        if len(kept) == len(self.claim.lines) and all(
            a is b for a, b in zip(kept, self.claim.lines, strict=True)
        ):
            return self.claim
        return self.claim.model_copy(update={"lines": kept})


def _submitted_state(line: ClaimLine) -> LineState:
    return LineState(line.procedure_code, tuple(line.modifiers), line.units)
