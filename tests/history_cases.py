"""Claims edited after others: a claim memory as a plain list, for the history edits' cases
and worked samples (no database). Each earlier claim is edited first, against what was
remembered before it, and remembered in order when the domain says it is worth keeping."""

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from contracts import ClaimSubmitted
from service.domain.history import ClaimHistory, RememberedClaim, remembered
from service.domain.outcome import Outcome
from service.domain.policy import Policy
from tests.builders import event_document
from tests.outcomes import NaturalDispositions, run

OTHER_NPI = "9876543213"
"""A second valid NPI (check digit per 45 CFR 162.406)."""


def claim(
    *lines: dict[str, Any],
    claim_id: str = "CLM-A",
    rendering_npi: str | None = None,
    **options: Any,
) -> ClaimSubmitted:
    """A built claim with its own claim id (and an event id of its own), of the builders'
    one patient."""
    document = event_document(*lines, event_id=f"evt-{claim_id}", **options)
    document["claim"]["claim_id"] = claim_id
    if rendering_npi is not None:
        document["claim"]["rendering_provider"]["npi"] = rendering_npi
    return ClaimSubmitted.model_validate(document)


def remember_in_order(
    events: Sequence[ClaimSubmitted], natural: NaturalDispositions | None = None
) -> tuple[RememberedClaim, ...]:
    """Edit each claim against the ones remembered before it; keep what `remembered` keeps."""
    kept: list[RememberedClaim] = []
    for earlier in events:
        outcome = run(earlier, natural=natural, history=ClaimHistory(tuple(kept)))
        found = remembered(earlier, outcome)
        if found is not None:
            kept.append(replace(found, sequence=len(kept) + 1))
    return tuple(kept)


def run_after(
    earlier: Sequence[ClaimSubmitted],
    claim_event: ClaimSubmitted,
    policy: Policy | None = None,
    natural: NaturalDispositions | None = None,
) -> Outcome:
    """The claim's outcome with a claim memory holding `earlier` (edited first, in order)."""
    history = ClaimHistory(remember_in_order(earlier, natural))
    return run(claim_event, policy, natural=natural, history=history)


def edit_in_order(events: Sequence[ClaimSubmitted]) -> dict[str, Outcome]:
    """Each claim edited in the order given against its own patient's claims remembered
    before it (a list per payer and member id), as a claim memory would: event id →
    outcome."""
    kept: dict[tuple[str, str], list[RememberedClaim]] = {}
    outcomes: dict[str, Outcome] = {}
    for claim_event in events:
        patient = (claim_event.claim.payer.payer_id, claim_event.claim.patient.member_id)
        earlier = kept.setdefault(patient, [])
        outcome = run(claim_event, history=ClaimHistory(tuple(earlier)))
        found = remembered(claim_event, outcome)
        if found is not None:
            earlier.append(replace(found, sequence=len(earlier) + 1))
        outcomes[claim_event.event_id] = outcome
    return outcomes
