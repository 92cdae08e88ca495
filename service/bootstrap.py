"""The composition root: settings → reference data, policy, processor → the stream service
(and the HTTP API, `build_api`).

Everything `check`, `serve`, the demo and the tests run is built here; each piece has a
default that a caller may override (a processor, metrics, a clock).
"""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from service.adapters.instance_slot import InstanceSlot, claim_slot
from service.adapters.kafka_security import aiokafka_options
from service.adapters.memory import PostgresMemory
from service.adapters.policy_file import load_policy
from service.adapters.reference_files import load_reference
from service.app.edit_event import ClaimProcessor, Limits, largest_output_bytes
from service.app.edit_records import RecordEditor
from service.app.memory import ClaimMemory
from service.app.routing import Topics
from service.config import EngineSettings, KafkaSettings, MemorySettings, ServiceSettings
from service.observability.metrics import ServiceMetrics
from service.observability.tracing import otlp_tracing
from service.stream.guarantees import AtLeastOnce, ExactlyOnce, Guarantee
from service.stream.health import Health, HealthEndpoint, health_app
from service.stream.loop import ClaimStream
from service.stream.ports import ConsumerFactory, ProducerFactory
from service.stream.retrying import RetryPolicy
from service.stream.service import Lane, StreamService

if TYPE_CHECKING:
    from service.api.rejections import RejectionSource
    from service.api.security import AccessLog
    from service.config import ApiSettings


def build_memory(settings: MemorySettings) -> ClaimMemory | None:
    """The claim memory the settings name (its schema brought up to date before its first
    batch), or None."""
    if settings.memory_url is None:
        return None
    if settings.memory_secret is None:
        raise ValueError("CLAIM_EDIT_MEMORY_SECRET is required with CLAIM_EDIT_MEMORY_URL")
    return PostgresMemory(
        settings.memory_url.get_secret_value(),
        settings.memory_secret.get_secret_value().encode(),
        retention_days=settings.memory_retention_days,
        migrate=True,
    )


def no_memory(_: MemorySettings) -> None:
    """The claim memory for what edits without one: the API, and `check` without --memory
    (a claim tried is not a claim billed)."""
    return None


def build_processor(
    settings: EngineSettings | None = None,
    *,
    memory: Callable[[MemorySettings], ClaimMemory | None] = build_memory,
) -> ClaimProcessor:
    """The one edit path: reference data, policy, limits and, when configured, the claim
    memory (`memory` builds it from the settings: PostgreSQL by default, a fake in tests)."""
    settings = settings or EngineSettings()
    reference = load_reference(
        official_dir=settings.reference_dir,
        accept_partial=settings.accept_partial_reference,
    )
    policy = load_policy(settings.policy_file)
    return ClaimProcessor(
        reference,
        policy,
        Limits(max_event_bytes=settings.max_event_bytes),
        memory(settings),
    )


def producer_options(
    kafka: KafkaSettings, settings: ServiceSettings, limits: Limits
) -> dict[str, object]:
    """The output producer's settings under either guarantee (the benchmark's pass-through
    copies them): acks=all, idempotent, linger, batch size, a request size that fits the
    largest dead letter."""
    return {
        **aiokafka_options(kafka),
        "client_id": settings.client_id,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": settings.linger_ms,
        "max_batch_size": settings.producer_batch_bytes,
        "max_request_size": largest_output_bytes(limits),
    }


