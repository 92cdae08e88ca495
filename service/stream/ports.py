"""Kafka as the stream sees it: the consumer and producer calls the loop and the guarantees
make, and nothing else. aiokafka's clients satisfy these protocols as they are (the
composition root builds them); tests/fake_kafka.py is the one in-memory stand-in.
"""

import asyncio
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from aiokafka import ConsumerRebalanceListener, TopicPartition

from service.app.records import InputRecord, OutputRecord


class Producer(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

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
        """Queue one record; the future resolves when the broker acknowledged it."""

    def transaction(self) -> AbstractAsyncContextManager[Any]:
        """Begin a transaction; leaving normally commits it, with an exception aborts it."""

    async def send_offsets_to_transaction(
        self, offsets: Mapping[TopicPartition, int], group_id: str
    ) -> None: ...


class Consumer(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def subscribe(
        self,
        topics: Sequence[str] = (),
        pattern: str | None = None,
        listener: ConsumerRebalanceListener | None = None,
    ) -> None: ...

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]:
        """Records (with topic, partition, offset, key, value, headers) by partition."""

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None: ...

    def assignment(self) -> set[TopicPartition]: ...

    def highwater(self, partition: TopicPartition) -> int | None: ...

    async def topics(self) -> set[str]: ...


ConsumerFactory = Callable[..., Consumer]
"""Called with aiokafka.AIOKafkaConsumer's keyword options."""
ProducerFactory = Callable[..., Producer]
"""Called with aiokafka.AIOKafkaProducer's keyword options."""


class Editor(Protocol):
    """The use case the loop calls (service/app/edit_records.py RecordEditor): records in,
    output records out, each output knowing the record bytes it is about."""

    def edit(self, records: Sequence[InputRecord]) -> list[OutputRecord]: ...

    def is_heavy(self, record: InputRecord) -> bool:
        """A record that takes seconds to edit: edited alone, off the event loop."""
        ...

    @property
    def blocks(self) -> bool:
        """Editing waits on I/O (the claim memory): every group is edited off the event
        loop, so heartbeats and the health endpoint are served meanwhile."""
        ...

    def next_group(self, candidates: Sequence[InputRecord]) -> Sequence[InputRecord]: ...

    def fallback(self, output: OutputRecord, refusal: str) -> OutputRecord | None:
        """The smaller replacement of an output the broker refused for good, or None."""
        ...


class ClientProducer(Protocol):
    """A client's producer (`claim-edit send`): sends, and knows a topic's partitions."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        *,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> "asyncio.Future[Any]": ...

    async def partitions_for(self, topic: str) -> set[int]:
        """The topic's partition numbers (from the brokers' metadata)."""


class AssigningConsumer(Protocol):
    """A client's consumer outside any group (`claim-edit send`): reads partitions it assigns
    itself, from offsets it chooses."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def assign(self, partitions: Sequence[TopicPartition]) -> None: ...

    async def end_offsets(
        self, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]: ...

    def seek(self, partition: TopicPartition, offset: int) -> None: ...

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]: ...


AssigningConsumerFactory = Callable[..., AssigningConsumer]
"""Called with aiokafka.AIOKafkaConsumer's keyword options."""
ClientProducerFactory = Callable[..., ClientProducer]
"""Called with aiokafka.AIOKafkaProducer's keyword options."""
