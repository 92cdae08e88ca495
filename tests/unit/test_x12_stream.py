"""An X12 record in the stream: one interchange in → its claims' outcomes and exactly one
277CA (or one 999); bytes with no X12 envelope → one dead letter. Without Kafka: the same
BatchEditor the loop uses."""

import json
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.adapters.x12.claims_837 import Converted, claim_events
from service.adapters.x12.interchange import read_interchange
from service.observability.metrics import ServiceMetrics
from service.processing import ClaimProcessor, Source
from service.stream.editing import BatchEditor, Topics
from service.stream.records import InputRecord, OutputRecord
from tests.e2e_time import NOW
from tests.x12_837 import interchange_837

ROOT = Path(__file__).resolve().parents[2]
TOPICS = Topics("out.enriched", "out.rejected", "out.dlq", "in.x12", "out.277ca")
CLAIMS = [json.loads(line)["claim"] for line in (ROOT / "samples" / "claims.jsonl").open()]
SAMPLE_837 = interchange_837(CLAIMS[:4], "837P", control_number=77)


def edited(processor: ClaimProcessor, *records: InputRecord) -> list[OutputRecord]:
    editor = BatchEditor(processor, TOPICS, ServiceMetrics(), clock=lambda: NOW)
    return editor.edit(records)


def x12(value: bytes, offset: int = 0) -> InputRecord:
    return InputRecord("in.x12", 0, offset, b"upload", value, (("correlation-id", b"c-1"),))


def answers(outputs: list[OutputRecord]) -> list[OutputRecord]:
    return [o for o in outputs if o.topic == "out.277ca"]


def test_an_interchange_gives_each_claim_the_outcome_its_json_gives_and_one_277ca(
    processor: ClaimProcessor,
) -> None:
    outputs = edited(processor, x12(SAMPLE_837.encode()))
    outcomes = [o for o in outputs if o.topic != "out.277ca"]
    expected = [
        processor.process(orjson.dumps(result.event), Source(), NOW).value
        for result in claim_events(read_interchange(SAMPLE_837))
        if isinstance(result, Converted)
    ]
    assert len(expected) == 4
    assert [o.value for o in outcomes] == expected  # byte for byte: the same processor
    assert [o.key for o in outcomes] == [c["claim_id"].encode() for c in CLAIMS[:4]]
    (answer,) = answers(outputs)
    assert answer.key == b"000000077"
    assert dict(answer.headers)["event-type"] == b"x12.277ca"
    assert dict(answer.headers)["correlation-id"] == b"c-1"
    assert read_interchange(answer.value.decode()).valid


def test_a_claim_that_cannot_be_read_is_a_dead_letter_and_a_rejected_277ca_row(
    processor: ClaimProcessor,
) -> None:
    text = SAMPLE_837.replace("*UN*1***", "*MJ*1***", 1)  # the first claim's units in minutes
    outputs = edited(processor, x12(text.encode()))
    letters = [json.loads(o.value) for o in outputs if o.topic == "out.dlq"]
    assert len(letters) == 1 and letters[0]["error_kind"] == "schema_invalid"
    assert "units in minutes (MJ)" in letters[0]["errors"][0]["msg"]
    assert len([o for o in outputs if o.topic in {"out.enriched", "out.rejected"}]) == 3
    (answer,) = answers(outputs)
    document = answer.value.decode()
    assert read_interchange(document).valid
    assert f"TRN*2*{CLAIMS[0]['claim_id']}~STC*A3:21*" in document
    assert "QTY*AA*" in document


def test_invalid_x12_gets_exactly_one_999_and_nothing_else(processor: ClaimProcessor) -> None:
    broken = SAMPLE_837.replace(f"CLM*{CLAIMS[1]['claim_id']}*", "CLM**", 1)
    (answer,) = edited(processor, x12(broken.encode()))
    assert answer.topic == "out.277ca"
    assert dict(answer.headers)["event-type"] == b"x12.999"
    assert "IK3*CLM*" in answer.value.decode()


def test_bytes_with_no_x12_envelope_are_one_dead_letter(processor: ClaimProcessor) -> None:
    (letter,) = edited(processor, x12(b"\x00\xff not x12"))
    assert letter.topic == "out.dlq"
    assert json.loads(letter.value)["error_kind"] == "undecodable"


def test_interchanges_are_edited_alone_and_claim_events_together(
    processor: ClaimProcessor,
) -> None:
    editor = BatchEditor(processor, TOPICS, ServiceMetrics(), clock=lambda: NOW)
    event = InputRecord("in.json", 0, 0, b"k", b"{}")
    interchange = x12(b"ISA")
    assert editor.next_group([event, event, interchange, event]) == [event, event]
    assert editor.next_group([interchange, event]) == [interchange]


