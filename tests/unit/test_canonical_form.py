"""The canonical form put together around one serialization of the claim is, byte for byte,
pydantic's serialization of the whole event (whose digest names outputs and keys the claim
memory); and an outcome written with the claim's kept JSON is the outcome written by
serializing its claim again."""

import dataclasses
import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.corpus import corpus
from contracts import Claim, ClaimEnriched, ClaimRejected, ClaimSubmitted
from service.adapters.json_codec import encode_outcome
from service.domain.canonical import canonical
from service.domain.engine import evaluate
from tests.outcomes import REFERENCE
from tests.strategies import claim_events

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def assert_canonical_is_pydantics(event: ClaimSubmitted) -> None:
    form = canonical(event)
    assert form.claim_json == event.claim.model_dump_json().encode()
    assert form.digest == hashlib.sha256(event.model_dump_json().encode()).digest()


def test_the_canonical_form_of_every_corpus_claim_is_pydantics() -> None:
    for document in corpus(1_000):
        assert_canonical_is_pydantics(ClaimSubmitted.model_validate(document))


# What a sender may put where the contract leaves room: free text in names and its own
# fields (kept and echoed), in any script, with escapes JSON must write.
CHARACTERS = st.characters(codec="utf-8")  # every code point UTF-8 can carry
FREE_TEXT = st.text(CHARACTERS, min_size=1, max_size=30)
CLAIM_FIELDS = frozenset(Claim.model_fields)


def not_a_claim_field(name: str) -> bool:
    return name not in CLAIM_FIELDS


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    claim_events(),
    FREE_TEXT,
    st.dictionaries(
        st.text(CHARACTERS, max_size=12).filter(not_a_claim_field),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(min_value=-(2**63), max_value=2**64),
            FREE_TEXT,
            st.lists(FREE_TEXT, max_size=3),
        ),
        max_size=3,
    ),
)
def test_the_canonical_form_of_a_generated_claim_with_free_text_and_extra_fields_is_pydantics(
    document: dict[str, Any], name: str, extra: dict[str, Any]
) -> None:
    claim = {**document["claim"], **extra}
    claim["patient"] = {**claim["patient"], "last_name": name[:60]}
    assert_canonical_is_pydantics(ClaimSubmitted.model_validate({**document, "claim": claim}))


def test_an_outcome_written_from_the_kept_claim_json_is_the_one_written_by_serializing() -> None:
    kept = 0
    for document in corpus(600):
        outcome = evaluate(ClaimSubmitted.model_validate(document), REFERENCE)
        kept += outcome.claim_json is not None
        serialized = dataclasses.replace(outcome, claim_json=None)
        assert encode_outcome(outcome, NOW) == encode_outcome(serialized, NOW)
    assert kept > 0


def test_an_outcome_is_written_with_its_events_fields_in_the_contracts_order() -> None:
    seen = set()
    for document in corpus(200):
        outcome = evaluate(ClaimSubmitted.model_validate(document), REFERENCE)
        model = ClaimRejected if outcome.rejected else ClaimEnriched
        written = orjson.loads(encode_outcome(outcome, NOW))
        assert list(written) == list(model.model_fields)
        model.model_validate(written)
        seen.add(model)
    assert seen == {ClaimEnriched, ClaimRejected}
