"""The claim memory in the one edit path (ClaimProcessor, the loop), on the in-memory fake:
the worked memory samples through the processor give what the domain gives, a replay gets
the same bytes whatever came after it, and a memory that is down edits nothing: the stream
waits, readiness says so, and every claim is answered once when it is back."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from service.adapters.reference_files import load_reference
from service.app.edit_event import ClaimProcessor, Source
from service.app.memory import MemoryUnavailableError
from service.bootstrap import build_service
from service.config import KafkaSettings, ServiceSettings
from service.domain.policy import Policy
from service.stream.service import running
from tests.fake_kafka import FakeKafka
from tests.fake_memory import FakeMemory
from tests.history_cases import edit_in_order
from tests.unit.test_worked_memory_samples import EVENTS

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
RAW = [text.encode() for text in (SAMPLES / "memory-claims.jsonl").read_text().splitlines() if text]
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
REFERENCE = load_reference()


def processor(memory: FakeMemory | None) -> ClaimProcessor:
    return ClaimProcessor(REFERENCE, Policy(), memory=memory)


def findings(value: bytes) -> list[tuple[str, tuple[int, ...]]]:
    document = orjson.loads(value)
    return [(f["edit_id"], tuple(f["line_numbers"])) for f in document.get("findings", [])]


def test_the_memory_samples_edited_in_order_give_what_the_domain_gives() -> None:
    edited = processor(FakeMemory())
    results = [edited.process(raw, Source(file="memory", line=n), NOW) for n, raw in enumerate(RAW)]
    expected = edit_in_order(EVENTS)
    for result, event in zip(results, EVENTS, strict=True):
        outcome = expected[event.event_id]
        assert result.event_type == outcome.event_type
        assert findings(result.value) == [(f.edit_id, f.line_numbers) for f in outcome.findings]


def test_a_replay_gets_the_same_bytes_whatever_was_accepted_after_it() -> None:
    memory = FakeMemory()
    edited = processor(memory)
    first = [edited.process(raw, Source(file="memory", line=n), NOW) for n, raw in enumerate(RAW)]
    again = [edited.process(raw, Source(file="memory", line=n), NOW) for n, raw in enumerate(RAW)]
    backwards = [
        edited.process(raw, Source(file="memory", line=n), NOW)
        for n, raw in reversed(list(enumerate(RAW)))
    ]
    assert [r.value for r in again] == [r.value for r in first]
    assert [r.value for r in reversed(backwards)] == [r.value for r in first]
    assert any(r.event_type == "claim.rejected" for r in first)  # the duplicate was caught
    assert len(memory.claims) == len(RAW)  # each kept once, in the order first edited


def test_without_a_memory_the_history_edits_say_they_were_not_checked() -> None:
    result = processor(None).process(RAW[1], Source(file="memory", line=1), NOW)
    assert result.event_type == "claim.enriched"
    assert "not checked" in result.value.decode().lower()


def test_a_memory_that_is_down_edits_nothing_and_remembers_nothing() -> None:
    memory = FakeMemory()
    memory.available = False
    with pytest.raises(MemoryUnavailableError):
        processor(memory).process_batch(
            [(raw, Source(file="memory", line=n)) for n, raw in enumerate(RAW)], NOW
        )
    assert memory.claims == []


def test_an_interchange_waits_whole_while_the_memory_is_down() -> None:
    from service.app.edit_interchange import edit_interchange
    from service.app.records import InputRecord
    from tests.x12_837 import interchange_837, numbered_sample_claims

    memory = FakeMemory()
    memory.available = False
    record = InputRecord(
        "claims.x12", 0, 0, b"k", interchange_837(numbered_sample_claims(3, "W"), "837P").encode()
    )
    with pytest.raises(MemoryUnavailableError):
        edit_interchange(processor(memory), record, NOW, answer_max_bytes=1_000_000)


async def until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once"])
async def test_the_stream_waits_for_a_memory_that_is_down_and_then_answers_every_claim_once(
    guarantee: str,
) -> None:
    kafka = FakeKafka()
    topics = ("claims.submitted", "claims.enriched", "claims.rejected", "claims.dlq")
    for topic in topics:
        kafka.create_topic(topic)
    for n, raw in enumerate(RAW):
        kafka.produce("claims.submitted", raw, key=f"k{n}".encode())
    memory = FakeMemory()
    memory.available = False
    service = build_service(
        KafkaSettings(bootstrap_servers="fake:9092"),
        ServiceSettings(
            processing_guarantee=guarantee,
            http_host="127.0.0.1",
            http_port=0,
            batch_timeout_ms=10,
            instance_id="test",
            retry_backoff_max_seconds=0.2,
        ),
        processor(memory),
        consumer_factory=kafka.consumer,
        producer_factory=kafka.producer,
    )
    async with running(service):
        await until(lambda: service.health.editing_unavailable is not None)
        ready, why = service.health.ready()
        assert not ready and ("editing unavailable" in why or "claim memory" in why)
        await asyncio.sleep(0.5)
        assert kafka.committed("claim-edit", "claims.submitted") == {}
        assert all(kafka.records(topic) == [] for topic in topics[1:])
        memory.available = True
        end = len(RAW)
        await until(lambda: kafka.committed("claim-edit", "claims.submitted").get(0) == end)
        await until(lambda: service.health.ready()[0], seconds=10)
    answered = [
        orjson.loads(r.value or b"")["source_event_id"]
        for topic in topics[1:3]
        for r in kafka.records(topic)
    ]
    assert sorted(answered) == sorted(e.event_id for e in EVENTS)
    assert kafka.records("claims.dlq") == []


async def test_an_idle_service_whose_memory_stops_answering_is_not_ready_until_it_answers() -> None:
    kafka = FakeKafka()
    for topic in ("claims.submitted", "claims.enriched", "claims.rejected", "claims.dlq"):
        kafka.create_topic(topic)
    memory = FakeMemory()
    service = build_service(
        KafkaSettings(bootstrap_servers="fake:9092"),
        ServiceSettings(http_host="127.0.0.1", http_port=0, batch_timeout_ms=10),
        processor(memory),
        consumer_factory=kafka.consumer,
        producer_factory=kafka.producer,
    )
    async with running(service):
        await until(lambda: service.health.ready()[0])
        memory.available = False
        await until(lambda: "claim memory" in service.health.ready()[1], seconds=10)
        assert not service.health.ready()[0]
        memory.available = True
        await until(lambda: service.health.ready()[0], seconds=10)


def test_one_member_spelled_two_ways_is_one_patient() -> None:
    edited = processor(FakeMemory())
    first = orjson.loads(RAW[0])
    again = orjson.loads(RAW[1])  # the same line, resent under another claim id
    again["claim"]["patient"]["member_id"] = " " + first["claim"]["patient"]["member_id"].lower()
    edited.process(orjson.dumps(first), Source(file="m", line=1), NOW)
    result = edited.process(orjson.dumps(again), Source(file="m", line=2), NOW)
    assert ("PCI-HIST-001", (1,)) in findings(result.value)
