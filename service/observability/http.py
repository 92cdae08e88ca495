"""A minimal HTTP endpoint: /health/live, /health/ready, /metrics (GET only)."""

import asyncio
from collections.abc import Awaitable, Callable

CONTENT_TEXT = "text/plain; charset=utf-8"
CONTENT_PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


class HealthServer:
    def __init__(
        self,
        host: str,
        port: int,
        ready: Callable[[], Awaitable[tuple[bool, str]]],
        metrics: Callable[[], bytes],
    ) -> None:
        self.host, self.port = host, port
        self._ready, self._metrics = ready, metrics
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            method, path, *_ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
            status, content_type, body = await self._route(method, path)
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            pass
        finally:
            writer.close()

    async def _route(self, method: str, path: str) -> tuple[str, str, bytes]:
        if method != "GET":
            return "405 Method Not Allowed", CONTENT_TEXT, b"GET only\n"
        if path == "/health/live":
            return "200 OK", CONTENT_TEXT, b"live\n"
        if path == "/health/ready":
            ready, why = await self._ready()
            status = "200 OK" if ready else "503 Service Unavailable"
            return status, CONTENT_TEXT, (why + "\n").encode()
        if path == "/metrics":
            return "200 OK", CONTENT_PROMETHEUS, self._metrics()
        return "404 Not Found", CONTENT_TEXT, b"not found\n"
