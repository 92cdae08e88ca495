"""One retry policy for publishing, whichever the guarantee: exponential backoff with
jitter up to a cap, forever, until the service is asked to stop (tenacity)."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from tenacity import (
    AsyncRetrying,
    AttemptManager,
    RetryCallState,
    retry_if_exception_type,
    wait_exponential_jitter,
)

from service.observability.logging import get_logger
from service.observability.metrics import ServiceMetrics
from service.stream.sending import TransientPublishError

log = get_logger("claim_edit.stream")


async def pause(stopping: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake up at once when the service is asked to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), timeout=seconds)


class RefusedRecordsError(TransientPublishError):
    """Some outputs were refused for good and replaced: send again at once, no backoff."""


class RetryPolicy:
    def __init__(
        self, backoff_cap_seconds: float, metrics: ServiceMetrics, stopping: asyncio.Event
    ) -> None:
        self.backoff = wait_exponential_jitter(multiplier=0.1, max=backoff_cap_seconds, jitter=0.1)
        self.metrics = metrics
        self.stopping = stopping
        # Since when publishing has been failing (readiness turns 503 past a threshold).
        self.failing_since: float | None = None

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and isinstance(outcome.exception(), RefusedRecordsError):
            return 0.0
        return float(self.backoff(state))

    def _before_sleep(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RefusedRecordsError):
            return
        if self.failing_since is None:
            self.failing_since = time.monotonic()
        self.metrics.publish_retries.inc()
        log.warning(
            "publish failed; retrying",
            attempt=state.attempt_number,
            delay_seconds=round(state.upcoming_sleep, 2),
            error=type(error.__cause__ or error).__name__ if error else None,
        )

    async def _sleep(self, seconds: float) -> None:
        await pause(self.stopping, seconds)

    async def attempts(self) -> AsyncIterator[AttemptManager]:
        """Attempts until one succeeds; stops (re-raising the last error) once stopping."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TransientPublishError),
            wait=self._wait,
            stop=lambda _: self.stopping.is_set(),
            before_sleep=self._before_sleep,
            reraise=True,
            sleep=self._sleep,
        )
        async for attempt in retrying:
            yield attempt
        self.failing_since = None
