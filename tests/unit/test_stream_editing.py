"""Records to outputs: routing, the contract's headers whatever the input headers, and the
smaller forms an output falls back to when the broker refuses it for good."""

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import DeadLetter
from service.app.edit_event import ClaimProcessor
from service.app.edit_records import RecordEditor
from service.app.records import Header, InputRecord
from service.app.routing import Topics
from service.observability.metrics import ServiceMetrics
from tests.builders import event_document, line
from tests.e2e_time import NOW

TOPICS = Topics("out.enriched", "out.rejected", "out.dlq")


def editor(processor: ClaimProcessor) -> RecordEditor:
    return RecordEditor(processor, TOPICS, ServiceMetrics(), clock=lambda: NOW)


def record(
    value: bytes, offset: int = 0, headers: tuple[Header, ...] = (), key: bytes | None = b"K"
) -> InputRecord:
    return InputRecord("in", 2, offset, key, value, headers)


def claim(event_id: str = "e1", *modifiers: str) -> bytes:
    return orjson.dumps(event_document(line("92924", *modifiers), event_id=event_id))


def test_outcomes_route_to_their_topics_with_the_contract_headers(
    processor: ClaimProcessor,
) -> None:
    outputs = editor(processor).edit(
        [
            record(claim("a", "LD"), 0, (("correlation-id", b"corr-a"),)),
            record(claim("b"), 1),
            record(b"not json", 2),
        ]
    )
    assert [o.topic for o in outputs] == ["out.enriched", "out.rejected", "out.dlq"]
    headers = [dict(o.headers) for o in outputs]
    assert [h["correlation-id"] for h in headers[:2]] == [b"corr-a", b"b"]
    assert headers[2]["source-event-id"] == b""
    assert [h["event-type"] for h in headers] == [
        b"claim.enriched",
        b"claim.rejected",
        b"claim.dead_letter",
    ]
    assert {h["content-type"] for h in headers} == {b"application/json"}
    assert all(o.key == b"K" for o in outputs)


@pytest.mark.parametrize(
    "value",
    [None, b"\xff\xfe binary", b"x" * 257, b"x" * 950_000],
    ids=["null", "not-utf8", "257-bytes", "950-KB"],
)
def test_a_correlation_id_that_cannot_be_copied_falls_back_to_the_event_id(
    processor: ClaimProcessor, value: bytes | None
) -> None:
    [output] = editor(processor).edit(
        [record(claim("evt-7", "LD"), headers=(("correlation-id", value),))]
    )
    assert dict(output.headers)["correlation-id"] == b"evt-7"
    assert output.topic == "out.enriched"


def test_the_last_of_repeated_correlation_ids_is_copied(processor: ClaimProcessor) -> None:
    headers: tuple[Header, ...] = (("correlation-id", b"first"), ("correlation-id", b"last"))
    [output] = editor(processor).edit([record(claim("e", "LD"), headers=headers)])
    assert dict(output.headers)["correlation-id"] == b"last"


HEADERS = st.lists(
    st.tuples(
        st.sampled_from(["correlation-id", "x-trace", "traceparent", "Correlation-ID", ""]),
        st.none() | st.binary(max_size=600),
    ),
    max_size=6,
)
KEYS = st.none() | st.binary(max_size=2000)


@settings(max_examples=150, deadline=None)
@given(headers=HEADERS, key=KEYS, value=st.binary(max_size=300) | st.just(claim("p", "LD")))
def test_every_header_and_key_shape_yields_exactly_one_output_with_bounded_headers(
    processor: ClaimProcessor, headers: list[Header], key: bytes | None, value: bytes
) -> None:
    [output] = editor(processor).edit([record(value, headers=tuple(headers), key=key)])
    copied = dict(output.headers)["correlation-id"]
    assert len(copied) <= 256
    copied.decode("utf-8")
    assert output.key == key or output.topic != "out.dlq"


def test_a_refused_outcome_falls_back_to_a_carried_then_a_bounded_dead_letter(
    processor: ClaimProcessor,
) -> None:
    edit = editor(processor)
    raw = claim("e9", "LD")
    [outcome] = edit.edit([record(raw, 41)])
    carried = edit.fallback(outcome, "MessageSizeTooLargeError")
    assert carried is not None and carried.topic == "out.dlq" and carried.form == "carried"
    letter = DeadLetter.model_validate_json(carried.value)
    assert letter.error_kind == "unpublishable"
    assert "MessageSizeTooLargeError" in letter.errors[0].msg
    assert letter.original_base64 is not None
    bounded = edit.fallback(carried, "TopicAuthorizationFailedError")
    assert bounded is not None and bounded.form == "bounded"
    small = DeadLetter.model_validate_json(bounded.value)
    assert small.original_base64 is None
    assert small.original_size == len(raw)
    assert small.source.offset == 41
    assert edit.fallback(bounded, "TopicAuthorizationFailedError") is None


def test_a_refused_dead_letter_falls_back_to_the_bounded_form_at_once(
    processor: ClaimProcessor,
) -> None:
    edit = editor(processor)
    [letter] = edit.edit([record(b"\x00 not json")])
    bounded = edit.fallback(letter, "MessageSizeTooLargeError")
    assert bounded is not None and bounded.form == "bounded"
    assert json.loads(bounded.value)["original_base64"] is None


def test_the_bounded_form_drops_a_key_too_large_to_publish(processor: ClaimProcessor) -> None:
    edit = editor(processor)
    [outcome] = edit.edit([record(claim("k", "LD"), key=b"k" * 2_000_000)])
    carried = edit.fallback(outcome, "MessageSizeTooLargeError")
    assert carried is not None
    bounded = edit.fallback(carried, "MessageSizeTooLargeError")
    assert bounded is not None and bounded.key is None
    assert json.loads(bounded.value)["source"]["key"] is None


def test_a_repeat_carries_the_same_event_id(processor: ClaimProcessor) -> None:
    raw = claim("same", "LD")
    first, again = (editor(processor).edit([record(raw)])[0] for _ in range(2))
    assert json.loads(first.value)["event_id"] == json.loads(again.value)["event_id"]


def test_outputs_carry_the_cloudevents_binary_mode_headers(processor: ClaimProcessor) -> None:
    [enriched, letter] = editor(processor).edit([record(claim("ce", "LD")), record(b"junk", 1)])
    headers = dict(enriched.headers)
    document = json.loads(enriched.value)
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_id"].decode() == document["event_id"]
    assert headers["ce_type"] == b"claim.enriched"
    assert headers["ce_source"] == b"urn:claim-edit:claim-edit"
    assert headers["ce_time"].decode() == document["occurred_at"]
    assert headers["ce_subject"].decode() == document["claim_id"]
    assert "ce_subject" not in dict(letter.headers)  # a dead letter has no claim id
    assert dict(letter.headers)["ce_type"] == b"claim.dead_letter"