def _one_answer(outputs: list[OutputRecord]) -> None:
    found = answers(outputs)
    if found:
        assert len(found) == 1
    else:  # no envelope to answer: exactly one dead letter and nothing else
        assert [o.topic for o in outputs] == ["out.dlq"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_any_bytes_get_exactly_one_answer(processor: ClaimProcessor, value: bytes) -> None:
    _one_answer(edited(processor, x12(value)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=0, max_value=len(SAMPLE_837) - 1),
    st.integers(min_value=0, max_value=40),
    st.sampled_from(["", "*", ":", "~", "X", "9", "\u00e9", "\r\n", "ISA*"]),
)
def test_a_damaged_interchange_gets_exactly_one_answer(
    processor: ClaimProcessor, at: int, cut: int, insert: str
) -> None:
    damaged = SAMPLE_837[:at] + insert + SAMPLE_837[at + cut :]
    _one_answer(edited(processor, x12(damaged.encode())))


def test_an_interchange_over_the_size_limit_is_one_too_large_dead_letter() -> None:
    from service.adapters.reference_files import load_reference
    from service.domain.policy import Policy
    from service.processing import Limits

    small = ClaimProcessor(load_reference(), Policy(), Limits(max_event_bytes=1000))
    (letter,) = edited(small, x12(SAMPLE_837.encode()))
    document = json.loads(letter.value)
    assert (letter.topic, document["error_kind"]) == ("out.dlq", "too_large")
    assert document["original_base64"] is None


def test_a_bug_while_reading_an_interchange_is_one_processing_error_dead_letter(
    processor: ClaimProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("patient SMITH")  # its text must not travel

    monkeypatch.setattr("service.stream.interchanges.claim_events", broken)
    (letter,) = edited(processor, x12(SAMPLE_837.encode()))
    document = json.loads(letter.value)
    assert (letter.topic, document["error_kind"]) == ("out.dlq", "processing_error")
    assert document["errors"] == [{"loc": "event", "msg": "RuntimeError"}]


def test_interchanges_are_counted_by_answer_for_the_operator(processor: ClaimProcessor) -> None:
    metrics = ServiceMetrics()
    editor = BatchEditor(processor, TOPICS, metrics, clock=lambda: NOW)
    broken = SAMPLE_837.replace(f"CLM*{CLAIMS[1]['claim_id']}*", "CLM**", 1)
    editor.edit([x12(SAMPLE_837.encode()), x12(broken.encode(), 1), x12(b"junk", 2)])
    exposition = metrics.exposition().decode()
    for answer in ("x12.277ca", "x12.999", "claim.dead_letter"):
        assert f'claim_edit_x12_interchanges_total{{answer="{answer}"}} 1.0' in exposition
    assert "claim_edit_x12_interchange_seconds_count 3.0" in exposition


def test_patient_data_in_an_interchange_reaches_no_log_metric_or_dead_letter_text(
    processor: ClaimProcessor,
) -> None:
    """A patient named ZZSECRETNAME, member ZZSECRETMEMBER, born 1923-04-05, with an ICD-9
    code and units in minutes: every way the X12 path reports a problem, at DEBUG."""
    import io

    from service.observability.logging import configure_logging

    claim = json.loads(json.dumps(CLAIMS[0]))
    claim["patient"] = {
        "member_id": "ZZSECRETMEMBER",
        "birth_date": "1923-04-05",
        "sex": "F",
        "last_name": "ZZSECRETNAME",
    }
    text = interchange_837([claim, CLAIMS[1]], "837P")
    secrets = ["ZZSECRETNAME", "ZZSECRETMEMBER", "19230405", "1923-04-05", "4109"]
    variants = [
        text.replace("HI*ABK:I2510", "HI*BK:4109", 1),  # ICD-9: the claim is unreadable
        text.replace("*UN*1***", "*MJ*1***", 1),  # minutes
        text.replace("NM1*IL*1*ZZSECRETNAME", "NM1*IL*1*ZZSECRETNAME*" + "X" * 90, 1),  # invalid
        "ISA*ZZSECRETNAME*ZZSECRETMEMBER~19230405",  # no envelope
    ]
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    metrics = ServiceMetrics()
    editor = BatchEditor(processor, TOPICS, metrics, clock=lambda: NOW)
    try:
        outputs = editor.edit([x12(v.encode(), i) for i, v in enumerate(variants)])
    finally:
        configure_logging("INFO")
    letters = [json.loads(o.value) for o in outputs if o.topic == "out.dlq"]
    assert len(letters) == 3  # the ICD-9 claim, the claim in minutes, the bytes
    said = [
        stream.getvalue(),
        metrics.exposition().decode(),
        json.dumps([d["errors"] for d in letters]),
    ]
    for secret in secrets:
        assert not any(secret in text_ for text_ in said), secret
