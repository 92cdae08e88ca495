"""Consume-edit-produce for a batch of records, independent of the Kafka client library.

A batch is edited in order (so per-key, per-partition order is kept), every output is sent,
and the call returns only when the broker has acknowledged all of them; the caller commits
offsets after that. A transient failure re-sends the whole batch after a backoff: outputs
may repeat (same deterministic `event_id`), none is lost, none becomes a dead letter.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from service.config import ServiceSettings
from service.observability.logging import get_logger
from service.observability.metrics import ServiceMetrics
from service.processing import ClaimProcessor, Processed, Source

log = get_logger("claim_edit.pipeline")


@dataclass(frozen=True, slots=True)
class InputRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: Sequence[tuple[str, bytes]] = ()

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value.decode("utf-8", "replace")
        return None


@dataclass(frozen=True, slots=True)
class OutputRecord:
    topic: str
    key: bytes | None
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)


class TransientPublishError(Exception):
    """The broker did not acknowledge every output; the batch is to be sent again."""


class OutputSink(Protocol):
    async def send_all(self, records: Sequence[OutputRecord]) -> None:
        """Return when every record is acknowledged; raise TransientPublishError otherwise."""


@dataclass(frozen=True, slots=True)
class Topics:
    enriched: str
    rejected: str
    dlq: str

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> "Topics":
        return cls(settings.topic_enriched, settings.topic_rejected, settings.topic_dlq)

    def for_event(self, event_type: str) -> str:
        return {
            "claim.enriched": self.enriched,
            "claim.rejected": self.rejected,
            "claim.dead_letter": self.dlq,
        }[event_type]


def output_headers(record: InputRecord, result: Processed) -> dict[str, str]:
    """contract.md, Headers on every output."""
    source_event_id = result.source_event_id or ""
    return {
        "content-type": "application/json",
        "event-type": result.event_type,
        "schema-version": "1",
        "correlation-id": record.header("correlation-id") or source_event_id or result.event_id,
        "source-event-id": source_event_id,
    }


class ClaimPipeline:
    def __init__(
        self,
        processor: ClaimProcessor,
        sink: OutputSink | None,
        topics: Topics,
        metrics: ServiceMetrics,
        *,
        retry_backoff_max_seconds: float = 30.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.processor = processor
        self.sink = sink
        self.topics = topics
        self.metrics = metrics
        self.retry_backoff_max_seconds = retry_backoff_max_seconds
        self.clock = clock
        self.sleep = sleep

    def edit(self, records: Sequence[InputRecord]) -> list[OutputRecord]:
        outputs = []
        started = time.perf_counter()
        results = self.processor.process_batch(
            [
                (record.value, Source(record.topic, record.partition, record.offset, record.key))
                for record in records
            ],
            self.clock(),
        )
        # The batch is edited phase by phase, so each claim is observed at its share of it.
        share = (time.perf_counter() - started) / max(1, len(records))
        for record, result in zip(records, results, strict=True):
            headers = output_headers(record, result)
            outputs.append(
                OutputRecord(
                    self.topics.for_event(result.event_type), result.key, result.value, headers
                )
            )
            # Operators act on rejections and dead letters: those are logged at INFO; an
            # enriched claim only at DEBUG (one line per claim is a cost at volume).
            emit = log.debug if result.event_type == "claim.enriched" else log.info
            emit(
                "dead letter" if result.error_kind else "claim edited",
                claim_id=result.claim_id,
                correlation_id=headers["correlation-id"],
                outcome=result.event_type,
                error_kind=result.error_kind,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            )
        self.metrics.observe(results, [share] * len(results))
        return outputs

    async def handle(self, records: Sequence[InputRecord]) -> list[OutputRecord]:
        """Edit and publish; returns once every output is acknowledged."""
        if self.sink is None:
            raise RuntimeError("this pipeline only edits: its caller publishes")
        started = time.perf_counter()
        outputs = self.edit(records)
        attempt = 0
        while True:
            try:
                await self.sink.send_all(outputs)
                break
            except TransientPublishError as error:
                attempt += 1
                self.metrics.publish_retries.inc()
                delay = min(self.retry_backoff_max_seconds, 0.1 * 2**attempt)
                log.warning(
                    "publish failed; retrying the batch",
                    attempt=attempt,
                    delay_seconds=delay,
                    error=type(error.__cause__ or error).__name__,
                    records=len(outputs),
                )
                await self.sleep(delay)
        self.metrics.batch_seconds.observe(time.perf_counter() - started)
        return outputs
