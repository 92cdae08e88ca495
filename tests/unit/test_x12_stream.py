"""An X12 record in the stream: one interchange in → its claims' outcomes and exactly one
277CA (or one 999); bytes with no X12 envelope → one dead letter. Without Kafka: the same
RecordEditor the loop uses."""

import base64
import dataclasses
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.adapters.x12.claims_837 import Converted, claim_events
from service.adapters.x12.interchange import pieces_of, read_interchange
from service.app.edit_event import ClaimProcessor, Source
from service.app.edit_records import RecordEditor
from service.app.records import InputRecord, OutputRecord
from service.app.routing import Topics
from service.observability.metrics import ServiceMetrics
from service.stream.guarantees import _swap
from tests.e2e_time import NOW
from tests.x12_837 import interchange_837, numbered_sample_claims

ROOT = Path(__file__).resolve().parents[2]
TOPICS = Topics("out.enriched", "out.rejected", "out.dlq", "in.x12", "out.277ca")
CLAIMS = [json.loads(line)["claim"] for line in (ROOT / "samples" / "claims.jsonl").open()]
SAMPLE_837 = interchange_837(CLAIMS[:4], "837P", control_number=77)


def edited(processor: ClaimProcessor, *records: InputRecord) -> list[OutputRecord]:
    editor = RecordEditor(processor, TOPICS, ServiceMetrics(), clock=lambda: NOW)
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
    assert answer.key == b"ZZ:SUBMIT01:000000077"
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
    editor = RecordEditor(processor, TOPICS, ServiceMetrics(), clock=lambda: NOW)
    event = InputRecord("in.json", 0, 0, b"k", b"{}")
    interchange = x12(b"ISA")
    assert editor.next_group([event, event, interchange, event]) == [event, event]
    assert editor.next_group([interchange, event]) == [interchange]


def _one_answer_per_piece(value: bytes, outputs: list[OutputRecord]) -> None:
    """Each envelope one 277CA, 999 or `undecodable` dead letter; each run of bytes outside
    an envelope one `undecodable` dead letter; a record with neither, one dead letter."""
    pieces = pieces_of(value)
    refused = [
        o
        for o in outputs
        if o.topic == "out.dlq" and json.loads(o.value)["error_kind"] != "schema_invalid"
    ]
    assert len(answers(outputs)) + len(refused) == max(1, len(pieces))
    assert len(answers(outputs)) <= sum(p.envelope for p in pieces)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_any_bytes_get_exactly_one_answer(processor: ClaimProcessor, value: bytes) -> None:
    _one_answer_per_piece(value, edited(processor, x12(value)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=0, max_value=len(SAMPLE_837) - 1),
    st.integers(min_value=0, max_value=40),
    st.sampled_from(["", "*", ":", "~", "X", "9", "\u00e9", "\r\n", "ISA*"]),
)
def test_a_damaged_interchange_gets_exactly_one_answer(
    processor: ClaimProcessor, at: int, cut: int, insert: str
) -> None:
    damaged = (SAMPLE_837[:at] + insert + SAMPLE_837[at + cut :]).encode()
    _one_answer_per_piece(damaged, edited(processor, x12(damaged)))


def test_an_interchange_over_the_size_limit_is_one_too_large_dead_letter() -> None:
    from service.adapters.reference_files import load_reference
    from service.app.edit_event import Limits
    from service.domain.policy import Policy

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

    monkeypatch.setattr("service.app.edit_interchange.claim_events", broken)
    (letter,) = edited(processor, x12(SAMPLE_837.encode()))
    document = json.loads(letter.value)
    assert (letter.topic, document["error_kind"]) == ("out.dlq", "processing_error")
    assert document["errors"] == [{"loc": "event", "msg": "RuntimeError"}]


def test_interchanges_are_counted_by_answer_for_the_operator(processor: ClaimProcessor) -> None:
    metrics = ServiceMetrics()
    editor = RecordEditor(processor, TOPICS, metrics, clock=lambda: NOW)
    broken = SAMPLE_837.replace(f"CLM*{CLAIMS[1]['claim_id']}*", "CLM**", 1)
    editor.edit([x12(SAMPLE_837.encode()), x12(broken.encode(), 1), x12(b"junk", 2)])
    exposition = metrics.exposition().decode()
    for answer in ("x12.277ca", "x12.999", "claim.dead_letter"):
        assert f'claim_edit_x12_answers_total{{answer="{answer}"}} 1.0' in exposition
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
    editor = RecordEditor(processor, TOPICS, metrics, clock=lambda: NOW)
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


