"""Invariants over generated claims: one valid outcome, deterministic, idempotent."""

import gc
import hashlib
import json
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from contracts import ClaimEnriched, ClaimRejected, ClaimSubmitted, DeadLetter
from service.app.edit_event import ClaimProcessor, Source
from tests.e2e_time import NOW
from tests.outcomes import run
from tests.strategies import claim_events

SOURCE = Source(topic="claims.submitted", partition=0, offset=7)
MODELS: dict[str, type[BaseModel]] = {
    "claim.enriched": ClaimEnriched,
    "claim.rejected": ClaimRejected,
    "claim.dead_letter": DeadLetter,
}
PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@PROPERTY
@given(claim_events())
def test_any_valid_claim_yields_exactly_one_outcome_that_validates(
    processor: ClaimProcessor, document: dict[str, Any]
) -> None:
    result = processor.process(orjson.dumps(document), SOURCE, NOW)
    assert result.event_type in ("claim.enriched", "claim.rejected")
    MODELS[result.event_type].model_validate_json(result.value)


@PROPERTY
@given(claim_events())
def test_same_input_gives_the_same_bytes(
    processor: ClaimProcessor, document: dict[str, Any]
) -> None:
    raw = orjson.dumps(document)
    assert processor.process(raw, SOURCE, NOW).value == processor.process(raw, SOURCE, NOW).value


@PROPERTY
@given(claim_events())
def test_resubmitting_an_enriched_claim_yields_no_further_corrections(
    document: dict[str, Any],
) -> None:
    outcome = run(ClaimSubmitted.model_validate(document))
    if outcome.rejected:
        return
    again = run(ClaimSubmitted.model_validate({**document, "claim": outcome.claim.model_dump()}))
    assert again.changes == ()


@PROPERTY
@given(claim_events())
def test_rejection_lists_blocking_findings_first(document: dict[str, Any]) -> None:
    outcome = run(ClaimSubmitted.model_validate(document))
    blocking = [f.disposition in ("claim_rejection", "line_rejection") for f in outcome.findings]
    assert blocking == sorted(blocking, reverse=True)
    assert outcome.rejected == any(blocking)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.binary(max_size=2048)
    | st.dictionaries(
        st.text(max_size=10),
        st.recursive(
            st.none() | st.integers() | st.text(max_size=20),
            lambda c: st.lists(c, max_size=3),
            max_leaves=10,
        ),
        max_size=6,
    ).map(lambda value: json.dumps(value).encode())
)
def test_arbitrary_bytes_are_an_outcome_or_a_dead_letter(
    processor: ClaimProcessor, raw: bytes
) -> None:
    result = processor.process(raw, SOURCE, NOW)
    MODELS[result.event_type].model_validate_json(result.value)


@PROPERTY
@given(st.lists(claim_events().map(orjson.dumps) | st.binary(max_size=64), max_size=8))
def test_a_batch_gives_what_each_event_gives_alone(
    processor: ClaimProcessor, events: list[bytes]
) -> None:
    sources = [Source(topic="claims.submitted", partition=0, offset=i) for i in range(len(events))]
    batch = processor.process_batch(list(zip(events, sources, strict=True)), NOW)
    alone = [
        processor.process(raw, source, NOW) for raw, source in zip(events, sources, strict=True)
    ]
    assert [(r.event_type, r.key, r.value) for r in batch] == [
        (r.event_type, r.key, r.value) for r in alone
    ]


def _cyclic_garbage_left_by(processor: ClaimProcessor, raw: bytes) -> int:
    gc.freeze()  # what lived before (garbage included) is not examined: only the new objects
    gc.disable()
    try:
        processor.process(raw, SOURCE, NOW)
        return gc.collect()
    finally:
        gc.enable()
        gc.unfreeze()


@PROPERTY
@given(claim_events())
def test_editing_a_claim_leaves_no_reference_cycles(
    processor: ClaimProcessor, document: dict[str, Any]
) -> None:
    """`serve` makes garbage collections rare (service.entrypoints.serve.GC_THRESHOLD)
    because the engine's objects are freed by reference counting alone."""
    assert _cyclic_garbage_left_by(processor, orjson.dumps(document)) == 0


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=512) | st.just(b'{"event_id": 1}'))
def test_dead_lettering_leaves_no_reference_cycles(processor: ClaimProcessor, raw: bytes) -> None:
    assert _cyclic_garbage_left_by(processor, raw) == 0


@settings(max_examples=300, deadline=None)
@given(
    st.binary(min_size=32, max_size=32),
    st.none() | st.sampled_from(["pci-2025", "pci-2026.1"]),
    st.lists(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64), max_size=3),
    st.binary(max_size=32),
)
def test_output_event_id_is_the_rfc_4122_uuid5(
    digest: bytes, ruleset: str | None, sources: list[str], policy: bytes
) -> None:
    import uuid

    from contracts import ReferenceSource, RulesetRef
    from service.domain.engine import OUTPUT_NAMESPACE, output_event_id

    ref = RulesetRef(
        version=ruleset,
        as_of=None,
        sources=tuple(ReferenceSource(name="f", release="r", sha256=s) for s in sources),
    )
    name = b"\x1f".join([digest, (ruleset or "-").encode(), *(s.encode() for s in sources), policy])
    # uuid.uuid5 takes only text here; uuid.UUID(version=5) sets the version and variant bits
    sha1 = hashlib.sha1(OUTPUT_NAMESPACE.bytes + name, usedforsecurity=False).digest()
    expected = uuid.UUID(bytes=sha1[:16], version=5)
    assert output_event_id(digest, ref, policy) == str(expected)
