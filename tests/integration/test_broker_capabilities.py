"""The broker under test supports what the service relies on (aiokafka against Kafka 4.x)."""

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tests.integration.kafka_helpers import collect, create_topics, unique


async def test_idempotent_producer_is_acknowledged_by_all_replicas(kafka_bootstrap: str) -> None:
    topic = unique("caps-idem")
    await create_topics(kafka_bootstrap, [topic], partitions=1)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, enable_idempotence=True, acks="all"
    )
    await producer.start()
    try:
        first = await producer.send_and_wait(topic, b"one", key=b"k")
        second = await producer.send_and_wait(topic, b"two", key=b"k")
    finally:
        await producer.stop()
    assert (first.offset, second.offset) == (0, 1)


async def test_consumer_group_commits_are_stored(kafka_bootstrap: str) -> None:
    topic, group = unique("caps-commit"), unique("group")
    await create_topics(kafka_bootstrap, [topic], partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    await producer.send_and_wait(topic, b"x")
    await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        await consumer.getmany(timeout_ms=10_000)
        await consumer.commit()
        committed = await consumer.committed(TopicPartition(topic, 0))
    finally:
        await consumer.stop()
    assert committed == 1


async def test_transactions_commit_outputs_and_offsets_atomically(kafka_bootstrap: str) -> None:
    source, sink, group = unique("caps-txn-in"), unique("caps-txn-out"), unique("group")
    await create_topics(kafka_bootstrap, [source, sink], partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, transactional_id=unique("txn"))
    await producer.start()
    try:
        async with producer.transaction():
            await producer.send(sink, b"committed")
            await producer.send_offsets_to_transaction({TopicPartition(source, 0): 5}, group)
        await producer.begin_transaction()
        await producer.send(sink, b"aborted")
        await producer.abort_transaction()
    finally:
        await producer.stop()
    seen = await collect(
        kafka_bootstrap, [sink], expected=1, timeout=10, isolation_level="read_committed"
    )
    assert [r.value for r in seen] == [b"committed"]
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group)
    await consumer.start()
    try:
        assert await consumer.committed(TopicPartition(source, 0)) == 5
    finally:
        await consumer.stop()
