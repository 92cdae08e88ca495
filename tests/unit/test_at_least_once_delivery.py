"""At-least-once delivery on the in-memory Kafka: what is re-sent, what is replaced, when
offsets move, and when the service must stop."""

import asyncio
from collections import Counter
from collections.abc import Callable

import orjson
import pytest
from aiokafka import TopicPartition
from aiokafka.errors import (
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    TopicAuthorizationFailedError,
)

from service.app.edit_event import ClaimProcessor
from service.app.edit_records import RecordEditor
from service.app.records import InputRecord
from service.app.routing import Topics
from service.observability.metrics import ServiceMetrics
from service.stream.guarantees import AtLeastOnce
from service.stream.retrying import RetryPolicy
from service.stream.sending import UnpublishableError
from tests.builders import event_document, line
from tests.e2e_time import NOW
from tests.fake_kafka import FakeKafka

Verdict = Callable[[str, bytes, int], BaseException | None]


async def delivery(
    processor: ClaimProcessor, verdict: Verdict
) -> tuple[AtLeastOnce, FakeKafka, RecordEditor]:
    """At-least-once over the in-memory Kafka, its consumer owning partition in/0; `verdict`
    sees each send's topic, value and attempt (counted per value)."""
    kafka = FakeKafka()
    kafka.create_topic("in")
    attempts: Counter[bytes] = Counter()

    def refuse(topic: str, value: bytes) -> BaseException | None:
        attempts[value] += 1
        return verdict(topic, value, attempts[value])

    kafka.refuse = refuse
    editor = RecordEditor(processor, Topics("ok", "no", "dlq"), ServiceMetrics(), clock=lambda: NOW)
    consumer = kafka.consumer(group_id="g")
    consumer.subscribe(["in"])
    await consumer.getmany()  # joins: in/0 assigned
    guarantee = AtLeastOnce(
        consumer,
        kafka.producer(),
        editor,
        RetryPolicy(0.01, ServiceMetrics(), asyncio.Event()),
        publish_timeout=1.0,
    )
    return guarantee, kafka, editor


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
    guarantee, kafka, editor = await delivery(
        processor,
        lambda _t, value, attempt: (
            KafkaTimeoutError() if attempt < 3 and b'"e1"' in value else None
        ),
    )
    outputs = editor.edit(records)
    assert flaky.offset == 1
    assert await guarantee.deliver(outputs, OFFSETS, owned=lambda: True)
    assert len(kafka.sent) == 3 + 2  # the two retries sent only the flaky one
    assert kafka.committed("g", "in") == {0: 3}


async def test_an_outcome_refused_for_good_becomes_an_unpublishable_dead_letter(
    processor: ClaimProcessor,
) -> None:
    guarantee, kafka, editor = await delivery(
        processor, lambda topic, _v, _a: MessageSizeTooLargeError() if topic == "ok" else None
    )
    assert await guarantee.deliver(editor.edit(inputs(2)), OFFSETS, owned=lambda: True)
    letters = [orjson.loads(r.value or b"") for r in kafka.records("dlq")]
    assert [letter["error_kind"] for letter in letters] == ["unpublishable"] * 2
    assert kafka.committed("g", "in") == {0: 3}


async def test_a_dead_letter_refused_in_every_form_stops_the_service_without_committing(
    processor: ClaimProcessor,
) -> None:
    guarantee, kafka, editor = await delivery(
        processor, lambda topic, _v, _a: TopicAuthorizationFailedError() if topic == "dlq" else None
    )
    with pytest.raises(UnpublishableError):
        await guarantee.deliver(
            editor.edit([InputRecord("in", 0, 0, b"k", b"junk")]), OFFSETS, owned=lambda: True
        )
    assert [t for t, _ in kafka.sent] == ["dlq", "dlq"]  # carried, then bounded
    assert kafka.committed("g", "in") == {}
