"""Small helpers for talking to the real broker in tests."""

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from service.app.edit_event import Limits, largest_output_bytes
from service.config import ServiceSettings

Headers = Sequence[tuple[str, bytes | None]]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def service_settings(prefix: str, **overrides: object) -> ServiceSettings:
    return ServiceSettings(
        topic_submitted=f"{prefix}.submitted",
        topic_enriched=f"{prefix}.enriched",
        topic_rejected=f"{prefix}.rejected",
        topic_dlq=f"{prefix}.dlq",
        group_id=f"{prefix}-group",
        http_port=0,
        http_host="127.0.0.1",
        **overrides,  # type: ignore[arg-type]
    )


def output_topics(settings: ServiceSettings) -> list[str]:
    return [settings.topic_enriched, settings.topic_rejected, settings.topic_dlq]


async def create_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int = 6,
    configs: dict[str, dict[str, str]] | None = None,
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [
                NewTopic(name, partitions, 1, topic_configs=(configs or {}).get(name, {}))
                for name in names
            ]
        )
    finally:
        await admin.close()


async def create_service_topics(bootstrap: str, settings: ServiceSettings) -> None:
    """As a deployment should: the dead-letter topic takes the largest dead letter."""
    dlq_limit = {"max.message.bytes": str(largest_output_bytes(Limits()))}
    await create_topics(
        bootstrap,
        [settings.topic_submitted, *output_topics(settings)],
        configs={settings.topic_dlq: dlq_limit},
    )


async def produce(
    bootstrap: str,
    topic: str,
    records: Iterable[tuple[bytes | None, bytes, Headers]],
    *,
    max_request_size: int = 1048576,
) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_request_size=max_request_size,
    )
    await producer.start()
    try:
        pending = [
            await producer.send(topic, value, key=key, headers=list(headers))
            for key, value, headers in records
        ]
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def collect(
    bootstrap: str,
    topics: Sequence[str],
    expected: int,
    *,
    timeout: float = 90.0,
    isolation_level: str = "read_uncommitted",
    done: Callable[[list[ConsumerRecord[bytes, bytes]]], bool] | None = None,
    settle: float = 0.0,
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read every topic from the beginning until `expected` records (or `done`) or the timeout."""
    finished = done or (lambda records: len(records) >= expected)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level=isolation_level
    )
    await consumer.start()
    try:
        found = await consumer._client.fetch_all_metadata()
        partitions = [
            TopicPartition(topic, p)
            for topic in topics
            for p in found.partitions_for_topic(topic) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        deadline = time.monotonic() + timeout
        while not finished(records) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for found_records in batch.values():
                records.extend(found_records)
        settled = time.monotonic() + settle  # read on: late repeats are counted too
        while time.monotonic() < settled:
            batch = await consumer.getmany(timeout_ms=200)
            for found_records in batch.values():
                records.extend(found_records)
        return records
    finally:
        await consumer.stop()


def headers_of(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    return {key: value.decode() for key, value in record.headers}


def source_ids(records: Sequence[ConsumerRecord[bytes, bytes]]) -> set[str]:
    return {json.loads(r.value)["source_event_id"] for r in records if r.value}


def covers(expected: set[str]) -> Callable[[list[ConsumerRecord[bytes, bytes]]], bool]:
    """Done when every expected source event id has at least one output."""
    return lambda records: expected <= source_ids(records)


# Kafka's ACL protocol codes (org.apache.kafka.common.acl / resource).
TOPIC, LITERAL, READ, WRITE, DESCRIBE, DENY, ALLOW = 2, 3, 3, 4, 8, 2, 3


async def deny_writes(bootstrap: str, topic: str) -> None:
    """A DENY ACL for every writer on one topic, which stays visible and readable, so
    the broker refuses the produce request itself. The local broker runs an authorizer
    that allows what no ACL names. aiokafka has no ACL admin call; its protocol class does."""
    from aiokafka.client import AIOKafkaClient
    from aiokafka.protocol.admin import CreateAclsRequest

    client = AIOKafkaClient(bootstrap_servers=bootstrap)
    await client.bootstrap()
    try:
        for operation, permission in ((WRITE, DENY), (DESCRIBE, ALLOW), (READ, ALLOW)):
            request = CreateAclsRequest(TOPIC, topic, LITERAL, "User:*", "*", operation, permission)
            response = await client.send(client.get_random_node(), request)
            errors = [code for code, _ in response.creation_responses if code != 0]
            assert not errors, f"CreateAcls failed: {response.creation_responses}"
    finally:
        await client.close()
