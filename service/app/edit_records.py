"""Records in, output records out: the use case the stream calls.

A claim event yields one output (its outcome or a dead letter, service/app/edit_event.py);
an X12 interchange record its claims' outcomes and one answer per interchange in it
(service/app/edit_interchange.py). Each output is routed to its topic with its headers
(service/app/routing.py). Pure apart from the clock: no Kafka client here, so the guarantees
and the tests share it.
"""

import dataclasses
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from service.app.edit_event import ClaimProcessor
from service.app.edit_interchange import edit_interchange
from service.app.records import Form, InputRecord, OutputRecord
from service.app.results import Processed, Yielded
from service.app.routing import Topics, output_headers
from service.observability.logging import get_logger
from service.observability.metrics import ServiceMetrics
from service.observability.tracing import Tracing

log = get_logger("claim_edit.stream")


class RecordEditor:
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
        """The outputs of every record, in the records' order."""
        if self.topics.x12 is None:
            return self._edit_events(records)
        events = [r for r in records if not self.is_heavy(r)]
        outputs = self._edit_events(events) if events else []
        for record in records:
            if self.is_heavy(record):
                outputs.extend(self._edit_interchange(record))
        return outputs

    def is_heavy(self, record: InputRecord) -> bool:
        """An X12 interchange: seconds for thousands of claims, edited alone and off the
        event loop."""
        return self.topics.x12 is not None and record.topic == self.topics.x12

    @property
    def blocks(self) -> bool:
        """Editing waits on the claim memory's database."""
        return self.processor.memory is not None

    def next_group(self, candidates: Sequence[InputRecord]) -> Sequence[InputRecord]:
        """The records to edit next: an X12 interchange alone (it is slow), else the claim
        events up to the next interchange."""
        if self.topics.x12 is None or not candidates:
            return candidates
        if self.is_heavy(candidates[0]):
            return candidates[:1]
        end = next((i for i, r in enumerate(candidates) if self.is_heavy(r)), None)
        return candidates[:end]

    def fallback(self, output: OutputRecord, refusal: str) -> OutputRecord | None:
        """The next, smaller form of an output the broker refused for good; None when even
        the bounded dead letter was refused (nothing smaller exists). It is about the
        refused output's own bytes (`origin`), never the other outputs of its record."""
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
        origin: InputRecord,
        result: Processed,
        now: datetime,
        form: Form = "outcome",
        *,
        started_ns: int | None = None,
    ) -> OutputRecord:
        """`origin`: the input record with only what this output is about; `started_ns`:
        when editing the record began (wall clock), so its span, if traced, encloses the
        edit; by default, now."""
        headers = output_headers(origin, result, now, self.source)
        if self.tracing is not None:
            began = started_ns if started_ns is not None else time.time_ns()
            headers += self.tracing.continue_trace(origin, result.event_type, began)
        return OutputRecord(
            self.topics.for_event(result.event_type),
            result.key,
            result.value,
            headers,
            origin,
            result.event_type,
            form,
        )

    def _edit_events(self, records: Sequence[InputRecord]) -> list[OutputRecord]:
        started_ns = time.time_ns()
        now = self.clock()
        results = self.processor.process_batch([(r.value, r.source) for r in records], now)
        self.metrics.observe(results, [result.seconds for result in results])
        self._log(records, results)
        return [
            self.output(record, result, now, started_ns=started_ns)
            for record, result in zip(records, results, strict=True)
        ]

    def _edit_interchange(self, record: InputRecord) -> list[OutputRecord]:
        started, started_ns = time.perf_counter(), time.time_ns()
        now = self.clock()
        yielded = edit_interchange(
            self.processor, record, now, answer_max_bytes=self.topics.acknowledgement_max_bytes
        )
        self.metrics.interchange_seconds.observe(time.perf_counter() - started)
        results = [y.result for y in yielded]
        self.metrics.observe([r for r in results if not r.is_answer], [])
        for answer in (y.result for y in yielded if y.answers_sender):
            self.metrics.x12_answers.labels(answer.event_type).inc()
        self._log([record] * len(results), results)
        return [self._routed(record, y, now, started_ns) for y in yielded]

    def _routed(
        self, record: InputRecord, yielded: Yielded, now: datetime, started_ns: int
    ) -> OutputRecord:
        origin = dataclasses.replace(record, value=yielded.about, key=yielded.about_key)
        return self.output(origin, yielded.result, now, started_ns=started_ns)

    def _log(self, records: Sequence[InputRecord], results: Sequence[Processed]) -> None:
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
