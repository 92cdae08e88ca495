"""Edits as registered data: one pure function each, its metadata attached where it is defined.

An edit is a generator of `Firing`s over an `EditContext`. The engine applies each firing
(policy, then any correction) before asking for the next, so an edit that removes a line
sees it removed when it goes on. `claim-edit rules` prints this registry.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from service.domain.needs import ALWAYS, Needs
from service.domain.reference import Provenance
from service.domain.vocabulary import SEVERITY_ORDER, ChangeAction, Disposition
from service.domain.working_claim import WorkLine

if TYPE_CHECKING:
    from service.domain.context import EditContext

# The order edits run in (docs/edit-catalog.md, "Evaluation order").
EVALUATION_ORDER: tuple[str, ...] = (
    "PCI-CLM-001",
    "PCI-CLM-002",
    "PCI-CLM-003",
    "PCI-CLM-004",
    "PCI-REF-002",
    "PCI-SET-003",
    "PCI-TERR-002",
    "PCI-TERR-003",
    "PCI-TERR-005",
    "PCI-TERR-006",
    "PCI-TERR-001",
    "PCI-TERR-004",
    "PCI-DOC-001",
    "PCI-DOC-002",
    "PCI-DOC-003",
    "PCI-DOC-004",
    "PCI-DOC-005",
    "PCI-DOC-006",
    "PCI-BUND-001",
    "PCI-BUND-002",
    "PCI-BUND-003",
    "PCI-BUND-004",
    "PCI-BUND-005",
    "PCI-BUND-006",
    "PCI-MOD-001",
    "PCI-MOD-002",
    "PCI-MOD-003",
    "PCI-MOD-004",
    "PCI-MOD-005",
    "PCI-MOD-006",
    "PCI-MOD-007",
    "PCI-SET-001",
    "PCI-SET-002",
    "PCI-REF-003",
    "PCI-REF-001",
    "PCI-HIST-004",
    "PCI-HIST-001",
    "PCI-HIST-002",
    "PCI-HIST-003",
    "PCI-HIST-005",
)
ALL_RULESETS: tuple[str, ...] = ("pci-2025", "pci-2026.1")
"""Every ruleset the catalog knows (reference/rulesets.toml versions): a reference with
another is refused (ClaimProcessor), since no edit would run on its lines."""


@dataclass(frozen=True, slots=True)
class ProposedChange:
    line: WorkLine
    action: ChangeAction
    reason: str
    procedure_code: str | None = None
    modifiers: tuple[str, ...] | None = None
    units: int | None = None


@dataclass(frozen=True, slots=True)
class Firing:
    """One problem an edit found, in the edit's own (default) disposition."""

    disposition: Disposition
    lines: tuple[WorkLine, ...]
    message: str
    fix: str | None = None
    changes: tuple[ProposedChange, ...] = ()
    evidence: tuple[Provenance, ...] = ()
    element: str | None = None
    rarc: str | None = None
    """The RARC of this problem when it is not the edit's (one edit, several problems)."""


EditFunction = Callable[["EditContext"], Iterator[Firing]]


@dataclass(frozen=True, slots=True)
class EditSpec:
    edit_id: str
    title: str
    default: tuple[Disposition, ...]
    """Every disposition the edit fires with before policy, the usual one first (tests/unit/
    test_declared_dispositions.py holds the edits to it)."""
    carc: str | None
    rarc: str | None
    element: str
    citation: str
    run: EditFunction
    group_code: str | None = "CO"
    note: str | None = None
    """When each of the `default` dispositions applies, where there is more than one."""
    rulesets: tuple[str, ...] = ALL_RULESETS
    """The rulesets it belongs to: it runs on no line of another ruleset."""
    halts: bool = False
    """Once it has fired (a finding recorded), no later edit runs (nothing after it could
    mean anything)."""
    waivable: bool = True
    """Whether a policy may turn it off, lower or raise it (a Policy that does is refused)."""
    reads: tuple[str, ...] = ()
    """Edits whose findings it reads (`ctx.flagged_lines`): they must run before it."""
    on_void: bool = False
    """Whether it runs on a void claim (only claim-integrity edits do)."""
    needs: Needs = ALWAYS
    """What a claim must show for the edit to be able to fire (service/domain/needs.py):
    the engine skips it elsewhere. Read from the edit's code, true wherever it can fire."""
    docstring: str = field(default="", repr=False)

    @property
    def order(self) -> int:
        return EVALUATION_ORDER.index(self.edit_id)


_REGISTRY: dict[str, EditSpec] = {}


def edit(
    edit_id: str,
    *,
    title: str,
    default: tuple[Disposition, ...],
    element: str,
    citation: str,
    carc: str | None = None,
    rarc: str | None = None,
    rulesets: tuple[str, ...] = ALL_RULESETS,
    halts: bool = False,
    waivable: bool = True,
    reads: tuple[str, ...] = (),
    on_void: bool = False,
    note: str | None = None,
    needs: Needs = ALWAYS,
) -> Callable[[EditFunction], EditFunction]:
    """Register an edit with its catalog metadata."""
    if edit_id not in EVALUATION_ORDER:
        raise ValueError(f"{edit_id} has no place in EVALUATION_ORDER")
    unknown = [d for d in default if d not in SEVERITY_ORDER]
    if not default or unknown or len(set(default)) < len(default):
        raise ValueError(f"{edit_id}: default must name distinct dispositions, not {default}")
    if len(default) > 1 and not note:
        raise ValueError(f"{edit_id}: say in a note when each of {default} applies")
    if not rulesets or set(rulesets) - set(ALL_RULESETS):
        raise ValueError(f"{edit_id}: rulesets must be among {ALL_RULESETS}, not {rulesets}")

    def register(function: EditFunction) -> EditFunction:
        if edit_id in _REGISTRY:
            raise ValueError(f"{edit_id} registered twice")
        _REGISTRY[edit_id] = EditSpec(
            edit_id=edit_id,
            title=title,
            default=default,
            note=note,
            carc=carc,
            rarc=rarc,
            element=element,
            citation=citation,
            run=function,
            group_code="CO" if carc else None,
            rulesets=rulesets,
            halts=halts,
            waivable=waivable,
            reads=reads,
            on_void=on_void,
            needs=needs,
            docstring=(function.__doc__ or "").strip(),
        )
        return function

    return register


@cache
def catalog() -> tuple[EditSpec, ...]:
    """Every registered edit in evaluation order."""
    import service.domain.edits  # noqa: F401  (registers the edits)

    missing = [edit_id for edit_id in EVALUATION_ORDER if edit_id not in _REGISTRY]
    if missing:
        raise RuntimeError(f"edits in the evaluation order but not registered: {missing}")
    for spec in _REGISTRY.values():
        late = [read for read in spec.reads if spec.order <= EVALUATION_ORDER.index(read)]
        if late:
            raise RuntimeError(f"{spec.edit_id} reads the findings of {late}, which run after it")
    return tuple(_REGISTRY[edit_id] for edit_id in EVALUATION_ORDER)


def catalog_for(ruleset_version: str | None) -> tuple[EditSpec, ...]:
    """The edits of one ruleset, or every edit when no ruleset is named."""
    specs = catalog()
    if ruleset_version is None:
        return specs
    return tuple(spec for spec in specs if ruleset_version in spec.rulesets)
