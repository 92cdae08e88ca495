"""How the loop's deliveries meet failures, stopping and cancellation (service/stream/loop.py),
on the in-memory Kafka with a guarantee whose deliveries the test holds and releases.

A delivery's failure stops the loop even when nothing more arrives; stopping waits for the
delivery in flight; a cancelled loop returns only once the delivery it cancelled has ended
(exactly-once aborts). A loop that overlapped delivery with editing was tried and
withdrawn (docs/performance.md); these are rules any such loop must keep."""

import asyncio
from collections.abc import Callable, Sequence

import orjson
import pytest
from aiokafka import TopicPartition

from service.app.edit_event import ClaimProcessor
from service.app.edit_records import RecordEditor
from service.app.records import OutputRecord
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


class AbortingGuarantee(HeldGuarantee):
    """As exactly-once inside its transaction: a cancelled delivery aborts, which takes a
    round trip to the broker."""

    def __init__(self) -> None:
        super().__init__()
        self.aborted = False

    async def deliver(
        self, outputs: Sequence[OutputRecord], offsets: Offsets, owned: Callable[[], bool]
    ) -> bool:
        try:
            return await super().deliver(outputs, offsets, owned)
        except asyncio.CancelledError:
            await asyncio.sleep(0.05)
            self.aborted = True
            raise


async def stream_over(
    count: int, processor: ClaimProcessor, guarantee: HeldGuarantee | None = None
) -> tuple[ClaimStream, HeldGuarantee, asyncio.Event]:
    kafka = FakeKafka()
    kafka.create_topic("in")
    for n in range(count):
        kafka.produce("in", orjson.dumps(event_document(line("92924", "LD"), event_id=f"e{n}")))
    consumer = kafka.consumer(group_id="g")
    guarantee = guarantee or HeldGuarantee()
    editor = RecordEditor(processor, Topics("ok", "no", "dlq"), ServiceMetrics(), clock=lambda: NOW)
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
    return stream, guarantee, stopping


async def until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.005)


def through(offset: int) -> dict[TopicPartition, int]:
    return {TopicPartition("in", 0): offset}


async def test_a_failed_delivery_stops_the_loop_though_nothing_more_arrives(
    processor: ClaimProcessor,
) -> None:
    stream, guarantee, stopping = await stream_over(SLICE, processor)
    running = asyncio.create_task(stream.run(stopping))
    await until(lambda: len(guarantee.releases) == 1)
    guarantee.releases[0].set_result(UnpublishableError("refused for good"))
    with pytest.raises(UnpublishableError):
        await asyncio.wait_for(running, timeout=5)


async def test_stopping_waits_for_the_delivery_in_flight(processor: ClaimProcessor) -> None:
    stream, guarantee, stopping = await stream_over(SLICE, processor)
    running = asyncio.create_task(stream.run(stopping))
    await until(lambda: len(guarantee.releases) == 1)
    stopping.set()
    await asyncio.sleep(0.1)
    assert not running.done(), "the loop waits for its last slice's delivery"
    guarantee.releases[0].set_result(True)
    await asyncio.wait_for(running, timeout=5)
    assert guarantee.finished == [through(SLICE)]


async def test_a_cancelled_loop_waits_for_the_delivery_it_cancels(
    processor: ClaimProcessor,
) -> None:
    guarantee = AbortingGuarantee()
    stream, _, stopping = await stream_over(SLICE, processor, guarantee)
    running = asyncio.create_task(stream.run(stopping))
    await until(lambda: len(guarantee.releases) == 1)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    assert guarantee.aborted, "run() returned before its delivery had aborted"
