"""The one consume-edit-produce loop, whatever the processing guarantee.

Fetch, then work through the fetched records in slices bounded by count and by time: edit
a slice (yielding to the event loop between small groups, so heartbeats and the health
endpoint keep answering), hand its outputs and offsets to the guarantee, go on. Offsets
move only after the guarantee made the outputs durable.

A rebalance revokes partitions between two deliveries, never inside one: the listener marks
the revocation and waits only for a delivery in flight (editing holds nothing up). A slice
revoked before it committed is abandoned (exactly-once: its transaction aborts); every
record fetched before the rebalance is dropped, since the consumer fetches again from the
committed offsets.
"""

import asyncio
import random
import re
import time
from collections.abc import Sequence

from aiokafka import ConsumerRebalanceListener, TopicPartition

from service.app.records import InputRecord, OutputRecord
from service.app.results import EditingUnavailableError
from service.observability.logging import get_logger
from service.observability.metrics import ServiceMetrics
from service.stream.guarantees import Guarantee
from service.stream.health import Health
from service.stream.ports import Consumer, Editor
from service.stream.retrying import pause

log = get_logger("claim_edit.stream")

EDIT_GROUP = 25  # records edited between two yields to the event loop


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, stream: "ClaimStream") -> None:
        self.stream = stream

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.stream.generation += 1  # the slice in flight and the fetched rest are void
        async with self.stream.in_flight:
            pass  # the slice in flight has committed or been abandoned

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.stream.health.joined = True
        self.stream.health.assigned_by[",".join(self.stream.topics)] = len(assigned)
        log.info("partitions assigned", partitions=len(assigned))


class ClaimStream:
    def __init__(
        self,
        consumer: Consumer,
        topics: list[str],
        guarantee: Guarantee,
        editor: Editor,
        *,
        metrics: ServiceMetrics,
        health: Health,
        max_records: int,
        max_seconds: float,
        fetch_wait_ms: int,
        backoff_cap_seconds: float = 30.0,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self.consumer = consumer
        self.topics = topics
        self.guarantee = guarantee
        self.editor = editor
        self.metrics = metrics
        self.health = health
        self.max_records = max_records
        self.max_seconds = max_seconds
        self.fetch_wait_ms = fetch_wait_ms
        self.generation = 0
        self.in_flight = asyncio.Lock()
        self.backoff_cap_seconds = backoff_cap_seconds
        self.stopping = stopping or asyncio.Event()
        self._unavailable_waits = 0

    def subscribe(self) -> None:
        """By a pattern of the exact names, not by the names: a subscription by name makes
        a broker that auto-creates topics create a missing input topic with its defaults
        (and hides that it was missing); a pattern only matches topics that exist, and
        picks up one created (or created again) at the next metadata refresh."""
        exact = "|".join(re.escape(topic) for topic in self.topics)
        self.consumer.subscribe(pattern=f"^(?:{exact})$", listener=_Rebalance(self))

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            fetched = await self.consumer.getmany(
                timeout_ms=self.fetch_wait_ms, max_records=self.max_records
            )
            # Taken after the fetch: a rebalance during it already reset the positions, and
            # what it returned belongs to the new assignment. One after it voids the rest.
            generation = self.generation
            records = [InputRecord.of(r) for batch in fetched.values() for r in batch]
            while records and not stopping.is_set():
                if self.generation != generation:
                    break  # a rebalance: fetch again from the committed offsets
                records = await self._one_slice(records, generation)

    async def _one_slice(self, records: list[InputRecord], generation: int) -> list[InputRecord]:
        """Edit and deliver records until the time bound; returns the records left."""
        started = time.perf_counter()
        outputs: list[OutputRecord] = []
        done = 0
        while done < len(records) and time.perf_counter() - started < self.max_seconds:
            group = self.editor.next_group(records[done : done + EDIT_GROUP])
            try:
                if self.editor.blocks or self.editor.is_heavy(group[0]):
                    # pyx12 takes ~0.8 s for 100 claims, the claim memory waits on its
                    # database: off the event loop, so heartbeats, the health endpoint and
                    # signals keep being served meanwhile
                    outputs.extend(await asyncio.to_thread(self.editor.edit, group))
                else:
                    outputs.extend(self.editor.edit(group))
            except EditingUnavailableError as error:
                # nothing of the slice is sent or committed: the same records again, later
                await self._wait_for_editing(error)
                return records if self.generation == generation else []
            self.health.editing_unavailable = None
            self._unavailable_waits = 0
            done += len(group)
            await asyncio.sleep(0)  # heartbeats, the health endpoint, signals
            if self.generation != generation:
                return []  # revoked while editing: nothing of this slice was sent
        edited = records[:done]
        offsets = _next_offsets(edited)
        # Only delivering holds the lock a revocation waits for: editing (a big interchange
        # takes minutes) never holds up a rebalance; a slice revoked meanwhile is dropped
        # and its records edited again by their next owner.
        async with self.in_flight:
            if self.generation != generation:
                return []
            delivered = await self.guarantee.deliver(
                outputs, offsets, owned=lambda: self.generation == generation
            )
        if not delivered:
            return []
        self.metrics.batch_seconds.observe(time.perf_counter() - started)
        self._observe_lag(offsets)
        log.debug("slice delivered", records=len(edited), seconds=time.perf_counter() - started)
        return records[done:]

    async def _wait_for_editing(self, error: EditingUnavailableError) -> None:
        """Back off (exponentially, with jitter, up to the cap) while a store the edits need
        is down; readiness says so meanwhile."""
        self._unavailable_waits += 1
        delay = min(self.backoff_cap_seconds, 0.2 * 2 ** min(self._unavailable_waits, 16))
        delay *= random.uniform(0.8, 1.2)  # jitter
        self.health.editing_unavailable = type(error).__name__
        self.metrics.editing_unavailable.inc()
        log.warning(
            "editing unavailable; the records wait",
            error=type(error).__name__,
            attempt=self._unavailable_waits,
            delay_seconds=round(delay, 2),
        )
        await pause(self.stopping, delay)

    def _observe_lag(self, offsets: dict[TopicPartition, int]) -> None:
        owned = self.consumer.assignment()
        self.metrics.observe_lag(
            self.consumer.highwater, {tp: n for tp, n in offsets.items() if tp in owned}
        )


def _next_offsets(records: Sequence[InputRecord]) -> dict[TopicPartition, int]:
    offsets: dict[TopicPartition, int] = {}
    for record in records:
        offsets[TopicPartition(record.topic, record.partition)] = record.offset + 1
    return offsets
