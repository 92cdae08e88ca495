"""Claim memory as the engine sees it: a patient's claims accepted earlier, as plain data.

The engine never reads a database. The application layer asks the memory port
(service/app/memory.py) for the remembered claims of the patients in a batch and hands each
claim's `ClaimHistory` to `evaluate`; after editing it hands back what the domain says is worth
remembering (`RememberedClaim`). What is stored is only what the history edits read: no name,
no member id (the adapter keys a patient by a keyed hash), no diagnosis.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from contracts import Claim, ClaimSubmitted
from service.domain.canonical import canonical
from service.domain.outcome import Outcome

Frequency = Literal["original", "replacement", "void"]
Setting = Literal["professional", "hospital_outpatient", "asc"]


@dataclass(frozen=True, slots=True)
class RememberedLine:
    line_number: int
    procedure_code: str
    modifiers: tuple[str, ...]
    units: int
    charge: Decimal
    service_date: date


@dataclass(frozen=True, slots=True)
class RememberedClaim:
    """One accepted claim of a patient, in the order claims were first accepted (`sequence`,
    given by the memory; 0 until stored)."""

    claim_id: str
    memory_key: str
    """What makes an edit a replay of an earlier one: the input event's id and the claim id.
    A claim edited again with the same key sees the history it saw the first time."""
    frequency: Frequency
    replaces: str | None
    """The claim id a replacement or void names (the payer's claim control number)."""
    setting: Setting
    billing_npi: str
    rendering_npi: str
    outcome: Literal["claim.enriched", "claim.rejected"]
    lines: tuple[RememberedLine, ...]
    sequence: int = 0


@dataclass(frozen=True, slots=True)
class ClaimHistory:
    """The patient's claims accepted before this one (lower sequence), oldest first; never
    the claim itself nor claims first accepted after it."""

    claims: tuple[RememberedClaim, ...] = ()


MEMORY_KEY_SEPARATOR = "\x1f"


def content_digest(event: ClaimSubmitted) -> bytes:
    """sha256 of the event's canonical JSON (field order and spelling fixed by the contract),
    so the same claim gives the same digest whether it came as JSON lines, an array element
    or an 837, and whatever whitespace it was sent with (service/domain/canonical.py)."""
    return canonical(event).digest


def memory_key(event: ClaimSubmitted, digest: bytes | None = None) -> str:
    """What makes an edit a replay of an earlier one: the same input event (its id and
    claim id) with the same content. The same ids with other content are another claim
    (a resend that changed a line is compared with what came before it, never waved through
    as a replay); the same event sent again unchanged is a retry, answered as before.
    `digest`: the event's `content_digest` when the caller has it (it costs a serialization)."""
    if digest is None:
        digest = content_digest(event)
    return MEMORY_KEY_SEPARATOR.join((event.event_id, event.claim.claim_id, digest.hex()[:32]))


def remembered(
    event: ClaimSubmitted, outcome: Outcome, key: str | None = None
) -> RememberedClaim | None:
    """What of an edited claim the memory keeps: every edited claim, in the order it was
    first edited, so that a replay sees what it saw the first time; only accepted ones
    (enriched: any line rejection rejects the claim) count against later claims (see
    `in_effect`), with their lines as billed, corrections applied and removed lines left
    out. A rejected claim is kept as rejected, with its lines as sent (they date it). A void
    is kept so it takes its original out (its lines date it and never count as billed); a
    replacement names the claim it supersedes (`payer_claim_control_number`). None when no
    line is left to date it. `key`: the event's `memory_key` when the caller has it."""
    claim = outcome.claim
    lines = tuple(
        RememberedLine(
            line_number=line.line_number,
            procedure_code=line.procedure_code,
            modifiers=tuple(line.modifiers),
            units=line.units,
            charge=line.charge,
            service_date=line.service_date,
        )
        for line in claim.lines
    )
    if not lines:
        return None
    return RememberedClaim(
        claim_id=claim.claim_id,
        memory_key=memory_key(event) if key is None else key,
        frequency=claim.frequency,
        replaces=claim.payer_claim_control_number if claim.frequency != "original" else None,
        setting=claim.setting,
        billing_npi=claim.billing_provider.npi,
        rendering_npi=claim.rendering_provider.npi,
        outcome="claim.rejected" if outcome.rejected else "claim.enriched",
        lines=lines,
    )


def _lineage(claim_id: str, billing_npi: str, claims: Iterable[RememberedClaim]) -> set[str]:
    """`claim_id` and the ids of every claim that replaced it, directly or through another
    replacement, all from the one billing provider (claim ids are the sender's own: two
    practices may both have a claim 1001)."""
    replacements = [
        (c.replaces, c.claim_id)
        for c in claims
        if c.frequency == "replacement" and c.billing_npi == billing_npi
    ]
    ids = {claim_id}
    grew = True
    while grew:
        grew = False
        for replaced, replacing in replacements:
            if replaced in ids and replacing not in ids:
                ids.add(replacing)
                grew = True
    return ids


def _without(
    standing: list[RememberedClaim], gone: set[str], billing_npi: str
) -> list[RememberedClaim]:
    return [c for c in standing if not (c.claim_id in gone and c.billing_npi == billing_npi)]


def in_effect(history: ClaimHistory, claim: Claim) -> tuple[RememberedClaim, ...]:
    """The remembered claims that still stand against `claim`, oldest first: a void takes
    its original (and every replacement of it) out; a replacement's lines supersede its
    original's, so the two never count together; and when `claim` itself replaces or voids
    a claim, that claim and its other versions do not count against it. Only a claim of the
    same billing provider can be replaced or voided. Voids are not returned; nor are
    rejected claims (kept for their place in the order only)."""
    standing: list[RememberedClaim] = []
    accepted = tuple(c for c in history.claims if c.outcome == "claim.enriched")
    for position, remembered_claim in enumerate(accepted):
        if remembered_claim.frequency != "original" and remembered_claim.replaces is not None:
            npi = remembered_claim.billing_npi
            gone = _lineage(remembered_claim.replaces, npi, accepted[:position])
            standing = _without(standing, gone, npi)
        if remembered_claim.frequency != "void":
            standing.append(remembered_claim)
    own_original = claim.payer_claim_control_number if claim.frequency != "original" else None
    if own_original is not None:
        npi = claim.billing_provider.npi
        standing = _without(standing, _lineage(own_original, npi, accepted), npi)
    return tuple(standing)


def original_remembered(history: ClaimHistory, claim_id: str, billing_npi: str) -> bool:
    """Whether the claim a replacement or void names was ever accepted from the same billing
    provider (even if voided since)."""
    return any(
        c.claim_id == claim_id and c.billing_npi == billing_npi and c.outcome == "claim.enriched"
        for c in history.claims
    )
