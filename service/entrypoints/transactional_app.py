"""Exactly-once mode: consume-edit-produce in Kafka transactions, with aiokafka directly.

FastStream has no transactions, so this loop drives aiokafka itself, around the same
`ClaimPipeline.edit` the at-least-once handler uses. Each fetched batch becomes one
transaction holding its outputs (dead letters included) and the consumed offsets; readers
with `isolation_level=read_committed` see each output exactly once. The transactional id is
stable per instance (`<group_id>-<instance_id>`), so a restarted instance fences the zombie
it replaces. A transient failure aborts the transaction and retries the same batch after a
backoff, on a fresh producer when the old one is unusable.
"""

import asyncio
import signal
import time
from collections.abc import Awaitable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import IllegalOperation, KafkaError, ProducerFenced

from service.adapters.kafka_output import (
    output_producer_options,
    send_and_confirm,
    warn_if_too_large,
)
from service.adapters.kafka_security import aiokafka_options
from service.config import KafkaSettings, ServiceSettings
from service.observability.http import HealthServer
from service.observability.logging import get_logger
from service.observability.metrics import ServiceMetrics
from service.pipeline import ClaimPipeline, InputRecord, OutputRecord, Topics
from service.processing import ClaimProcessor, largest_output_bytes

log = get_logger("claim_edit.exactly_once")

# Once fenced, aiokafka's sender stops and the transaction turns fatal: the fencing
# surfaces as ProducerFenced on an awaited send, or as IllegalOperation ("not in
# transaction") on the next send, whichever comes first. Either way the producer is done.
FENCED = (ProducerFenced, IllegalOperation)


class TransactionalService:
    def __init__(
        self,
        processor: ClaimProcessor,
        kafka: KafkaSettings,
        settings: ServiceSettings,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.kafka = kafka
        self.max_request_size = largest_output_bytes(processor.limits)
        self.metrics = metrics or ServiceMetrics()
        # Only ClaimPipeline.edit is used: outputs are published inside the transactions.
        self.pipeline = ClaimPipeline(processor, None, Topics.from_settings(settings), self.metrics)
        self.http = HealthServer(
            settings.http_host, settings.http_port, self.ready, self.metrics.exposition
        )
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: AIOKafkaProducer | None = None
        self._stopping = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None

    def _new_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            **output_producer_options(self.kafka, self.settings, self.max_request_size),
            transactional_id=self.settings.transactional_id,
        )

    async def _start_producer(self) -> None:
        attempt = 0
        while not self._stopping.is_set():
            producer = self._new_producer()
            try:
                await producer.start()  # init_transactions: fences an older epoch of this id
                self.producer = producer
                return
            except KafkaError as error:
                attempt += 1
                await _quietly(producer.stop())
                delay = min(self.settings.retry_backoff_max_seconds, 0.1 * 2**attempt)
                log.warning(
                    "transactional producer not started; retrying",
                    error=type(error).__name__,
                    delay_seconds=delay,
                )
                await asyncio.sleep(delay)

    async def start(self) -> None:
        await self.http.start()
        self.consumer = AIOKafkaConsumer(
            self.settings.topic_submitted,
            **aiokafka_options(self.kafka),
            client_id=self.settings.client_id,
            group_id=self.settings.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            session_timeout_ms=self.settings.session_timeout_ms,
        )
        await self.consumer.start()
        await self._start_producer()
        self._loop_task = asyncio.create_task(self._consume())

    async def stop(self) -> None:
        """Finish the batch in flight (its transaction commits), then close. Re-raises what
        ended the loop, if it failed (a fenced instance, say)."""
        self._stopping.set()
        failure: BaseException | None = None
        if self._loop_task is not None:
            try:
                await self._loop_task
            except Exception as error:
                failure = error
        if self.consumer is not None:
            await _quietly(self.consumer.stop())
        if self.producer is not None:
            await _quietly(self.producer.stop())
        await self.http.stop()
        if failure is not None:
            raise failure

    async def _consume(self) -> None:
        assert self.consumer is not None
        try:
            await self._consume_batches(self.consumer)
        except BaseException:
            # Leave the group now: a fenced or broken instance must not keep its partitions.
            await _quietly(self.consumer.stop())
            raise

    async def _consume_batches(self, consumer: AIOKafkaConsumer) -> None:
        while not self._stopping.is_set():
            fetched = await consumer.getmany(
                timeout_ms=200, max_records=self.settings.batch_max_records
            )
            if not fetched:
                continue
            records = [
                InputRecord(
                    r.topic, r.partition, r.offset, r.key, r.value or b"", tuple(r.headers or ())
                )
                for partition_records in fetched.values()
                for r in partition_records
            ]
            offsets = {tp: rs[-1].offset + 1 for tp, rs in fetched.items() if rs}
            started = time.perf_counter()
            outputs = self.pipeline.edit(records)
            if not await self._commit(outputs, offsets):
                return  # stopped while the brokers were away: nothing committed, redelivered
            self.metrics.batch_seconds.observe(time.perf_counter() - started)
            self.metrics.observe_lag(consumer.highwater, offsets)

    async def _commit(
        self, outputs: list[OutputRecord], offsets: dict[TopicPartition, int]
    ) -> bool:
        """Commit outputs and offsets in one transaction; False if stopped before it could."""
        attempt = 0
        while True:
            if self.producer is None:
                await self._start_producer()
                if self.producer is None:
                    return False
            producer = self.producer
            try:
                async with producer.transaction():
                    await send_and_confirm(producer, outputs)
                    await producer.send_offsets_to_transaction(offsets, self.settings.group_id)
                return True
            except FENCED as error:
                log.error(
                    "fenced: another instance took over this transactional id",
                    error=type(error).__name__,
                )
                raise
            except (KafkaError, TimeoutError) as error:
                warn_if_too_large(error)
                attempt += 1
                self.metrics.publish_retries.inc()
                delay = min(self.settings.retry_backoff_max_seconds, 0.1 * 2**attempt)
                log.warning(
                    "transaction failed; retrying the batch",
                    attempt=attempt,
                    error=type(error).__name__,
                    delay_seconds=delay,
                    records=len(outputs),
                )
                await _quietly(producer.stop())
                self.producer = None
                await asyncio.sleep(delay)

    async def ready(self) -> tuple[bool, str]:
        if self.failed is not None:
            return False, f"stopped: {type(self.failed).__name__}"
        if self.consumer is None or self.producer is None:
            return False, "starting"
        assigned = self.consumer.assignment()
        if not assigned:
            return False, "consumer has no partitions assigned yet"
        return True, f"ready (exactly-once): {len(assigned)} partition(s) assigned"

    async def run_until_signalled(self) -> None:
        """Run until SIGTERM/SIGINT; a fenced or failed loop ends the process (and raises)."""
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(number, self._stopping.set)
        await self.start()
        assert self._loop_task is not None
        signalled = asyncio.create_task(self._stopping.wait())
        await asyncio.wait({signalled, self._loop_task}, return_when=asyncio.FIRST_COMPLETED)
        signalled.cancel()
        await self.stop()

    @property
    def failed(self) -> BaseException | None:
        task = self._loop_task
        if task is None or not task.done() or task.cancelled():
            return None
        return task.exception()


async def _quietly(closing: Awaitable[Any]) -> None:
    try:
        await closing
    except Exception as error:  # closing a broken client must not mask why it broke
        log.debug("close failed", error=type(error).__name__)
