"""What the engine decides for one claim. Its parts (findings, changes, prices) are the
contract's own types (contracts/events.py): built once here, written as they are."""

from dataclasses import dataclass

from contracts import Change, Claim, Finding, Pricing, RulesetRef
from contracts.vocabulary import EventType


@dataclass(frozen=True, slots=True)
class Outcome:
    """Exactly one per input event: enriched (priced, unless it voids a claim) or rejected
    (not priced)."""

    event_type: EventType
    event_id: str
    source_event_id: str
    claim_id: str
    ruleset: RulesetRef
    claim: Claim
    findings: tuple[Finding, ...]
    changes: tuple[Change, ...]
    pricing: Pricing | None
    claim_json: bytes | None = None
    """The claim's canonical JSON when the outcome carries the claim as it was sent (a
    rejection, or nothing changed): written as it is instead of serialized again."""

    @property
    def rejected(self) -> bool:
        return self.event_type is EventType.REJECTED

    @property
    def ruleset_version(self) -> str | None:
        return self.ruleset.version