# --- each interchange answered on its own; bytes outside an envelope refused -------------


def named(claims: list[dict[str, object]], last_name: str) -> list[dict[str, object]]:
    """The claims with their patient named `last_name` and member ids of their own."""
    return [
        {
            **claim,
            "patient": {
                **claim["patient"],  # type: ignore[dict-item]
                "last_name": last_name,
                "member_id": f"{last_name}-{n}",
            },
        }
        for n, claim in enumerate(claims)
    ]


ALPHA = interchange_837(
    named(numbered_sample_claims(3, "A"), "ALPHA"), "837P", control_number=11, sender="SENDERA"
)
BRAVO = interchange_837(
    named(numbered_sample_claims(2, "B"), "BRAVO"), "837P", control_number=12, sender="SENDERB"
)


def isa(document: bytes) -> list[str]:
    return document.decode()[:106].split("*")


def test_two_interchanges_in_one_record_are_each_answered_to_their_own_sender(
    processor: ClaimProcessor,
) -> None:
    outputs = edited(processor, x12((ALPHA + "\n" + BRAVO).encode()))
    alpha, bravo = answers(outputs)
    assert (isa(alpha.value)[8].strip(), isa(bravo.value)[8].strip()) == ("SENDERA", "SENDERB")
    assert (alpha.key, bravo.key) == (b"ZZ:SENDERA:000000011", b"ZZ:SENDERB:000000012")
    for answer, own, other in ((alpha, "ALPHA", "BRAVO"), (bravo, "BRAVO", "ALPHA")):
        document = answer.value.decode()
        assert read_interchange(document).valid
        assert own in document and other not in document
    assert alpha.value.decode().count("*PT~") == 3 and bravo.value.decode().count("*PT~") == 2
    assert len([o for o in outputs if o.topic in {"out.enriched", "out.rejected"}]) == 5


@pytest.mark.parametrize(
    ("name", "value", "stray"),
    [
        ("NULs after IEA", SAMPLE_837.encode() + b"\x00" * 16, b"\x00" * 16),
        ("garbage after IEA", SAMPLE_837.encode() + b"\r\nTRAILER 42", b"TRAILER 42"),
        ("garbage before ISA", b"HEADER\n" + SAMPLE_837.encode(), b"HEADER\n"),
        ("bytes between two", (ALPHA + "junk").encode() + BRAVO.encode(), b"junk"),
    ],
)
def test_bytes_outside_an_envelope_are_refused_with_where_they_are(
    processor: ClaimProcessor, name: str, value: bytes, stray: bytes
) -> None:
    outputs = edited(processor, x12(value))
    (letter,) = [json.loads(o.value) for o in outputs if o.topic == "out.dlq"]
    assert letter["error_kind"] == "undecodable", name
    start = value.index(stray)
    assert f"bytes {start}-{start + len(stray) - 1} of the record" in letter["errors"][0]["msg"]
    assert base64.b64decode(letter["original_base64"]) == stray  # the refused bytes, only
    assert answers(outputs) and all(
        read_interchange(a.value.decode()).valid for a in answers(outputs)
    )


def test_line_breaks_between_and_after_interchanges_are_not_refused(
    processor: ClaimProcessor,
) -> None:
    outputs = edited(processor, x12(("\r\n" + ALPHA + "\r\n\n" + BRAVO + "\n").encode()))
    assert [o.topic for o in outputs if o.topic == "out.dlq"] == []
    assert len(answers(outputs)) == 2


# --- a claim's dead letter carries that claim only ---------------------------------------


def unconvertible(count: int) -> str:
    """`count` claims, each with claim filing indicator CH (CHAMPUS: no payer kind here)."""
    text = interchange_837(named(numbered_sample_claims(count, "U"), "UNCONV"), "837P")
    return re.sub(r"(~SBR\*P\*18\*{7})[^~]+~", r"\1CH~", text)