def build_service(
    kafka: KafkaSettings,
    settings: ServiceSettings,
    processor: ClaimProcessor,
    *,
    metrics: ServiceMetrics | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    consumer_factory: ConsumerFactory = AIOKafkaConsumer,
    producer_factory: ProducerFactory = AIOKafkaProducer,
) -> StreamService:
    """The stream service; Kafka's clients come from the factories (aiokafka's by default,
    tests/fake_kafka.py's in fast tests), called with aiokafka's keyword options."""
    metrics = metrics or ServiceMetrics()
    stopping = asyncio.Event()
    editor = RecordEditor(
        processor,
        Topics.from_settings(settings),
        metrics,
        clock=clock,
        source=f"urn:claim-edit:{settings.group_id}",
        tracing=otlp_tracing(settings.otlp_endpoint, settings.client_id)
        if settings.otlp_endpoint
        else None,
    )
    retry = RetryPolicy(settings.retry_backoff_max_seconds, metrics, stopping)
    health = Health(settings.unready_after_seconds)
    health.failing_since = lambda: retry.failing_since
    options = producer_options(kafka, settings, processor.limits)
    exactly_once = settings.processing_guarantee == "exactly_once"
    slot: InstanceSlot | None = None
    transactional_id = ""
    if exactly_once:
        instance_id = settings.instance_id
        if instance_id is None:
            slot = claim_slot(settings.group_id)
            instance_id = slot.instance_id
        transactional_id = settings.transactional_id(instance_id)

    def lane(topic: str, suffix: str = "") -> Lane:
        """A consumer of `topic` in the service's group, its guarantee and its loop."""
        consumer = consumer_factory(
            **aiokafka_options(kafka),
            client_id=settings.client_id + suffix,
            group_id=settings.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed" if exactly_once else "read_uncommitted",
            session_timeout_ms=settings.session_timeout_ms,
            metadata_max_age_ms=settings.metadata_max_age_ms,
            # the input may hold events up to the engine's limit and beyond: never refuse one
            max_partition_fetch_bytes=max(1024 * 1024, processor.limits.max_event_bytes),
        )
        guarantee: Guarantee
        if exactly_once:
            guarantee = ExactlyOnce(
                lambda: producer_factory(**options, transactional_id=transactional_id + suffix),
                settings.group_id,
                editor,
                retry,
                settings.publish_timeout_seconds,
            )
        else:
            guarantee = AtLeastOnce(
                consumer,
                producer_factory(**options),
                editor,
                retry,
                settings.publish_timeout_seconds,
            )
        stream = ClaimStream(
            consumer,
            [topic],
            guarantee,
            editor,
            metrics=metrics,
            health=health,
            max_records=settings.batch_max_records,
            max_seconds=settings.batch_max_seconds,
            fetch_wait_ms=settings.batch_timeout_ms,
            backoff_cap_seconds=settings.retry_backoff_max_seconds,
            stopping=stopping,
        )
        return Lane(consumer, guarantee, stream)

    lanes = [lane(settings.topic_submitted)]
    if settings.topic_x12:
        lanes.append(lane(settings.topic_x12, "-x12"))
    endpoint = HealthEndpoint(
        health_app(health, metrics.registry), settings.http_host, settings.http_port
    )
    return StreamService(
        lanes,
        health,
        endpoint,
        stopping=stopping,
        backoff_cap_seconds=settings.retry_backoff_max_seconds,
        bootstrap_servers=kafka.bootstrap_servers,
        on_stop=slot.release if slot is not None else None,
        probes={"claim memory": processor.memory.ready} if processor.memory is not None else None,
    )


def build_api(
    engine: EngineSettings | None = None,
    settings: "ApiSettings | None" = None,
    *,
    processor: ClaimProcessor | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    rejections: "RejectionSource | None" = None,
) -> "AccessLog":
    """`claim-edit api`'s ASGI application: the processor `check` builds, without the claim
    memory (a claim tried on the API is not a claim billed: it is neither remembered nor
    compared, and the history edits say they were not checked), the settings' tokens and
    rate, and claims.rejected/the DLQ read from the configured Kafka."""
    from service.api.app import create_app
    from service.api.rejections import KafkaRejections
    from service.config import ApiSettings

    settings = settings or ApiSettings()
    processor = processor or build_processor(engine, memory=no_memory)
    if rejections is None:
        rejections = KafkaRejections(KafkaSettings(), ServiceSettings())
    return create_app(processor, settings, clock=clock, rejections=rejections)
