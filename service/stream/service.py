"""The running service: health endpoint, guarantee, consumer and the loop, started and
stopped in the right order. Built by the composition root (service/bootstrap.py)."""

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiokafka.errors import (
    AuthenticationFailedError,
    GroupAuthorizationFailedError,
    KafkaError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
    UnsupportedSaslMechanismError,
)
from tenacity import AsyncRetrying, retry_if_exception, wait_exponential_jitter

from service.observability.logging import get_logger
from service.stream.guarantees import Guarantee
from service.stream.health import Health, HealthEndpoint
from service.stream.loop import ClaimStream
from service.stream.ports import Consumer
from service.stream.retrying import pause

log = get_logger("claim_edit.service")

# Refusals that no retry will change: start-up stops and names the setting to fix.
PERMANENT_AT_START: dict[type[BaseException], str] = {
    AuthenticationFailedError: "KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD",
    SaslAuthenticationFailed: "KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD",
    UnsupportedSaslMechanismError: "KAFKA_SASL_MECHANISM",
    ssl.SSLError: "KAFKA_SSL_CAFILE / KAFKA_SSL_CERTFILE / KAFKA_SSL_KEYFILE",
    GroupAuthorizationFailedError: "CLAIM_EDIT_GROUP_ID (no READ permission on the group)",
    TopicAuthorizationFailedError: "CLAIM_EDIT_TOPIC_SUBMITTED (no READ permission)",
    TransactionalIdAuthorizationFailed: "CLAIM_EDIT_INSTANCE_ID (transactional id not allowed)",
}


class StartupError(Exception):
    """A start-up failure that retrying cannot fix; its text names the setting."""


def _transient(error: BaseException) -> bool:
    return isinstance(error, (KafkaError, OSError, TimeoutError)) and not isinstance(
        error, tuple(PERMANENT_AT_START)
    )


@dataclass(frozen=True, slots=True)
class Lane:
    """One consumer, its guarantee and its loop. The JSON claims and the X12 interchanges
    have a lane each (two members of the one consumer group), so a big interchange never
    holds up the claims beside it."""

    consumer: Consumer
    guarantee: Guarantee
    stream: ClaimStream


class StreamService:
    def __init__(
        self,
        lanes: Sequence[Lane],
        health: Health,
        endpoint: HealthEndpoint,
        *,
        stopping: asyncio.Event,
        backoff_cap_seconds: float,
        bootstrap_servers: str,
        on_stop: Callable[[], None] | None = None,
        probes: Mapping[str, Callable[[], bool]] | None = None,
    ) -> None:
        """`probes`: stores the edits need (the claim memory), each a blocking check that it
        answers, run off the event loop every few seconds; one that does not answer makes
        the service not ready, even while no record waits on it."""
        self.lanes = tuple(lanes)
        self.health = health
        self.endpoint = endpoint
        self.stopping = stopping
        self.backoff_cap_seconds = backoff_cap_seconds
        self.bootstrap_servers = bootstrap_servers
        self.on_stop = on_stop
        self.probes = dict(probes or {})
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Serve health at once (not ready), then connect, retrying with backoff while the
        brokers are unreachable; a permanent refusal raises StartupError."""
        self.endpoint.start()
        self._tasks.append(asyncio.create_task(self.health.beat(self.stopping)))
        if self.probes:
            self._tasks.append(asyncio.create_task(self._probe_stores()))
        for lane in self.lanes:
            for start in (lane.consumer.start, lane.guarantee.start):
                await self._with_retries(start)
                if self.stopping.is_set():
                    return  # asked to stop while the brokers were still away
        self.health.broker_reachable = True
        self._tasks.append(asyncio.create_task(self._probe_broker()))
        for lane in self.lanes:
            lane.stream.subscribe()

    async def _with_retries(self, start: Callable[[], Awaitable[None]]) -> None:
        attempts = AsyncRetrying(
            retry=retry_if_exception(_transient),
            wait=wait_exponential_jitter(multiplier=0.5, max=self.backoff_cap_seconds, jitter=0.5),
            before_sleep=lambda state: log.warning(
                "brokers unreachable; retrying",
                bootstrap_servers=self.bootstrap_servers,
                attempt=state.attempt_number,
                error=type(state.outcome.exception()).__name__ if state.outcome else None,
            ),
            stop=lambda _: self.stopping.is_set(),
            reraise=True,
        )
        try:
            async for attempt in attempts:
                with attempt:
                    await start()
        except tuple(PERMANENT_AT_START) as error:
            setting = next(v for k, v in PERMANENT_AT_START.items() if isinstance(error, k))
            raise StartupError(f"{type(error).__name__}: check {setting}") from error
        except (KafkaError, OSError, TimeoutError):
            if not self.stopping.is_set():
                raise

    async def _probe_stores(self, every: float = 2.0) -> None:
        while not self.stopping.is_set():
            down = []
            for name, answers in self.probes.items():
                if not await asyncio.to_thread(answers):
                    down.append(name)
            if down and tuple(down) != self.health.stores_down:
                log.warning("stores the edits need do not answer", stores=down)
            self.health.stores_down = tuple(down)
            await pause(self.stopping, every)

    async def _probe_broker(self, every: float = 2.0) -> None:
        """Every `every` seconds: can the brokers be reached, and do the subscribed topics
        exist (a topic missing at start, or deleted, leaves the service with nothing to
        read: not ready until it is there again)."""
        while not self.stopping.is_set():
            try:
                consumer = self.lanes[0].consumer
                existing = await asyncio.wait_for(consumer.topics(), timeout=every)
                self.health.broker_reachable = True
                subscribed = [t for lane in self.lanes for t in lane.stream.topics]
                missing = [t for t in subscribed if t not in existing]
                if missing and missing != list(self.health.missing_topics):
                    log.warning("subscribed topics missing", topics=missing)
                self.health.missing_topics = tuple(missing)
            except (KafkaError, TimeoutError):
                self.health.broker_reachable = False
            await pause(self.stopping, every)

    async def run(self) -> None:
        """Every lane's loop, until asked to stop; the first failure stops the others and
        is re-raised."""
        tasks = [asyncio.create_task(lane.stream.run(self.stopping)) for lane in self.lanes]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()
        except BaseException as error:
            self.health.stopped = type(error).__name__
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            # Leave the group now: a fenced or broken instance must not keep its partitions.
            for lane in self.lanes:
                await _quietly(lane.consumer.stop())
            raise

    async def stop(self) -> None:
        """Leave the group and close: after run() returned, or instead of it."""
        self.stopping.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for lane in self.lanes:
            await _quietly(lane.consumer.stop())
            await _quietly(lane.guarantee.stop())
        self.endpoint.stop()
        if self.on_stop is not None:
            self.on_stop()


async def _quietly(closing: Awaitable[object]) -> None:
    try:
        await closing
    except Exception as error:  # closing a broken client must not mask why it broke
        log.debug("close failed", error=type(error).__name__)


@asynccontextmanager
async def running(service: StreamService) -> AsyncIterator[StreamService]:
    """Run the service in the caller's event loop (the demo and the tests); on leaving, it
    finishes the slice in flight and closes. A loop that failed re-raises here."""
    await service.start()
    task = asyncio.create_task(service.run())
    try:
        yield service
    finally:
        service.stopping.set()
        try:
            await task
        finally:
            await service.stop()