def test_a_claims_dead_letter_carries_its_own_one_claim_837_and_no_other_patient(
    processor: ClaimProcessor,
) -> None:
    outputs = edited(processor, x12(unconvertible(6).encode()))
    letters = [json.loads(o.value) for o in outputs if o.topic == "out.dlq"]
    assert len(letters) == 6 and {d["error_kind"] for d in letters} == {"schema_invalid"}
    for n, letter in enumerate(letters):
        excerpt = base64.b64decode(letter["original_base64"]).decode()
        assert letter["original_size"] == len(excerpt.encode())
        one = read_interchange(excerpt)
        assert one.valid, [p.describe() for p in one.problems]  # a one-claim 837 as sent
        (claim,) = claim_events(one)
        assert claim.claim_id == f"U-{n:03d}"
        others = [f"UNCONV-{m}*" for m in range(6) if m != n]
        assert f"UNCONV-{n}~" in excerpt and not any(other in excerpt for other in others)
        assert letter["source"]["key"] == f"U-{n:03d}"
        assert "CLM at line" in letter["errors"][0]["msg"]
    (answer,) = answers(outputs)
    assert answer.value.decode().count("STC*A3:21*") == 6


def test_dead_letters_grow_with_the_claims_not_with_their_square(
    processor: ClaimProcessor,
) -> None:
    """Before: each letter carried the whole 837 (N claims: N letters of N claims each)."""
    sizes = {}
    for count in (10, 40):
        outputs = edited(processor, x12(unconvertible(count).encode()))
        letters = [len(o.value) for o in outputs if o.topic == "out.dlq"]
        assert len(letters) == count
        assert max(letters) < 8 * 1024
        sizes[count] = sum(letters)
    assert sizes[40] < 4.5 * sizes[10]


# --- the 277CA's envelope, control number, key and headers --------------------------------


def test_the_277ca_mirrors_the_837s_usage_and_goes_to_its_sender(
    processor: ClaimProcessor,
) -> None:
    for usage in ("T", "P"):
        text = interchange_837(CLAIMS[:2], "837P", sender="SENDERX", usage=usage)
        (answer,) = answers(edited(processor, x12(text.encode())))
        header = isa(answer.value)
        assert header[15] == usage
        assert (header[5], header[6].strip()) == ("ZZ", "CLAIMEDIT")  # the 837's ISA07/08
        assert (header[7], header[8].strip()) == ("ZZ", "SENDERX")  # the 837's ISA05/06
        assert "GS*HN*CLAIMEDIT*SENDERX*" in answer.value.decode()
        assert "NM1*41*2*SAMPLE BILLING SERVICE*****46*SUBMIT01~" in answer.value.decode()


def test_the_999_of_a_test_interchange_stays_a_test_and_goes_to_its_sender(
    processor: ClaimProcessor,
) -> None:
    text = interchange_837(CLAIMS[:2], "837P", sender="SENDERX").replace(
        f"CLM*{CLAIMS[1]['claim_id']}*", "CLM**", 1
    )
    (answer,) = answers(edited(processor, x12(text.encode())))
    assert dict(answer.headers)["event-type"] == b"x12.999"
    assert (isa(answer.value)[15], isa(answer.value)[8].strip()) == ("T", "SENDERX")
    assert answer.key == b"ZZ:SENDERX:000000001"


def test_control_numbers_are_stable_on_replay_and_distinct_per_interchange(
    processor: ClaimProcessor,
) -> None:
    def numbers(text: str, clock: datetime) -> tuple[str, str]:
        editor = RecordEditor(processor, TOPICS, ServiceMetrics(), clock=lambda: clock)
        (answer,) = answers(editor.edit([x12(text.encode())]))
        group = re.search(r"~\s*GS\*(?:[^*~]*\*){5}([^*~]*)", answer.value.decode())
        assert group is not None
        return isa(answer.value)[13], group.group(1)

    first = numbers(SAMPLE_837, NOW)
    assert numbers(SAMPLE_837, NOW + timedelta(days=3)) == first  # a replay, later
    other = numbers(SAMPLE_837.replace("BILLING CONTACT", "BILLING DESK"), NOW)
    assert other[0] != first[0] and other[1] != first[1]
    assert first[0] not in {"000000001", "000000077"}
    broken = SAMPLE_837.replace(f"CLM*{CLAIMS[1]['claim_id']}*", "CLM**", 1)
    assert numbers(broken, NOW) == numbers(broken, NOW + timedelta(hours=1))  # the 999's too


def test_answers_to_different_senders_have_distinct_keys(processor: ClaimProcessor) -> None:
    records = [
        x12(interchange_837(CLAIMS[:1], "837P", sender=f"SENDER{n}").encode(), n) for n in range(4)
    ]
    keys = {a.key for a in answers(edited(processor, *records))}
    assert keys == {f"ZZ:SENDER{n}:000000001".encode() for n in range(4)}


