"""Redis bus: wake-ups cross app instances through Redis pub/sub.

Redis is a convenience, not a dependency of correctness: streams read the committed log, the bus
only tells them when. So while Redis is unreachable a publish fails fast (no retries, short
timeouts, and a pause before the next attempt so that writes never wait on it) and streams poll
the log every ``POLL_S`` seconds instead of waiting for wake-ups.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable

import redis
import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.retry import Retry

from warmline.bus.base import LoopSubscription

PREFIX = "warmline:"
POLL_S = 1.0  # how often a stream re-reads the log while Redis is unreachable
PAUSE_S = 1.0  # after a failed publish, how long to skip Redis before trying again
TIMEOUT_S = 0.5
log = logging.getLogger("warmline.bus")


def _options() -> dict[str, object]:
    return {
        "socket_connect_timeout": TIMEOUT_S,
        "socket_timeout": TIMEOUT_S,
        "retry": Retry(NoBackoff(), 0),
    }


class RedisSubscription(LoopSubscription):
    """Woken by Redis; polls the log (returns True every ``POLL_S``) once Redis is lost."""

    def __init__(self) -> None:
        super().__init__()
        self.polling = False
        self._quiet = 0.0  # seconds polled since the caller's last timeout (its keep-alive)

    async def wait(self, timeout: float) -> bool:
        if not self.polling:
            return await super().wait(timeout)
        await asyncio.sleep(min(timeout, POLL_S))
        self._quiet += min(timeout, POLL_S)
        if self._quiet >= timeout:
            self._quiet = 0.0
            return False
        return True


def redis_clients(url: str) -> tuple[redis.Redis, Callable[[], aioredis.Redis]]:
    """The publishing client for ``url`` and a factory of subscribing ones, failing fast."""
    return redis.Redis.from_url(url, **_options()), lambda: aioredis.Redis.from_url(url, **_options())  # type: ignore[arg-type]


class RedisBus:
    """Publishes through ``client``; each stream subscribes on a client of its own from
    ``subscriber`` (an asyncio client belongs to the event loop it runs on)."""

    def __init__(self, *, client: redis.Redis, subscriber: Callable[[], aioredis.Redis]):
        self._client = client
        self._subscriber = subscriber
        self._down_until = 0.0
        self._lock = threading.Lock()

    def publish(self, channel: str) -> None:
        """Raises ``redis.RedisError`` when Redis is unreachable (callers log it and go on)."""
        if time.monotonic() < self._down_until:
            raise redis.ConnectionError("Redis was unreachable moments ago; not trying again yet")
        try:
            self._client.publish(PREFIX + channel, b"1")
        except redis.RedisError:
            with self._lock:
                self._down_until = time.monotonic() + PAUSE_S
            raise

    def check(self) -> None:
        """Raises when Redis does not answer a PING."""
        self._client.ping()

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[RedisSubscription]:
        subscription = RedisSubscription()
        client = self._subscriber()
        pubsub = client.pubsub()
        task: asyncio.Task[None] | None = None
        try:
            await pubsub.subscribe(PREFIX + channel)
            # Wait for Redis to confirm, so that no publish after this point can be missed.
            while (await pubsub.get_message(timeout=5.0)) is None:
                pass
        except (redis.RedisError, OSError) as error:
            log.warning("Redis is unreachable (%s): this stream polls the log every %.1f s", error, POLL_S)
            subscription.polling = True
        else:

            async def relay() -> None:
                try:
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            subscription.event.set()
                except (redis.RedisError, OSError) as error:
                    log.warning("lost Redis (%s): this stream polls the log every %.1f s", error, POLL_S)
                    subscription.polling = True
                    subscription.event.set()

            task = asyncio.create_task(relay())
        try:
            yield subscription
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            with contextlib.suppress(Exception):
                await pubsub.unsubscribe()
            with contextlib.suppress(Exception):
                await pubsub.aclose()
                await client.aclose()

    def close(self) -> None:
        self._client.close()
