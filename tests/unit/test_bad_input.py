"""Unreadable input is a clear dead letter naming the field, never a crash."""

import base64
import hashlib
import json
from typing import Any

import orjson
import pytest

from contracts import DeadLetter
from service.app.edit_event import ClaimProcessor, Limits, Source, largest_output_bytes
from tests.builders import event_document, line
from tests.e2e_time import NOW

SOURCE = Source(topic="claims.submitted", partition=3, offset=42, key=b"CLM-TEST-1")


def with_claim(**changes: Any) -> dict[str, Any]:
    document = event_document(line("92924", "LD"))
    document["claim"].update(changes)
    return document


def with_line(**changes: Any) -> dict[str, Any]:
    document = event_document(line("92924", "LD"))
    document["claim"]["lines"][0].update(changes)
    return document


def missing(field: str) -> dict[str, Any]:
    document = event_document(line("92924", "LD"))
    del document["claim"][field]
    return document


BAD: list[tuple[str, bytes, str, str]] = [
    ("not JSON", b"{not json", "undecodable", "event"),
    ("JSON but not an object", b"[1, 2]", "schema_invalid", "event"),
    (
        "units as a string",
        orjson.dumps(with_line(units="1")),
        "schema_invalid",
        "claim.lines.0.units",
    ),
    ("missing payer", orjson.dumps(missing("payer")), "schema_invalid", "claim.payer"),
    (
        "51 lines",
        orjson.dumps(with_claim(lines=[line("92924", "LD", n=i) for i in range(1, 52)])),
        "schema_invalid",
        "claim.lines",
    ),
    (
        "5 modifiers",
        orjson.dumps(with_line(modifiers=["LD", "59", "XS", "XU", "XE"])),
        "schema_invalid",
        "claim.lines.0.modifiers",
    ),
    (
        "a 10 MB member id",
        orjson.dumps(
            with_claim(
                patient={"member_id": "M" * 10_000_000, "birth_date": "1950-01-01", "sex": "F"}
            )
        ),
        "schema_invalid",
        "claim.patient.member_id",
    ),
    (
        "lower-case modifier",
        orjson.dumps(with_line(modifiers=["ld"])),
        "schema_invalid",
        "claim.lines.0.modifiers.0",
    ),
    (
        "negative charge",
        orjson.dumps(with_line(charge="-1.00")),
        "schema_invalid",
        "claim.lines.0.charge",
    ),
    (
        "wrong event type",
        orjson.dumps({**event_document(line("92924", "LD")), "event_type": "claim.enriched"}),
        "schema_invalid",
        "event_type",
    ),
]


