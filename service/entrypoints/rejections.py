"""`claim-edit rejections`: follow claims.rejected and the DLQ; a live summary or a snapshot."""

import asyncio
import logging
import sys
import time
from datetime import UTC, datetime, timedelta

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from service.adapters.broker_wait import start_within
from service.adapters.kafka_security import aiokafka_options
from service.config import KafkaSettings, ServiceSettings
from service.rejection_summary import RejectionSummary

CLEAR = "\x1b[2J\x1b[H"


async def _assign_from(consumer: AIOKafkaConsumer, topics: list[str], since: datetime) -> None:
    partitions = [
        TopicPartition(topic, partition)
        for topic in topics
        for partition in sorted(consumer.partitions_for_topic(topic) or ())
    ]
    consumer.assign(partitions)
    if not partitions:
        return
    found = await consumer.offsets_for_times(
        {tp: int(since.timestamp() * 1000) for tp in partitions}
    )
    ends = await consumer.end_offsets(partitions)
    for tp in partitions:
        offset = found.get(tp)
        consumer.seek(tp, offset.offset if offset is not None else ends[tp])


async def watch(window: timedelta, once: bool, interval: float, latest: int) -> int:
    kafka, settings = KafkaSettings(), ServiceSettings()
    topics = [settings.topic_rejected, settings.topic_dlq]
    summary = RejectionSummary(window, latest)
    consumer = AIOKafkaConsumer(
        **aiokafka_options(kafka),
        enable_auto_commit=False,
        # Only what the service committed: a rejection of an aborted transaction (a batch
        # that exactly-once will write again) is not a rejection.
        isolation_level="read_committed",
        client_id=f"{settings.client_id}-rejections",
    )
    await start_within(consumer, kafka.bootstrap_servers)
    try:
        # The consumer subscribes to nothing, so its metadata knows no topic yet; aiokafka has
        # no public call that refreshes it (topics() returns a copy it does not keep).
        await consumer._client.force_metadata_update()
        await _assign_from(consumer, topics, datetime.now(UTC) - window)
        ends = await consumer.end_offsets(list(consumer.assignment()))
        shown = 0.0
        while True:
            for records in (await consumer.getmany(timeout_ms=500, max_records=2000)).values():
                for record in records:
                    try:
                        document = orjson.loads(record.value or b"")
                    except orjson.JSONDecodeError:
                        continue
                    summary.add(document, datetime.fromtimestamp(record.timestamp / 1000, UTC))
            caught_up = True
            for tp, end in ends.items():
                caught_up = caught_up and await _position(consumer, tp) >= end
            if once and caught_up:
                sys.stdout.write(summary.render())
                return 0
            if not once and time.monotonic() - shown >= interval:
                sys.stdout.write(CLEAR + summary.render())
                sys.stdout.flush()
                shown = time.monotonic()
    finally:
        await consumer.stop()


async def _position(consumer: AIOKafkaConsumer, tp: TopicPartition) -> int:
    return int(await consumer.position(tp))


def run_rejections(window_minutes: float, once: bool, interval: float, latest: int) -> int:
    # A terminal view: the client's own connection chatter would scroll it away.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        return asyncio.run(watch(timedelta(minutes=window_minutes), once, interval, latest))
    except KeyboardInterrupt:
        return 0
