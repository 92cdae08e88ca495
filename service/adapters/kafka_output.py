"""Sending output records with an aiokafka producer: one path for both guarantees."""

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError, RecordTooLargeError

from service.adapters.kafka_security import aiokafka_options
from service.config import KafkaSettings, ServiceSettings
from service.observability.logging import get_logger
from service.pipeline import OutputRecord

log = get_logger("claim_edit.producer")


def output_producer_options(
    kafka: KafkaSettings, settings: ServiceSettings, max_request_size: int
) -> dict[str, Any]:
    """The producer settings outputs are sent with, under either guarantee (and the
    benchmark's pass-through copies them): acks=all, idempotent, linger, batch size."""
    return {
        **aiokafka_options(kafka),
        "client_id": settings.client_id,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": settings.linger_ms,
        "max_batch_size": settings.producer_batch_bytes,
        "max_request_size": max_request_size,
    }


async def send_and_confirm(producer: AIOKafkaProducer, records: Sequence[OutputRecord]) -> None:
    """Send every record, then wait until the brokers acknowledged all of them."""
    pending = [
        await producer.send(
            record.topic,
            record.value,
            key=record.key,
            headers=[(name, value.encode()) for name, value in record.headers.items()],
        )
        for record in records
    ]
    await asyncio.gather(*pending)


def warn_if_too_large(error: BaseException) -> None:
    """A record the broker refuses for its size is retried like any failure (dropping it
    would lose the event), so the operator must hear why the partition does not move."""
    if isinstance(error, (MessageSizeTooLargeError, RecordTooLargeError)):
        log.error(
            "output refused for its size: raise max.message.bytes on the output topics "
            "(the dead-letter topic needs room for the largest event, base64-encoded)",
            error=type(error).__name__,
        )
