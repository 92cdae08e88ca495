"""The consume-edit-produce pipeline with a fake sink: routing, headers, retries."""

import json
from collections.abc import Sequence

import orjson

from service.observability.metrics import ServiceMetrics
from service.pipeline import (
    ClaimPipeline,
    InputRecord,
    OutputRecord,
    Topics,
    TransientPublishError,
)
from service.processing import ClaimProcessor
from tests.builders import event_document, line
from tests.e2e_time import NOW

TOPICS = Topics("out.enriched", "out.rejected", "out.dlq")


class FlakySink:
    """Fails the first `failures` sends, then keeps what it is given."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.attempts: list[list[OutputRecord]] = []

    async def send_all(self, records: Sequence[OutputRecord]) -> None:
        self.attempts.append(list(records))
        if len(self.attempts) <= self.failures:
            raise TransientPublishError("broker unreachable")


def pipeline(processor: ClaimProcessor, sink: FlakySink, sleeps: list[float]) -> ClaimPipeline:
    async def record_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return ClaimPipeline(
        processor,
        sink,
        TOPICS,
        ServiceMetrics(),
        clock=lambda: NOW,
        sleep=record_sleep,
        retry_backoff_max_seconds=1.0,
    )


def record(
    value: bytes, offset: int = 0, headers: tuple[tuple[str, bytes], ...] = ()
) -> InputRecord:
    return InputRecord("in", 2, offset, b"CLM-TEST-1", value, headers)


async def test_outcomes_route_to_their_topics_with_contract_headers(
    processor: ClaimProcessor,
) -> None:
    sink = FlakySink()
    records = [
        record(
            orjson.dumps(event_document(line("92924", "LD"), event_id="a")),
            0,
            (("correlation-id", b"corr-a"),),
        ),
        record(orjson.dumps(event_document(line("92924"), event_id="b")), 1),
        record(b"not json", 2),
    ]
    outputs = await pipeline(processor, sink, []).handle(records)
    assert [o.topic for o in outputs] == ["out.enriched", "out.rejected", "out.dlq"]
    assert [o.headers["correlation-id"] for o in outputs[:2]] == ["corr-a", "b"]
    assert outputs[2].headers["source-event-id"] == ""
    assert all(o.key == b"CLM-TEST-1" for o in outputs)
    assert {o.headers["content-type"] for o in outputs} == {"application/json"}
    assert [o.headers["event-type"] for o in outputs] == [
        "claim.enriched",
        "claim.rejected",
        "claim.dead_letter",
    ]


async def test_transient_failures_resend_the_whole_batch_with_growing_backoff(
    processor: ClaimProcessor,
) -> None:
    sink, sleeps = FlakySink(failures=3), []  # type: ignore[var-annotated]
    records = [
        record(orjson.dumps(event_document(line("92924", "LD"), event_id=f"e{i}")), i)
        for i in range(3)
    ]
    outputs = await pipeline(processor, sink, sleeps).handle(records)
    assert len(sink.attempts) == 4
    assert all(attempt == outputs for attempt in sink.attempts)  # same bytes, same event ids
    assert sleeps == [0.2, 0.4, 0.8]
    assert not any(o.topic == "out.dlq" for o in outputs)


async def test_a_repeat_carries_the_same_event_id(processor: ClaimProcessor) -> None:
    raw = orjson.dumps(event_document(line("92924", "LD"), event_id="same"))
    first = await pipeline(processor, FlakySink(), []).handle([record(raw)])
    again = await pipeline(processor, FlakySink(), []).handle([record(raw)])
    assert json.loads(first[0].value)["event_id"] == json.loads(again[0].value)["event_id"]
