"""The FastStream (aiokafka) application: one subscriber, three publishers, a thin handler.

At-least-once: the subscriber never auto-commits (AckPolicy.ACK); a batch's offsets are
committed after the handler returns, and the handler returns only when every output is
acknowledged by the brokers (acks=all, idempotent producer).
"""

import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError
from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.message import StreamMessage
from faststream.specification import AsyncAPI

from contracts import ClaimEnriched, ClaimRejected, DeadLetter
from service.adapters.kafka_output import (
    output_producer_options,
    send_and_confirm,
    warn_if_too_large,
)
from service.adapters.kafka_security import faststream_security
from service.config import KafkaSettings, ServiceSettings
from service.observability.http import HealthServer
from service.observability.logging import get_logger
from service.observability.metrics import ServiceMetrics
from service.pipeline import (
    ClaimPipeline,
    InputRecord,
    OutputRecord,
    Topics,
    TransientPublishError,
)
from service.processing import ClaimProcessor, largest_output_bytes

log = get_logger("claim_edit.service")
QUIET = logging.getLogger("claim_edit.faststream")
QUIET.setLevel(logging.WARNING)


class ProducerSink:
    """Sends outputs with an aiokafka producer and awaits every acknowledgement.

    FastStream's per-message publish path costs more than the engine's encoding of an
    outcome (measured: docs/performance.md), so outputs go through one plain aiokafka
    producer with the same settings: acks=all, idempotent, linger.
    """

    def __init__(
        self, kafka: KafkaSettings, settings: ServiceSettings, max_request_size: int
    ) -> None:
        self.options = output_producer_options(kafka, settings, max_request_size)
        self.producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        # aiokafka clients belong to the loop they are created in: create it here.
        self.producer = AIOKafkaProducer(**self.options)
        await self.producer.start()

    async def stop(self) -> None:
        if self.producer is not None:
            await self.producer.stop()

    async def send_all(self, records: Sequence[OutputRecord]) -> None:
        producer = self.producer
        if producer is None:
            raise TransientPublishError("producer not started")
        try:
            await send_and_confirm(producer, records)
        except (KafkaError, TimeoutError) as error:
            warn_if_too_large(error)
            raise TransientPublishError(str(type(error).__name__)) from error


async def _raw_bodies(message: StreamMessage[Any]) -> Any:
    """No decoding in FastStream: the engine decodes, so poison can be dead-lettered intact."""
    return message.body


class ClaimEditService:
    def __init__(
        self,
        processor: ClaimProcessor,
        kafka: KafkaSettings,
        settings: ServiceSettings,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or ServiceMetrics()
        self.broker = KafkaBroker(
            kafka.bootstrap_servers,
            security=faststream_security(kafka),
            client_id=settings.client_id,
            acks="all",
            enable_idempotence=True,
            linger_ms=settings.linger_ms,
            max_batch_size=settings.producer_batch_bytes,
            graceful_timeout=30.0,
            logger=QUIET,
        )
        topics = Topics.from_settings(settings)
        # The publishers declare the output channels and their contracts (AsyncAPI); outputs
        # are sent through ProducerSink, with the same producer settings.
        self.publishers = {
            topics.enriched: self.broker.publisher(
                topics.enriched,
                schema=ClaimEnriched,
                title=topics.enriched,
                description="Claims with no blocking finding: corrections applied, priced.",
            ),
            topics.rejected: self.broker.publisher(
                topics.rejected,
                schema=ClaimRejected,
                title=topics.rejected,
                description="Claims with a blocking finding: every finding and proposed change.",
            ),
            topics.dlq: self.broker.publisher(
                topics.dlq,
                schema=DeadLetter,
                title=topics.dlq,
                description="Events that could not be read, with the original bytes.",
            ),
        }
        self.sink = ProducerSink(kafka, settings, largest_output_bytes(processor.limits))
        self.pipeline = ClaimPipeline(
            processor,
            self.sink,
            topics,
            self.metrics,
            retry_backoff_max_seconds=settings.retry_backoff_max_seconds,
        )
        self.subscriber = self.broker.subscriber(
            settings.topic_submitted,
            group_id=settings.group_id,
            auto_offset_reset="earliest",
            batch=True,
            max_records=settings.batch_max_records,
            batch_timeout_ms=settings.batch_timeout_ms,
            session_timeout_ms=settings.session_timeout_ms,
            ack_policy=AckPolicy.ACK,
            decoder=_raw_bodies,
            title=settings.topic_submitted,
            description="ClaimSubmitted events from billing platforms (key: claim_id).",
        )
        self.subscriber(self._edit_claims)
        self.http = HealthServer(
            settings.http_host, settings.http_port, self.ready, self.metrics.exposition
        )
        # Hooks: the sink starts before the broker consumes and stops after it has drained.
        self.app = FastStream(
            self.broker,
            logger=QUIET,
            on_startup=[self.http.start, self.sink.start],
            on_shutdown=[self.http.stop],
            after_shutdown=[self.sink.stop],
        )

    async def _edit_claims(self, bodies: list[bytes], message: KafkaMessage) -> None:
        raw = message.raw_message
        consumed = raw if isinstance(raw, tuple) else (raw,)
        records = [
            InputRecord(
                r.topic, r.partition, r.offset, r.key, r.value or b"", tuple(r.headers or ())
            )
            for r in consumed
        ]
        await self.pipeline.handle(records)
        self._observe_lag(message, records)

    def _observe_lag(self, message: KafkaMessage, records: Sequence[InputRecord]) -> None:
        consumer = getattr(message, "consumer", None)
        if consumer is not None:
            next_offsets = {TopicPartition(r.topic, r.partition): r.offset + 1 for r in records}
            self.metrics.observe_lag(consumer.highwater, next_offsets)

    async def ready(self) -> tuple[bool, str]:
        if not self.broker.running or not await self.broker.ping(timeout=2.0):
            return False, "broker unreachable"
        consumer = getattr(self.subscriber, "consumer", None)
        if consumer is None or not consumer.assignment():
            return False, "consumer has no partitions assigned yet"
        return True, f"ready: {len(consumer.assignment())} partition(s) assigned"

    async def start(self) -> None:
        """Start in the caller's event loop (tests and the demo); `serve` uses app.run()."""
        await self.sink.start()
        await self.broker.start()
        await self.http.start()

    async def stop(self) -> None:
        await self.broker.stop()  # finishes the batch in flight, which still needs the sink
        await self.sink.stop()
        await self.http.stop()

    def asyncapi(self) -> str:
        spec = AsyncAPI(
            self.broker,
            title="claim-edit",
            version="1",
            description="PCI claim edits in the stream (contract v1).",
            schema_version="3.0.0",
        )
        return spec.to_specification().to_json()
