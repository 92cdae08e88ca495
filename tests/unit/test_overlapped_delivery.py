"""The loop edits a slice while the one before it is being delivered (service/stream/loop.py),
on the in-memory Kafka with a guarantee whose deliveries the test holds and releases.

What the overlap must never change: deliveries happen one at a time and in order, a slice
after one that was not delivered is never delivered (its offsets would move past the
records of the one before), a delivery's failure stops the loop at once (nothing more
arriving, the claim memory down, or the next slice a long edit in a thread), stopping waits
for the delivery in flight, and a cancelled loop waits for the delivery it cancels.
(Several of these came from an outside review of the first version.)"""

import asyncio
import threading
import time
from collections.abc import Callable, Sequence

import orjson
import pytest
from aiokafka import TopicPartition
from structlog.testing import capture_logs

from service.app.edit_event import ClaimProcessor
from service.app.edit_records import RecordEditor
from service.app.memory import MemoryUnavailableError
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


class AbortingGuarantee(HeldGuarantee):
    """As exactly-once inside its transaction: a cancelled delivery aborts, which takes a
    round trip to the broker, and may fail."""

    def __init__(self, abort_fails: bool = False) -> None:
        super().__init__()
        self.aborted = False
        self.abort_fails = abort_fails

    async def deliver(
        self, outputs: Sequence[OutputRecord], offsets: Offsets, owned: Callable[[], bool]
    ) -> bool:
        try:
            return await super().deliver(outputs, offsets, owned)
        except asyncio.CancelledError:
            await asyncio.sleep(0.05)
            if self.abort_fails:
                raise RuntimeError("the abort failed") from None
            self.aborted = True
            raise


class MemoryDownEditor(CountingEditor):
    """The claim memory answers for the first slice only."""

    def __init__(self, processor: ClaimProcessor) -> None:
        super().__init__(processor)
        self.refused = 0

    def edit(self, records: Sequence[InputRecord]) -> list[OutputRecord]:
        if records[0].offset >= SLICE:
            self.refused += 1
            raise MemoryUnavailableError("OperationalError")
        return super().edit(records)


class SlowEditor(CountingEditor):
    """Edits in a thread, as the X12 lane and the claim memory do; the second slice takes
    `seconds` (a big interchange takes minutes)."""

    def __init__(self, processor: ClaimProcessor, seconds: float) -> None:
        super().__init__(processor)
        self.seconds = seconds
        self.slow_started = threading.Event()

    @property
    def blocks(self) -> bool:
        return True

    def edit(self, records: Sequence[InputRecord]) -> list[OutputRecord]:
        if records[0].offset >= SLICE:
            self.slow_started.set()
            time.sleep(self.seconds)
        return super().edit(records)


async def stream_over(
    count: int,
    processor: ClaimProcessor,
    editor: CountingEditor | None = None,
    guarantee: HeldGuarantee | None = None,
) -> tuple[ClaimStream, HeldGuarantee, CountingEditor, asyncio.Event]:
    kafka = FakeKafka()
    kafka.create_topic("in")
    for n in range(count):
        kafka.produce("in", orjson.dumps(event_document(line("92924", "LD"), event_id=f"e{n}")))
    consumer = kafka.consumer(group_id="g")
    guarantee = guarantee or HeldGuarantee()
    editor = editor or CountingEditor(processor)
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
        backoff_cap_seconds=0.2,
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


async def test_a_failed_delivery_stops_the_loop_while_the_claim_memory_is_down(
    processor: ClaimProcessor,
) -> None:
    editor = MemoryDownEditor(processor)
    stream, guarantee, _, stopping = await stream_over(2 * SLICE, processor, editor)
    running = asyncio.create_task(stream.run(stopping))
    await until(lambda: len(guarantee.releases) == 1 and editor.refused > 0)
    guarantee.releases[0].set_result(UnpublishableError("refused for good"))
    with pytest.raises(UnpublishableError):
        await asyncio.wait_for(running, timeout=2)


async def test_a_failed_delivery_stops_the_loop_while_the_next_slice_is_edited_in_a_thread(
    processor: ClaimProcessor,
) -> None:
    editor = SlowEditor(processor, seconds=3.0)
    stream, guarantee, _, stopping = await stream_over(2 * SLICE, processor, editor)
    running = asyncio.create_task(stream.run(stopping))
    await until(lambda: len(guarantee.releases) == 1 and editor.slow_started.is_set())
    guarantee.releases[0].set_result(UnpublishableError("refused for good"))
    with pytest.raises(UnpublishableError):
        await asyncio.wait_for(running, timeout=1)


async def test_a_cancelled_loop_waits_for_the_delivery_it_cancels(
    processor: ClaimProcessor,
) -> None:
    guarantee = AbortingGuarantee()
    editor = SlowEditor(processor, seconds=0.3)
    stream, _, _, stopping = await stream_over(2 * SLICE, processor, editor, guarantee)
    running = asyncio.create_task(stream.run(stopping))
    await until(lambda: len(guarantee.releases) == 1 and editor.slow_started.is_set())
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    assert guarantee.aborted, "run() returned before its delivery had aborted"


async def test_a_delivery_that_fails_as_the_loop_is_cancelled_is_logged(
    processor: ClaimProcessor,
) -> None:
    guarantee = AbortingGuarantee(abort_fails=True)
    editor = SlowEditor(processor, seconds=0.3)
    stream, _, _, stopping = await stream_over(2 * SLICE, processor, editor, guarantee)
    with capture_logs() as logged:
        running = asyncio.create_task(stream.run(stopping))
        await until(lambda: len(guarantee.releases) == 1 and editor.slow_started.is_set())
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    failures = [entry for entry in logged if entry["event"] == "delivery failed"]
    assert [entry["error"] for entry in failures] == ["RuntimeError"]
