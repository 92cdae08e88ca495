"""Sending output records with an aiokafka producer: one path for both guarantees."""

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer

from service.pipeline import OutputRecord


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
