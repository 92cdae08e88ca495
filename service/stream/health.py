"""What /health/live and /health/ready answer, and the HTTP endpoint that serves them.

The endpoint runs uvicorn in a thread of its own, so it answers while a slice is edited; it
only reads the state the loop writes. Liveness is the loop's own heartbeat: a loop that has
not ticked for `stall_seconds` is reported dead, whatever the HTTP thread can still do.
"""

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn
from prometheus_client import CollectorRegistry, make_asgi_app

from service.stream.retrying import pause

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class Health:
    def __init__(self, unready_after_seconds: float, stall_seconds: float = 30.0) -> None:
        self.unready_after_seconds = unready_after_seconds
        self.stall_seconds = stall_seconds
        self.tick = time.monotonic()
        self.joined = False
        self.assigned_by: dict[str, int] = {}
        """Partitions assigned to each lane (by its topics)."""
        self.broker_reachable = False
        self.failing_since: Callable[[], float | None] = lambda: None
        self.stopped: str | None = None
        self.stores_down: tuple[str, ...] = ()
        """Stores the edits need that did not answer their last probe."""
        self.editing_unavailable: str | None = None
        """Why the edits cannot run (a store they need is down), while it lasts."""
        self.missing_topics: tuple[str, ...] = ()
        """Subscribed topics the cluster does not have (nothing can be read from them)."""

    async def beat(self, stopping: asyncio.Event, every: float = 1.0) -> None:
        """The loop's heartbeat: runs beside the consumer loop in the same event loop."""
        while not stopping.is_set():
            self.tick = time.monotonic()
            await pause(stopping, every)

    def live(self) -> tuple[bool, str]:
        stalled = time.monotonic() - self.tick
        if stalled > self.stall_seconds:
            return False, f"event loop stalled for {stalled:.0f}s"
        return True, "live"

    def ready(self) -> tuple[bool, str]:
        if self.stopped is not None:
            return False, f"stopped: {self.stopped}"
        if not self.broker_reachable:
            return False, "broker unreachable"
        if self.missing_topics:
            return False, f"subscribed topic(s) missing: {', '.join(self.missing_topics)}"
        if not self.joined:
            return False, "not yet a member of the consumer group"
        if self.stores_down:
            return False, f"not answering: {', '.join(self.stores_down)}; records wait"
        if self.editing_unavailable is not None:
            return False, f"editing unavailable ({self.editing_unavailable}); records wait"
        since = self.failing_since()
        if since is not None and time.monotonic() - since > self.unready_after_seconds:
            return False, f"publishing has failed for {time.monotonic() - since:.0f}s; retrying"
        return True, f"ready: {self.assigned} partition(s) assigned"

    @property
    def assigned(self) -> int:
        return sum(self.assigned_by.values())


def health_app(health: Health, registry: CollectorRegistry) -> Callable[..., Awaitable[None]]:
    """ASGI: GET /health/live, /health/ready, /metrics (prometheus_client's own app)."""
    metrics = make_asgi_app(registry)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/metrics":
            await metrics(scope, receive, send)
            return
        checks = {"/health/live": health.live, "/health/ready": health.ready}
        if scope["method"] not in ("GET", "HEAD"):
            status, text = 405, "GET only"
        elif scope["path"] in checks:
            ok, text = checks[scope["path"]]()
            status = 200 if ok else 503
        else:
            status, text = 404, "not found"
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": (text + "\n").encode()})

    return app


class HealthEndpoint:
    """uvicorn serving health_app from a daemon thread."""

    def __init__(self, app: Callable[..., Awaitable[None]], host: str, port: int) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
            loop="asyncio",
            http="h11",
            log_level="warning",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="health-http", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise OSError("the health endpoint did not start (is the port in use?)")
            time.sleep(0.01)

    @property
    def port(self) -> int:
        for server in self.server.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return 0

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout=5)
