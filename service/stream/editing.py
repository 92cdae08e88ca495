"""Records in, output records out: the engine's results routed to topics, with headers.

Pure apart from the clock: no Kafka client here, so the guarantees and the tests share it.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from service.config import ServiceSettings
from service.observability.logging import get_logger
from service.observability.metrics import ServiceMetrics
from service.processing import ClaimProcessor, Processed
from service.stream.interchanges import edit_interchange
from service.stream.records import Form, InputRecord, OutputRecord
from service.stream.tracing import Tracing

log = get_logger("claim_edit.stream")


@dataclass(frozen=True, slots=True)
class Topics:
    enriched: str
    rejected: str
    dlq: str
    x12: str | None = None
    acknowledgements: str = "claims.277ca"
    acknowledgement_max_bytes: int = 1_000_000  # a larger 277CA is split into parts

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> "Topics":
        return cls(
            settings.topic_enriched,
            settings.topic_rejected,
            settings.topic_dlq,
            settings.topic_x12,
            settings.topic_277ca,
            settings.topic_277ca_max_bytes,
        )

    def for_event(self, event_type: str) -> str:
        return {
            "claim.enriched": self.enriched,
            "claim.rejected": self.rejected,
            "claim.dead_letter": self.dlq,
        }[event_type]


def output_headers(
    record: InputRecord, result: Processed, occurred_at: datetime, source: str
) -> tuple[tuple[str, bytes], ...]:
    """The contract's headers on every output; correlation-id falls back to the input's
    event_id (or, for a dead letter, its own) when the header cannot be copied. Beside them,
    the CloudEvents Kafka binding's binary-mode attributes (ce_*)."""
    source_event_id = result.source_event_id or ""
    correlation = record.copyable_header("correlation-id") or source_event_id or result.event_id
    headers = [
        ("content-type", b"application/json"),
        ("event-type", result.event_type.encode()),
        ("schema-version", b"1"),
        ("correlation-id", correlation.encode()),
        ("source-event-id", source_event_id.encode()),
        ("ce_specversion", b"1.0"),
        ("ce_id", result.event_id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", result.event_type.encode()),
        # the same text as the event's occurred_at (orjson writes both)
        ("ce_time", orjson.dumps(occurred_at)[1:-1]),
    ]
    if result.claim_id is not None:
        headers.append(("ce_subject", result.claim_id.encode()))
    return tuple(headers)


class BatchEditor:
    def __init__(
        self,
        processor: ClaimProcessor,
        topics: Topics,
        metrics: ServiceMetrics,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        source: str = "urn:claim-edit:claim-edit",
        tracing: Tracing | None = None,
    ) -> None:
        self.processor = processor
        self.topics = topics
        self.metrics = metrics
        self.clock = clock
        self.source = source  # CloudEvents ce_source: urn:claim-edit:<group id>
        self.tracing = tracing

    def edit(self, records: Sequence[InputRecord]) -> list[OutputRecord]:
        """The outputs of every record: a claim event's one outcome; an X12 interchange's
        outcomes and its one 277CA (or 999), see service/stream/interchanges.py."""
        if self.topics.x12 is None:
            return self._edit_events(records)
        events = [r for r in records if not self.is_interchange(r)]
        outputs = self._edit_events(events) if events else []
        for record in records:
            if self.is_interchange(record):
                started = time.perf_counter()
                answered = edit_interchange(self, record, self.clock())
                self.metrics.interchange_seconds.observe(time.perf_counter() - started)
                # the last output is the answer: the 277CA, the 999 or the one dead letter
                answer = dict(answered[-1].headers).get("event-type", b"").decode()
                self.metrics.interchanges.labels(answer).inc()
                outputs.extend(answered)
        return outputs

    def is_interchange(self, record: InputRecord) -> bool:
        return self.topics.x12 is not None and record.topic == self.topics.x12

    def next_group(self, candidates: Sequence[InputRecord]) -> Sequence[InputRecord]:
        """The records to edit next: an X12 interchange alone (it is slow), else the claim
        events up to the next interchange."""
        if self.topics.x12 is None or not candidates:
            return candidates
        if self.is_interchange(candidates[0]):
            return candidates[:1]
        end = next((i for i, r in enumerate(candidates) if self.is_interchange(r)), None)
        return candidates[:end]

    def observe(self, records: Sequence[InputRecord], results: Sequence[Processed]) -> None:
        for record, result in zip(records, results, strict=True):
            log.debug(
                "edited",
                claim_id=result.claim_id,
                outcome=result.event_type,
                error_kind=result.error_kind,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            )

    def _edit_events(self, records: Sequence[InputRecord]) -> list[OutputRecord]:
        started_ns = time.time_ns()
        now = self.clock()
        results = self.processor.process_batch([(r.value, r.source) for r in records], now)
        self.metrics.observe(results, [result.seconds for result in results])
        self.observe(records, results)
        return [
            self.output(record, result, now, started_ns=started_ns)
            for record, result in zip(records, results, strict=True)
        ]

    def fallback(self, output: OutputRecord, refusal: str) -> OutputRecord | None:
        """The next, smaller form of an output the broker refused for good; None when even
        the bounded dead letter was refused (nothing smaller exists)."""
        if output.form == "bounded":
            return None
        carry = output.form == "outcome" and output.topic != self.topics.dlq
        origin = output.origin
        now = self.clock()
        result = self.processor.unpublishable(
            origin.value, origin.source, now, refusal, carry_original=carry
        )
        self.metrics.observe([result], [])
        log.warning(
            "output refused for good; dead-lettered instead",
            refusal=refusal,
            refused_topic=output.topic,
            carries_original=carry,
            topic=origin.topic,
            partition=origin.partition,
            offset=origin.offset,
        )
        return self.output(origin, result, now, "carried" if carry else "bounded")

    def output(
        self,
        record: InputRecord,
        result: Processed,
        now: datetime,
        form: Form = "outcome",
        *,
        started_ns: int | None = None,
    ) -> OutputRecord:
        """`started_ns`: when editing the record began (wall clock), so its span, if traced,
        encloses the edit; by default, now."""
        headers = output_headers(record, result, now, self.source)
        if self.tracing is not None:
            began = started_ns if started_ns is not None else time.time_ns()
            headers += self.tracing.continue_trace(record, result.event_type, began)
        return OutputRecord(
            self.topics.for_event(result.event_type),
            result.key,
            result.value,
            headers,
            record,
            form,
        )
