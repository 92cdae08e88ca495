"""Who may call the API and how often: bearer tokens compared in constant time, a rate per
token, request bodies capped before they are read, and access lines without bodies."""

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from fastapi import HTTPException, Request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from service.observability.logging import get_logger

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = get_logger("claim_edit.api")


def token_id(token: str) -> str:
    """What the logs and the rate limiter know of a token: a short hash, not the token."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def matching_token(given: str, tokens: Sequence[str]) -> str | None:
    """The configured token equal to `given`, compared with every one in constant time (no
    early exit: the time taken tells nothing about which token, or how much of it, matched)."""
    found: str | None = None
    given_bytes = given.encode()
    for token in tokens:
        if hmac.compare_digest(given_bytes, token.encode()):
            found = token
    return found


class Guard:
    """A FastAPI dependency: 401 without a known bearer token, 429 over the token's rate."""

    def __init__(self, tokens: Sequence[str], rate: str) -> None:
        if not tokens:
            raise ValueError(
                "no API token: set CLAIM_EDIT_API_TOKENS or CLAIM_EDIT_API_TOKENS_FILE"
            )
        self.tokens = tuple(tokens)
        self.rates: list[RateLimitItem] = parse_many(rate)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, request: Request) -> str:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        token = matching_token(given.strip(), self.tokens) if scheme.lower() == "bearer" else None
        if token is None:
            raise HTTPException(
                401, "a valid bearer token is required", {"WWW-Authenticate": "Bearer"}
            )
        caller = token_id(token)
        request.scope.setdefault("state", {})["caller"] = caller
        for rate in self.rates:
            if not self.limiter.hit(rate, caller):
                reset = self.limiter.get_window_stats(rate, caller).reset_time
                retry = max(1, int(reset - time.time() + 0.999))
                raise HTTPException(429, f"over the rate of {rate}", {"Retry-After": str(retry)})
        return caller


async def read_capped(request: Request, limit: int) -> bytes:
    """The body, or 413 as soon as it is known to exceed `limit` bytes: from Content-Length
    before reading anything, else while it streams in (never more than limit + one chunk)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"the body is over {limit} bytes (CLAIM_EDIT_MAX_EVENT_BYTES)")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"the body is over {limit} bytes (CLAIM_EDIT_MAX_EVENT_BYTES)")
        chunks.append(chunk)
    return b"".join(chunks)


class AccessLog:
    """One structlog line per request: method, route, status, milliseconds, the caller's
    token hash. Never the body, the query string or an unknown path (either could carry a
    patient's name or member id)."""

    def __init__(self, app: ASGIApp, paths: Callable[[], set[str]], logger: Any = None) -> None:
        self.app = app
        self.paths = paths
        self.log = logger or log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: MutableMapping[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            path = scope.get("path", "")
            self.log.info(
                "request",
                method=scope.get("method"),
                route=path if path in self.paths() else "(other)",
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 2),
                caller=(scope.get("state") or {}).get("caller"),
            )
