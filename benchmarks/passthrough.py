"""The ceiling: a bare aiokafka consume -> produce loop copying bytes, with the service's
producer settings (acks=all, idempotence, linger, batch size) and commit-after-ack batches.

Run as a process of its own: `python -m benchmarks.passthrough IN OUT GROUP` (bootstrap
from KAFKA_BOOTSTRAP_SERVERS). Prints "ready" once partitions are assigned.
"""

import asyncio
import os
import signal
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from service.config import ServiceSettings

# The service's own defaults, so the ceiling is measured with the same producer settings.
DEFAULT_LINGER_MS = ServiceSettings.model_fields["linger_ms"].default
DEFAULT_MAX_RECORDS = ServiceSettings.model_fields["batch_max_records"].default
DEFAULT_BATCH_BYTES = ServiceSettings.model_fields["producer_batch_bytes"].default


async def copy(source: str, sink: str, group: str, linger_ms: int, max_records: int) -> None:
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        linger_ms=linger_ms,
        max_batch_size=DEFAULT_BATCH_BYTES,
    )
    await consumer.start()
    await producer.start()
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    announced = False
    try:
        while not stopping.is_set():
            fetched = await consumer.getmany(timeout_ms=100, max_records=max_records)
            if not announced and consumer.assignment():
                print("ready", flush=True)
                announced = True
            pending = [
                await producer.send(sink, r.value, key=r.key)
                for records in fetched.values()
                for r in records
            ]
            if pending:
                await asyncio.gather(*pending)
                await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()


if __name__ == "__main__":
    asyncio.run(
        copy(
            sys.argv[1],
            sys.argv[2],
            sys.argv[3],
            int(os.environ.get("LINGER_MS", DEFAULT_LINGER_MS)),
            int(os.environ.get("MAX_RECORDS", DEFAULT_MAX_RECORDS)),
        )
    )