@pytest.mark.parametrize(("name", "raw", "kind", "loc"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_a_dead_letter_naming_the_field(
    processor: ClaimProcessor, name: str, raw: bytes, kind: str, loc: str
) -> None:
    result = processor.process(raw, SOURCE, NOW)
    letter = DeadLetter.model_validate_json(result.value)
    assert letter.error_kind == kind
    assert loc in [e.loc for e in letter.errors]
    assert letter.original_base64 is not None
    assert base64.b64decode(letter.original_base64) == raw
    assert (letter.source.topic, letter.source.partition, letter.source.offset) == (
        "claims.submitted",
        3,
        42,
    )
    assert result.key == b"CLM-TEST-1"


def test_dead_letter_never_echoes_patient_data(processor: ClaimProcessor) -> None:
    raw = orjson.dumps(
        with_claim(patient={"member_id": "M-SECRET-4711", "birth_date": "x", "sex": "F"})
    )
    letter = json.loads(processor.process(raw, SOURCE, NOW).value)
    assert "M-SECRET-4711" not in json.dumps(letter["errors"])


def test_event_over_the_size_limit_is_a_too_large_dead_letter_without_its_bytes(
    processor: ClaimProcessor,
) -> None:
    small = ClaimProcessor(processor.reference, processor.policy, Limits(max_event_bytes=2048))
    raw = orjson.dumps(with_claim(claim_id="C" * 60)) + b" " * 4096
    letter = DeadLetter.model_validate_json(small.process(raw, SOURCE, NOW).value)
    assert (letter.error_kind, letter.errors[0].loc) == ("too_large", "event")
    assert letter.original_base64 is None
    assert letter.original_size == len(raw)
    assert letter.original_sha256 == hashlib.sha256(raw).hexdigest()
    assert (letter.source.partition, letter.source.offset) == (3, 42)


@pytest.mark.parametrize("depth", [199, 201, 5000])
def test_json_nested_past_the_parsers_limit_is_schema_invalid_naming_the_limit(
    processor: ClaimProcessor, depth: int
) -> None:
    nested = b"[" * depth + b"]" * depth
    raw = orjson.dumps(with_claim())[:-1] + b', "extra": ' + nested + b"}"
    result = processor.process(raw, SOURCE, NOW)
    if depth < 200:
        assert result.event_type == "claim.enriched"
        return
    letter = DeadLetter.model_validate_json(result.value)
    assert letter.error_kind == "schema_invalid"
    assert "200 levels" in letter.errors[0].msg


@pytest.mark.parametrize(
    "document",
    [
        with_line(diagnosis_pointers=[2**70]),
        with_line(line_number=2**64),
        with_claim(procedure={"lesions": [{"lesion_id": "L1", "line_number": -(2**63) - 1}]}),
    ],
    ids=["pointer 2^70", "line number 2^64", "lesion line below int64"],
)
def test_integers_beyond_the_contracts_bounds_are_schema_invalid(
    processor: ClaimProcessor, document: dict[str, Any]
) -> None:
    raw = json.dumps(document).encode()
    letter = DeadLetter.model_validate_json(processor.process(raw, SOURCE, NOW).value)
    assert letter.error_kind == "schema_invalid"


def test_a_utf8_bom_before_an_event_is_not_a_crash(processor: ClaimProcessor) -> None:
    raw = b"\xef\xbb\xbf" + orjson.dumps(with_claim())
    assert processor.process(raw, SOURCE, NOW).event_type in {
        "claim.enriched",
        "claim.dead_letter",
    }


SIXTEEN_MIB = 16 * 1024 * 1024


@pytest.mark.parametrize(
    ("max_event_bytes", "event_bytes"),
    [(SIXTEEN_MIB, SIXTEEN_MIB), (2048, SIXTEEN_MIB), (SIXTEEN_MIB, 40 * 1024 * 1024)],
    ids=["at the default limit", "over a lowered limit", "an event of 40 MiB"],
)
def test_the_largest_dead_letter_fits_the_producers_request_limit(
    processor: ClaimProcessor, max_event_bytes: int, event_bytes: int
) -> None:
    limits = Limits(max_event_bytes=max_event_bytes)
    processing = ClaimProcessor(processor.reference, processor.policy, limits)
    letter = processing.process(b"\xff" * event_bytes, SOURCE, NOW)
    assert letter.event_type == "claim.dead_letter"
    assert len(letter.value) <= largest_output_bytes(limits)


def test_a_crash_in_the_engine_is_a_processing_error_dead_letter(
    processor: ClaimProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.app import edit_event

    def explode(*_: object, **__: object) -> None:
        raise RuntimeError("member M-SECRET-4711 broke it")

    monkeypatch.setattr(edit_event, "evaluate", explode)
    result = processor.process(orjson.dumps(event_document(line("92924", "LD"))), SOURCE, NOW)
    letter = DeadLetter.model_validate_json(result.value)
    assert letter.error_kind == "processing_error"
    assert "M-SECRET-4711" not in result.value.decode()


def test_dead_letter_id_is_deterministic_from_the_source_position(
    processor: ClaimProcessor,
) -> None:
    first = processor.process(b"nope", SOURCE, NOW)
    again = processor.process(b"nope", SOURCE, NOW)
    elsewhere = processor.process(
        b"nope", Source(topic="claims.submitted", partition=3, offset=43), NOW
    )
    assert first.event_id == again.event_id != elsewhere.event_id


@pytest.mark.parametrize(
    ("document", "loc"),
    [
        (with_line(units="1"), "claim.lines.0.units"),
        (with_line(modifiers="LD"), "claim.lines.0.modifiers"),
    ],
    ids=["units as a string", "modifiers as a string"],
)
def test_a_bad_line_field_is_one_error_in_plain_words(
    processor: ClaimProcessor, document: dict[str, Any], loc: str
) -> None:
    letter = DeadLetter.model_validate_json(
        processor.process(orjson.dumps(document), SOURCE, NOW).value
    )
    assert [e.loc for e in letter.errors] == [loc]
    assert "tuple" not in letter.errors[0].msg.lower()


@pytest.mark.parametrize("field", ["event_id", "claim_id", "member_id"])
def test_a_control_character_in_an_identifier_is_a_schema_invalid_dead_letter(
    processor: ClaimProcessor, field: str
) -> None:
    """No sender means one, and the claim memory could not store a NUL: refused up front."""
    document = event_document(line("92924", "LD"))
    where = {"event_id": document, "claim_id": document["claim"]}.get(
        field, document["claim"]["patient"]
    )
    where[field] = "CLM-E\x00X"
    result = processor.process(orjson.dumps(document), SOURCE, NOW)
    letter = DeadLetter.model_validate_json(result.value)
    assert letter.error_kind == "schema_invalid"
    assert "CLM-E" not in result.value.decode().split('"original_base64"')[0]
