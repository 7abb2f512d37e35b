"""Rate limits per client address and per token, answered with 429 ``rate_limited`` and
``Retry-After``, before any route or database work.

Four limits, each a ``limits`` expression such as ``"20/second;600/minute"`` (see Settings):

- ``rate_limit_ip``: every ``/v1/`` request from one client address;
- ``rate_limit_token``: every ``/v1/`` request with one bearer token (customer or staff);
- ``rate_limit_start``: starting conversations (``POST /v1/conversations``) from one address,
  the one write anybody may make without a token;
- ``rate_limit_auth_failures``: answers 401 to one address; once spent, that address's requests
  with a token are refused until the window has passed, so tokens cannot be guessed at speed.

Counters live in this process, or in Redis when ``rate_limit_url`` (by default the bus URL, if
it is Redis) names one, so that every instance behind the load balancer counts together. Keys
hold a hash of the token, never the token. If Redis is unreachable the limits are not enforced
for a moment (logged) rather than failing requests: availability first, as with the bus.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from warmline.api.asgi import StatusRecorder
from warmline.api.errors import error_response
from warmline.config import Settings

log = logging.getLogger("warmline.rate_limits")
PAUSE_S = 5.0  # after a storage failure, how long the limits stand aside before trying again


@dataclass(frozen=True)
class Limits:
    ip: list[RateLimitItem]
    token: list[RateLimitItem]
    start: list[RateLimitItem]
    auth_failures: list[RateLimitItem]

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            ip=parse_many(settings.rate_limit_ip),
            token=parse_many(settings.rate_limit_token),
            start=parse_many(settings.rate_limit_start),
            auth_failures=parse_many(settings.rate_limit_auth_failures),
        )


def storage_for(settings: Settings) -> Storage:
    url = settings.rate_limit_url or (settings.bus_url if settings.bus_url.startswith("redis") else "memory://")
    if url.startswith(("redis://", "rediss://")):
        return RedisStorage(
            "async+" + url,
            implementation="redispy",
            wrap_exceptions=True,
            key_prefix="warmline:limits",
            socket_connect_timeout=0.5,
            socket_timeout=0.5,
        )
    if url == "memory://":
        return MemoryStorage()
    from warmline.errors import ConfigurationError

    raise ConfigurationError(f"unknown rate-limit storage {url!r}: use memory:// or a redis:// URL")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:24]


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() or None if scheme.lower() == "bearer" else None
    return None


class RateLimits:
    """Pure ASGI middleware (cheaper per request than Starlette's ``BaseHTTPMiddleware``)."""

    def __init__(self, app: ASGIApp, settings: Settings, storage: Storage | None = None):
        self.app = app
        self.limits = Limits.from_settings(settings)
        self.storage = storage or storage_for(settings)
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)
        self._aside_until = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/") or time.monotonic() < self._aside_until:
            await self.app(scope, receive, send)
            return
        address = scope["client"][0] if scope.get("client") else "unknown"
        token = _bearer(scope)
        try:
            refusal = await self._check(scope, address, token)
        except StorageError as error:
            log.warning("rate-limit storage unreachable (%s): limits stand aside for %.0f s", error, PAUSE_S)
            self._aside_until = time.monotonic() + PAUSE_S
            refusal = None
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if token is None:
            await self.app(scope, receive, send)
            return

        sending = StatusRecorder(send)
        await self.app(scope, receive, sending)
        if sending.status == 401:
            try:
                for item in self.limits.auth_failures:
                    await self.limiter.hit(item, "auth-failures", address)
            except StorageError:
                pass  # reported by the next request's check

    async def _check(self, scope: Scope, address: str, token: str | None) -> JSONResponse | None:
        if token is not None:
            for item in self.limits.auth_failures:
                if not await self.limiter.test(item, "auth-failures", address):
                    return await self._refuse(
                        item, "too many failed sign-ins from your address", "auth-failures", address
                    )
        for item in self.limits.ip:
            if not await self.limiter.hit(item, "ip", address):
                return await self._refuse(item, "too many requests from your address", "ip", address)
        if token is not None:
            key = _hash(token)
            for item in self.limits.token:
                if not await self.limiter.hit(item, "token", key):
                    return await self._refuse(item, "too many requests with this token", "token", key)
        if scope["method"] == "POST" and scope["path"] == "/v1/conversations":
            for item in self.limits.start:
                if not await self.limiter.hit(item, "start", address):
                    return await self._refuse(
                        item, "too many conversations started from your address", "start", address
                    )
        return None

    async def _refuse(self, item: RateLimitItem, message: str, *identifiers: str) -> JSONResponse:
        stats = await self.limiter.get_window_stats(item, *identifiers)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        response = error_response(
            429,
            "rate_limited",
            f"{message}: try again in {retry_after} s",
            {"limit": str(item), "retry_after_s": retry_after},
        )
        response.headers["Retry-After"] = str(retry_after)
        return response