def test_the_277ca_and_the_999_carry_the_cloudevents_headers_of_claim_outputs(
    processor: ClaimProcessor,
) -> None:
    broken = SAMPLE_837.replace(f"CLM*{CLAIMS[1]['claim_id']}*", "CLM**", 1)
    outputs = edited(processor, x12(SAMPLE_837.encode()), x12(broken.encode(), 1))
    outcome = next(o for o in outputs if o.topic == "out.enriched")
    shared = {name for name, _ in outcome.headers if name.startswith("ce_")} - {"ce_subject"}
    ids = set()
    for answer in answers(outputs):
        headers = dict(answer.headers)
        assert shared <= set(headers)
        assert headers["content-type"] == b"application/edi-x12"
        assert headers["ce_type"] == headers["event-type"]
        assert headers["ce_source"] == dict(outcome.headers)["ce_source"]
        assert headers["ce_time"] == dict(outcome.headers)["ce_time"]
        ids.add(headers["ce_id"])
    assert len(ids) == 2


# --- a 277CA over the topic's limit is split, never lost ----------------------------------


def test_a_277ca_over_the_topics_limit_is_split_into_valid_parts_each_claim_in_one(
    processor: ClaimProcessor,
) -> None:
    limit = 10_000
    topics = dataclasses.replace(TOPICS, acknowledgement_max_bytes=limit)
    editor = RecordEditor(processor, topics, ServiceMetrics(), clock=lambda: NOW)
    claims = numbered_sample_claims(240, "SPLIT")
    outputs = editor.edit([x12(interchange_837(claims, "837P", control_number=9).encode())])
    parts = answers(outputs)
    assert len(parts) > 3
    acknowledged: list[str] = []
    for part in parts:
        document = part.value.decode()
        assert len(part.value) <= limit
        assert read_interchange(document).valid
        acknowledged += re.findall(r"~TRN\*2\*(SPLIT-\d+)~", document)
    assert sorted(acknowledged) == sorted(c["claim_id"] for c in claims)  # each exactly once
    assert len({isa(p.value)[13] for p in parts}) == len(parts)
    assert {p.key for p in parts} == {b"ZZ:SUBMIT01:000000009"}


def test_the_asyncapi_document_describes_the_answers_as_they_are_sent(
    processor: ClaimProcessor,
) -> None:
    document = json.loads((ROOT / "contracts" / "asyncapi.json").read_text())
    message = document["components"]["messages"]["claims.277ca:Message"]
    broken = SAMPLE_837.replace(f"CLM*{CLAIMS[1]['claim_id']}*", "CLM**", 1)
    outputs = edited(processor, x12(SAMPLE_837.encode()), x12(broken.encode(), 1))
    for answer in answers(outputs):
        headers = dict(answer.headers)
        assert set(headers) <= set(message["headers"]["properties"])
        assert set(message["headers"]["required"]) <= set(headers)
        assert message["contentType"] == headers["content-type"].decode()
        assert answer.key == b"ZZ:SUBMIT01:000000077"
    assert "<ISA05>:<ISA06>:<ISA13>" in message["bindings"]["kafka"]["key"]["description"]


def test_a_refused_output_of_an_interchange_is_replaced_alone_carrying_its_claim_only(
    processor: ClaimProcessor,
) -> None:
    """Each output's origin is its own (at the record's position): the dead letter that
    replaces a refused claim outcome carries that claim's event, not the 837, and swapping
    it in replaces no other output of the interchange."""
    editor = RecordEditor(processor, TOPICS, ServiceMetrics(), clock=lambda: NOW)
    record = x12(SAMPLE_837.encode())
    outputs = editor.edit([record])
    assert len({id(o.origin) for o in outputs}) == len(outputs) == 5
    assert {(o.origin.topic, o.origin.partition, o.origin.offset) for o in outputs} == {
        (record.topic, record.partition, record.offset)
    }
    refused = outputs[1]
    letter = editor.fallback(refused, "MESSAGE_TOO_LARGE")
    assert letter is not None
    carried = json.loads(base64.b64decode(json.loads(letter.value)["original_base64"]))
    assert carried["claim"]["claim_id"] == CLAIMS[1]["claim_id"]
    swapped = _swap(outputs, [(refused, letter)])
    assert [o is letter for o in swapped] == [False, True, False, False, False]
    answer = answers(outputs)[0]
    assert answer.origin.value == record.value  # a refused 277CA: the interchange it answers
