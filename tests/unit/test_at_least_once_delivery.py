"""At-least-once delivery with a fake producer: what is re-sent, what is replaced, when
offsets move, and when the service must stop."""

import asyncio
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from aiokafka import TopicPartition
from aiokafka.errors import (
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    TopicAuthorizationFailedError,
)

from service.observability.metrics import ServiceMetrics
from service.processing import ClaimProcessor
from service.stream.editing import BatchEditor, Topics
from service.stream.guarantees import AtLeastOnce
from service.stream.records import InputRecord
from service.stream.retrying import RetryPolicy
from service.stream.sending import UnpublishableError
from tests.builders import event_document, line
from tests.e2e_time import NOW

Verdict = Callable[[str, bytes, int], BaseException | None]


class FakeProducer:
    """Acknowledges a record unless `verdict(topic, value, attempt)` names an error."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self.sent: list[tuple[str, bytes]] = []
        self.attempts: dict[bytes, int] = {}

    async def send(self, topic: str, value: bytes, **_: Any) -> "asyncio.Future[None]":
        attempt = self.attempts[value] = self.attempts.get(value, 0) + 1
        self.sent.append((topic, value))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        error = self.verdict(topic, value, attempt)
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
        return future


class FakeConsumer:
    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(offsets)


def delivery(
    processor: ClaimProcessor, verdict: Verdict
) -> tuple[AtLeastOnce, FakeProducer, FakeConsumer, BatchEditor]:
    editor = BatchEditor(processor, Topics("ok", "no", "dlq"), ServiceMetrics(), clock=lambda: NOW)
    consumer = FakeConsumer()
    guarantee = AtLeastOnce(
        consumer,
        {},
        editor,
        RetryPolicy(0.01, ServiceMetrics(), asyncio.Event()),
        publish_timeout=1.0,
    )
    producer = FakeProducer(verdict)
    guarantee.producer = producer
    return guarantee, producer, consumer, editor


def inputs(count: int) -> list[InputRecord]:
    return [
        InputRecord(
            "in", 0, i, b"k", orjson.dumps(event_document(line("92924", "LD"), event_id=f"e{i}"))
        )
        for i in range(count)
    ]


OFFSETS = {TopicPartition("in", 0): 3}


async def test_only_unacknowledged_outputs_are_sent_again_and_offsets_move_after_all(
    processor: ClaimProcessor,
) -> None:
    records = inputs(3)
    flaky = records[1]
    guarantee, producer, consumer, editor = delivery(
        processor,
        lambda _t, value, attempt: (
            KafkaTimeoutError() if attempt < 3 and b'"e1"' in value else None
        ),
    )
    outputs = editor.edit(records)
    assert flaky.offset == 1
    assert await guarantee.deliver(outputs, OFFSETS, owned=lambda: True)
    assert len(producer.sent) == 3 + 2  # the two retries sent only the flaky one
    assert consumer.commits == [OFFSETS]


async def test_an_outcome_refused_for_good_becomes_an_unpublishable_dead_letter(
    processor: ClaimProcessor,
) -> None:
    guarantee, producer, consumer, editor = delivery(
        processor, lambda topic, _v, _a: MessageSizeTooLargeError() if topic == "ok" else None
    )
    assert await guarantee.deliver(editor.edit(inputs(2)), OFFSETS, owned=lambda: True)
    letters = [orjson.loads(v) for t, v in producer.sent if t == "dlq"]
    assert [letter["error_kind"] for letter in letters] == ["unpublishable"] * 2
    assert consumer.commits == [OFFSETS]


async def test_a_dead_letter_refused_in_every_form_stops_the_service_without_committing(
    processor: ClaimProcessor,
) -> None:
    guarantee, producer, consumer, editor = delivery(
        processor, lambda topic, _v, _a: TopicAuthorizationFailedError() if topic == "dlq" else None
    )
    with pytest.raises(UnpublishableError):
        await guarantee.deliver(
            editor.edit([InputRecord("in", 0, 0, b"k", b"junk")]), OFFSETS, owned=lambda: True
        )
    assert [t for t, _ in producer.sent] == ["dlq", "dlq"]  # carried, then bounded
    assert consumer.commits == []
