"""One in-memory Kafka for fast tests of the loop and both guarantees (service/stream/ports.py).

It keeps what the guarantees depend on and nothing more: partitioned logs, committed group
offsets, transactions whose records become visible only on commit (and never after an
abort), producer epochs per transactional id (a newer producer fences the older), a
refusal hook that can refuse any one output among many for good, and a rebalance that
revokes a consumer's partitions mid-slice and gives them back from the committed offsets.
"""

import asyncio
import re
import zlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalOperation, ProducerFenced

Refusal = Callable[[str, bytes], BaseException | None]


@dataclass(frozen=True, slots=True)
class FakeRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...]
    timestamp: int = 0


class FakeKafka:
    def __init__(self, partitions: int = 1) -> None:
        self.partitions = partitions
        self.logs: dict[TopicPartition, list[FakeRecord]] = {}
        self.group_offsets: dict[tuple[str, TopicPartition], int] = {}
        self.epochs: dict[str, int] = {}
        self.refuse: Refusal = lambda topic, value: None
        self.aborted: list[FakeRecord] = []
        """Records written inside transactions that were aborted (never visible)."""
        self.consumers: list[FakeConsumer] = []
        self.sent: list[tuple[str, bytes]] = []
        """Every send attempt, (topic, value), refused or not."""

    # What a test does to the broker

    def create_topic(self, topic: str, partitions: int | None = None) -> None:
        for number in range(partitions or self.partitions):
            self.logs.setdefault(TopicPartition(topic, number), [])

    def produce(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        headers: tuple[tuple[str, bytes | None], ...] = (),
        partition: int | None = None,
    ) -> FakeRecord:
        self.create_topic(topic)
        if partition is None:
            count = len([tp for tp in self.logs if tp.topic == topic])
            partition = zlib.crc32(key) % count if key is not None else 0
        log = self.logs[TopicPartition(topic, partition)]
        record = FakeRecord(topic, partition, len(log), key, value, headers)
        log.append(record)
        return record

    def records(self, topic: str) -> list[FakeRecord]:
        """Every visible (committed) record of the topic, partition by partition."""
        return [r for tp, log in sorted(self.logs.items()) if tp.topic == topic for r in log]

    def committed(self, group_id: str, topic: str) -> dict[int, int]:
        return {
            tp.partition: offset
            for (group, tp), offset in self.group_offsets.items()
            if group == group_id and tp.topic == topic
        }

    # Factories with aiokafka's keyword options (service/bootstrap.py calls them)

    def consumer(self, **options: Any) -> "FakeConsumer":
        consumer = FakeConsumer(self, options.get("group_id") or "")
        self.consumers.append(consumer)
        return consumer

    def producer(self, **options: Any) -> "FakeProducer":
        return FakeProducer(self, options.get("transactional_id"))


class FakeProducer:
    def __init__(self, kafka: FakeKafka, transactional_id: str | None) -> None:
        self.kafka = kafka
        self.transactional_id = transactional_id
        self.epoch = 0
        self.pending: list[tuple[str, bytes | None, bytes | None, tuple[Any, ...]]] | None = None
        self.offsets: tuple[str, dict[TopicPartition, int]] | None = None

    async def start(self) -> None:
        if self.transactional_id is not None:  # init_transactions: fence the older epoch
            self.epoch = self.kafka.epochs.get(self.transactional_id, 0) + 1
            self.kafka.epochs[self.transactional_id] = self.epoch

    async def stop(self) -> None:
        self.pending = None

    @property
    def fenced(self) -> bool:
        tid = self.transactional_id
        return tid is not None and self.kafka.epochs.get(tid, 0) > self.epoch

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        *,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> "asyncio.Future[Any]":
        self.kafka.sent.append((topic, value or b""))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.transactional_id is not None and self.pending is None:
            raise IllegalOperation("not in transaction")
        error: BaseException | None = ProducerFenced() if self.fenced else None
        error = error or self.kafka.refuse(topic, value or b"")
        if error is not None:
            future.set_exception(error)
            return future
        record = (topic, key, value, tuple(headers or ()))
        if self.pending is not None:
            self.pending.append(record)
        else:
            self.kafka.produce(topic, value, key, record[3])
        future.set_result(None)
        return future

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        self.pending, self.offsets = [], None
        try:
            yield
        except BaseException:
            for topic, key, value, headers in self.pending or []:
                self.kafka.aborted.append(FakeRecord(topic, -1, -1, key, value, headers))
            raise
        else:
            if self.fenced:
                raise ProducerFenced()
            for topic, key, value, headers in self.pending:
                self.kafka.produce(topic, value, key, headers)
            if self.offsets is not None:
                group_id, offsets = self.offsets
                for tp, offset in offsets.items():
                    self.kafka.group_offsets[(group_id, tp)] = offset
        finally:
            self.pending, self.offsets = None, None

    def transaction(self) -> Any:
        return self._transaction()

    async def partitions_for(self, topic: str) -> set[int]:
        return {tp.partition for tp in self.kafka.logs if tp.topic == topic}

    async def send_offsets_to_transaction(
        self, offsets: Mapping[TopicPartition, int], group_id: str
    ) -> None:
        if self.pending is None:
            raise IllegalOperation("not in transaction")
        self.offsets = (group_id, dict(offsets))


