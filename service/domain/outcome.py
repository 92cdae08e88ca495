"""What the engine decides: findings, changes, prices and the outcome that carries them."""

from dataclasses import dataclass
from datetime import date

from contracts import Claim
from service.domain.reference import Provenance
from service.domain.vocabulary import ChangeAction, Disposition


@dataclass(frozen=True, slots=True)
class LineState:
    procedure_code: str
    modifiers: tuple[str, ...]
    units: int


@dataclass(frozen=True, slots=True)
class Change:
    edit_id: str
    line_number: int
    action: ChangeAction
    before: LineState | None
    after: LineState | None
    reason: str


@dataclass(frozen=True, slots=True)
class Finding:
    edit_id: str
    disposition: Disposition
    line_numbers: tuple[int, ...]
    message: str
    fix: str | None
    carc: str | None
    rarc: str | None
    group_code: str | None
    x12_path: str
    citation: str
    evidence: tuple[Provenance, ...]


@dataclass(frozen=True, slots=True)
class PricedLine:
    line_number: int
    procedure_code: str
    method: str
    allowed: str | None
    source: str | None
    confidence: str | None
    work_rvu: str | None = None
    total_rvu: str | None = None
    conversion_factor: str | None = None
    status_indicator: str | None = None
    apc: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Pricing:
    setting: str
    lines: tuple[PricedLine, ...]
    total_allowed: str | None
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """Exactly one per input event: enriched (pricing set) or rejected (pricing None)."""

    event_type: str
    event_id: str
    source_event_id: str
    claim_id: str
    ruleset_version: str | None
    as_of: date | None
    claim: Claim
    findings: tuple[Finding, ...]
    changes: tuple[Change, ...]
    pricing: Pricing | None

    @property
    def rejected(self) -> bool:
        return self.event_type == "claim.rejected"
