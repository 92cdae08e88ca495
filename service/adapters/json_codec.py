"""Output events to JSON bytes, from their one definition (contracts/events.py).

The envelope's fields and their order come from the pydantic model of the event; its
parts (findings, changes, prices, evidence) are the contract's dataclasses, which orjson
writes as they are. The claim is written by pydantic itself and embedded unchanged.
"""

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel

from contracts import SCHEMA_VERSION, ClaimEnriched, ClaimRejected, DeadLetter
from service.domain.canonical import claim_json
from service.domain.outcome import Outcome

_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {
    model: tuple(model.model_fields) for model in (ClaimEnriched, ClaimRejected, DeadLetter)
}


def _embedded(value: object) -> orjson.Fragment:
    if isinstance(value, BaseModel):
        return orjson.Fragment(value.model_dump_json())
    raise TypeError(type(value).__name__)


def encode(model: type[BaseModel], values: Mapping[str, Any]) -> bytes:
    """The event `model` defines, with its fields in its order; a field without a value is
    a KeyError here rather than an event that breaks its schema."""
    return orjson.dumps({name: values[name] for name in _FIELDS[model]}, default=_embedded)


def encode_outcome(outcome: Outcome, occurred_at: datetime) -> bytes:
    """The outcome's event, its fields in the model's order (a test holds the two orders
    together): written directly, the hot path, rather than through `encode`. The claim is
    its canonical JSON when the engine kept it (the claim as sent), else pydantic's."""
    claim = orjson.Fragment(
        outcome.claim_json if outcome.claim_json is not None else claim_json(outcome.claim)
    )
    event = {
        "event_id": outcome.event_id,
        "event_type": outcome.event_type,
        "schema_version": SCHEMA_VERSION,
        "occurred_at": occurred_at,
        "source_event_id": outcome.source_event_id,
        "claim_id": outcome.claim_id,
        "ruleset": outcome.ruleset,
        "claim": claim,
        "findings": outcome.findings,
    }
    if outcome.rejected:
        event["proposed_changes"] = outcome.changes
    else:
        event["changes"] = outcome.changes
        event["pricing"] = outcome.pricing
    return orjson.dumps(event)


def encode_dead_letter(
    *,
    event_id: str,
    occurred_at: datetime,
    error_kind: str,
    errors: list[dict[str, str]],
    source: dict[str, Any],
    original: bytes | None,
    original_size: int,
    original_sha256: str,
) -> bytes:
    return encode(
        DeadLetter,
        {
            "event_id": event_id,
            "event_type": "claim.dead_letter",
            "schema_version": SCHEMA_VERSION,
            "occurred_at": occurred_at,
            "error_kind": error_kind,
            "errors": errors,
            "source": source,
            "original_base64": (
                None if original is None else base64.b64encode(original).decode("ascii")
            ),
            "original_size": original_size,
            "original_sha256": original_sha256,
        },
    )