class FakeConsumer:
    """One member of its group, assigned every partition of the topics it subscribes to."""

    def __init__(self, kafka: FakeKafka, group_id: str) -> None:
        self.kafka = kafka
        self.group_id = group_id
        self.topics_subscribed: list[str] = []
        self.pattern: str | None = None
        self.listener: ConsumerRebalanceListener | None = None
        self.assigned: set[TopicPartition] | None = None
        self.positions: dict[TopicPartition, int] = {}
        self.rebalancing = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.assigned = None

    def subscribe(
        self,
        topics: Sequence[str] = (),
        pattern: str | None = None,
        listener: ConsumerRebalanceListener | None = None,
    ) -> None:
        self.topics_subscribed, self.pattern, self.listener = list(topics), pattern, listener

    def _subscribed(self, topic: str) -> bool:
        if self.pattern is not None:
            return re.fullmatch(self.pattern, topic) is not None
        return topic in self.topics_subscribed

    async def _assign(self) -> None:
        self.assigned = {tp for tp in self.kafka.logs if self._subscribed(tp.topic)}
        self.positions = {
            tp: self.kafka.group_offsets.get((self.group_id, tp), 0) for tp in self.assigned
        }
        if self.listener is not None:
            await self.listener.on_partitions_assigned(set(self.assigned))

    async def rebalance(self) -> None:
        """Revoke every partition (the listener waits for the slice in flight), then give
        them back from the committed offsets, as a member joining or leaving would."""
        assert self.listener is not None and self.assigned is not None
        self.rebalancing = True
        try:
            await self.listener.on_partitions_revoked(set(self.assigned))
        finally:
            self.rebalancing = False
        await self._assign()

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]:
        if self.assigned is None:
            await self._assign()
        assert self.assigned is not None
        fetched: dict[TopicPartition, list[Any]] = {}
        budget = max_records or 500
        for tp in sorted(self.assigned):
            log = self.kafka.logs.get(tp, [])
            position = self.positions.get(tp, 0)
            taken = log[position : position + budget]
            if taken:
                fetched[tp] = list(taken)
                self.positions[tp] = position + len(taken)
                budget -= len(taken)
        if not fetched:
            await asyncio.sleep(min(timeout_ms, 10) / 1000)
        return fetched

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        if self.rebalancing or self.assigned is None or not set(offsets) <= self.assigned:
            raise CommitFailedError("the group rebalanced")
        for tp, offset in offsets.items():
            self.kafka.group_offsets[(self.group_id, tp)] = offset

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned or ())

    # A consumer outside any group (service/stream/ports.py AssigningConsumer)

    def assign(self, partitions: Sequence[TopicPartition]) -> None:
        self.assigned = set(partitions)
        self.positions = {tp: self.positions.get(tp, 0) for tp in self.assigned}

    async def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: len(self.kafka.logs.get(tp, [])) for tp in partitions}

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.positions[partition] = offset

    def highwater(self, partition: TopicPartition) -> int | None:
        return len(self.kafka.logs.get(partition, []))

    async def topics(self) -> set[str]:
        return {tp.topic for tp in self.kafka.logs}
