"""The outcome encoder writes the same bytes as the encoder it replaced, the generic `encode`
(a dict in the model's field order, the claim through `model_dump_json` as a `default`): on the
benchmark corpus, rejected and enriched, and on claims with values that JSON writers treat
apart (non-ASCII, control characters in free text, big amounts, fields the sender added)."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from benchmarks.corpus import corpus
from contracts import SCHEMA_VERSION, ClaimEnriched, ClaimRejected, ClaimSubmitted
from service.adapters.json_codec import encode, encode_outcome
from service.bootstrap import build_processor, no_memory
from service.domain.engine import evaluate
from service.domain.outcome import Outcome

NOW = datetime(2026, 12, 4, 12, 0, 0, 123456, tzinfo=UTC)
PROCESSOR = build_processor(memory=no_memory)


def former_encoding(outcome: Outcome, occurred_at: datetime) -> bytes:
    values: Mapping[str, Any] = {
        "event_id": outcome.event_id,
        "event_type": outcome.event_type,
        "schema_version": SCHEMA_VERSION,
        "occurred_at": occurred_at,
        "source_event_id": outcome.source_event_id,
        "claim_id": outcome.claim_id,
        "ruleset": outcome.ruleset,
        "claim": outcome.claim,
        "findings": outcome.findings,
        "changes": outcome.changes,
        "proposed_changes": outcome.changes,
        "pricing": outcome.pricing,
    }
    return encode(ClaimRejected if outcome.rejected else ClaimEnriched, values)


def outcome_of(document: dict[str, Any]) -> Outcome:
    event = ClaimSubmitted.model_validate_json(orjson.dumps(document))
    return evaluate(event, PROCESSOR.reference, PROCESSOR.policy)


def tricky(document: dict[str, Any], index: int) -> dict[str, Any]:
    claim = document["claim"]
    claim["sender_note"] = ["Zoë Ångström 患者 \u2028", "tab\there\x01\x1f", {"nested": None}][
        index % 3
    ]
    claim["claim_id"] = claim["claim_id"] + ["é", "Ω", "€"][index % 3]
    for line in claim["lines"]:
        line["charge"] = ["99999999.9", "0.01", "9999999999.99"][index % 3]
        line["echoed"] = {"big": 2**62, "float": 1.5e300, "text": '"quoted" \\ back'}
    return document


def test_the_corpus_outcomes_are_written_as_the_former_encoder_wrote_them() -> None:
    outcomes = [outcome_of(document) for document in corpus(600, seed=7)]
    assert {outcome.rejected for outcome in outcomes} == {True, False}
    for outcome in outcomes:
        assert encode_outcome(outcome, NOW) == former_encoding(outcome, NOW)


@pytest.mark.parametrize("index", range(12))
def test_non_ascii_control_characters_big_amounts_and_echoed_fields_are_written_alike(
    index: int,
) -> None:
    document = tricky(corpus(12, seed=11)[index], index)
    outcome = outcome_of(document)
    written = encode_outcome(outcome, NOW)
    assert written == former_encoding(outcome, NOW)
    assert b"echoed" in written
