"""The loop edits a slice while the one before it is being delivered (service/stream/loop.py),
on the in-memory Kafka with a guarantee whose deliveries the test holds and releases.

What the overlap must never change: deliveries happen one at a time and in order, a slice
after one that was not delivered is never delivered (its offsets would move past the
records of the one before), a delivery's failure stops the loop even when nothing more
arrives, and stopping waits for the delivery in flight."""

import asyncio
from collections.abc import Callable, Sequence

import orjson
import pytest
from aiokafka import TopicPartition

from service.app.edit_event import ClaimProcessor
from service.app.edit_records import RecordEditor
from service.app.records import InputRecord, OutputRecord
from service.app.routing import Topics
from service.observability.metrics import ServiceMetrics
from service.stream.guarantees import Offsets
from service.stream.health import Health
from service.stream.loop import ClaimStream
from service.stream.sending import UnpublishableError
from tests.builders import event_document, line
from tests.e2e_time import NOW
from tests.fake_kafka import FakeKafka

SLICE = 5  # records a fetch returns: each fetch is one slice


class HeldGuarantee:
    """Delivers when the test says: each delivery waits for its own release, then answers
    what the test chose (delivered, not delivered, or a failure)."""

    def __init__(self) -> None:
        self.started: list[Offsets] = []
        self.finished: list[Offsets] = []
        self.releases: list[asyncio.Future[bool | BaseException]] = []

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def deliver(
        self, outputs: Sequence[OutputRecord], offsets: Offsets, owned: Callable[[], bool]
    ) -> bool:
        release: asyncio.Future[bool | BaseException] = asyncio.get_running_loop().create_future()
        self.releases.append(release)
        self.started.append(dict(offsets))
        answer = await release
        if isinstance(answer, BaseException):
            raise answer
        self.finished.append(dict(offsets))
        return answer


class CountingEditor(RecordEditor):
    def __init__(self, processor: ClaimProcessor) -> None:
        super().__init__(processor, Topics("ok", "no", "dlq"), ServiceMetrics(), clock=lambda: NOW)
        self.edited: list[int] = []

    def edit(self, records: Sequence[InputRecord]) -> list[OutputRecord]:
        self.edited.extend(record.offset for record in records)
        return super().edit(records)


async def stream_over(
    count: int, processor: ClaimProcessor
) -> tuple[ClaimStream, HeldGuarantee, CountingEditor, asyncio.Event]:
    kafka = FakeKafka()
    kafka.create_topic("in")
    for n in range(count):
        kafka.produce("in", orjson.dumps(event_document(line("92924", "LD"), event_id=f"e{n}")))
    consumer = kafka.consumer(group_id="g")
    guarantee = HeldGuarantee()
    editor = CountingEditor(processor)
    stopping = asyncio.Event()
    stream = ClaimStream(
        consumer,
        ["in"],
        guarantee,
        editor,
        metrics=ServiceMetrics(),
        health=Health(unready_after_seconds=60),
        max_records=SLICE,
        max_seconds=60.0,
        fetch_wait_ms=10,
        stopping=stopping,
    )
    stream.subscribe()
    return stream, guarantee, editor, stopping


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


def through(offset: int) -> dict[TopicPartition, int]:
    return {TopicPartition("in", 0): offset}


async def test_the_next_slice_is_edited_while_the_one_before_is_being_delivered(
    processor: ClaimProcessor,
) -> None:
    stream, guarantee, editor, stopping = await stream_over(3 * SLICE, processor)
    running = asyncio.create_task(stream.run(stopping))
    await until(lambda: len(guarantee.releases) == 1)
    await until(lambda: len(editor.edited) == 2 * SLICE)  # the second slice, edited meanwhile
    assert guarantee.started == [through(SLICE)], "one delivery at a time"
    guarantee.releases[0].set_result(True)
    await until(lambda: len(guarantee.releases) == 2)
    guarantee.releases[1].set_result(True)
    await until(lambda: len(guarantee.releases) == 3)
    guarantee.releases[2].set_result(True)
    await until(lambda: len(guarantee.finished) == 3)
    stopping.set()
    await running
    assert guarantee.finished == [through(SLICE), through(2 * SLICE), through(3 * SLICE)]
    assert editor.edited == list(range(3 * SLICE))


async def test_a_slice_after_one_that_was_not_delivered_is_never_delivered(
    processor: ClaimProcessor,
) -> None:
    stream, guarantee, editor, stopping = await stream_over(2 * SLICE, processor)
    running = asyncio.create_task(stream.run(stopping))
    await until(lambda: len(editor.edited) == 2 * SLICE)
    guarantee.releases[0].set_result(False)
    await asyncio.sleep(0.1)  # the loop goes on fetching
    stopping.set()
    await running
    assert guarantee.started == [through(SLICE)], "the second slice's offsets never moved"


async def test_a_failed_delivery_stops_the_loop_though_nothing_more_arrives(
    processor: ClaimProcessor,
) -> None:
    stream, guarantee, _, stopping = await stream_over(SLICE, processor)
    running = asyncio.create_task(stream.run(stopping))
    await until(lambda: len(guarantee.releases) == 1)
    guarantee.releases[0].set_result(UnpublishableError("refused for good"))
    with pytest.raises(UnpublishableError):
        await asyncio.wait_for(running, timeout=5)


async def test_stopping_waits_for_the_delivery_in_flight(processor: ClaimProcessor) -> None:
    stream, guarantee, _, stopping = await stream_over(SLICE, processor)
    running = asyncio.create_task(stream.run(stopping))
    await until(lambda: len(guarantee.releases) == 1)
    stopping.set()
    await asyncio.sleep(0.1)
    assert not running.done(), "the loop waits for its last slice's delivery"
    guarantee.releases[0].set_result(True)
    await asyncio.wait_for(running, timeout=5)
    assert guarantee.finished == [through(SLICE)]
