"""Prometheus metrics of the service, in a registry of its own."""

from collections import Counter as CounterOf
from collections.abc import Callable, Mapping

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from service.app.results import Processed

NextOffsets = Mapping[TopicPartition, int]


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.outcomes = Counter(
            "claim_edit_outcomes_total",
            "Output events by type",
            ["event_type"],
            registry=self.registry,
        )
        self.findings = Counter(
            "claim_edit_findings_total",
            "Findings by edit id and disposition",
            ["edit_id", "disposition"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "claim_edit_dead_letters_total",
            "Dead letters by error kind",
            ["error_kind"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "claim_edit_processing_seconds",
            "Time to edit one event: its own decode, edit and encode, measured per event",
            buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1.0),
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "claim_edit_batch_seconds",
            "Time from fetch to outputs acknowledged, per batch",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
            registry=self.registry,
        )
        self.publish_retries = Counter(
            "claim_edit_publish_retries_total",
            "Batches retried after a transient failure",
            registry=self.registry,
        )
        self.editing_unavailable = Counter(
            "claim_edit_editing_unavailable_total",
            "Waits because a store the edits need (the claim memory) did not answer",
            registry=self.registry,
        )
        self.x12_answers = Counter(
            "claim_edit_x12_answers_total",
            "Answers to X12 senders: one per 277CA part, 999, or dead letter of an "
            "interchange or of bytes outside one (claim.dead_letter)",
            ["answer"],
            registry=self.registry,
        )
        self.interchange_seconds = Histogram(
            "claim_edit_x12_interchange_seconds",
            "Time to validate, convert, edit and acknowledge one X12 interchange",
            buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            "claim_edit_consumer_lag",
            "Records behind the high watermark",
            ["topic", "partition"],
            registry=self.registry,
        )

    def observe(self, results: list[Processed], seconds: list[float]) -> None:
        """One batch: counters are summed first, so each label is touched once per batch."""
        outcomes: CounterOf[str] = CounterOf()
        findings: CounterOf[tuple[str, str]] = CounterOf()
        dead: CounterOf[str] = CounterOf()
        for result in results:
            outcomes[result.event_type] += 1
            if result.error_kind is not None:
                dead[result.error_kind] += 1
            if result.outcome is not None:
                for finding in result.outcome.findings:
                    findings[(finding.edit_id, finding.disposition)] += 1
        for event_type, amount in outcomes.items():
            self.outcomes.labels(event_type).inc(amount)
        for (edit_id, disposition), amount in findings.items():
            self.findings.labels(edit_id, disposition).inc(amount)
        for kind, amount in dead.items():
            self.dead_letters.labels(kind).inc(amount)
        for value in seconds:
            self.latency.observe(value)

    def observe_lag(
        self, highwater: Callable[[TopicPartition], int | None], next_offsets: NextOffsets
    ) -> None:
        """Records behind the high watermark, per partition, after a batch."""
        for tp, next_offset in next_offsets.items():
            end = highwater(tp)
            if end is not None:
                self.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, end - next_offset))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
