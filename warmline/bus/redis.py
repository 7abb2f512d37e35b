"""Redis bus: wake-ups cross app instances through Redis pub/sub."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import redis
import redis.asyncio as aioredis

from warmline.bus.memory import MemorySubscription

PREFIX = "warmline:"


class RedisBus:
    def __init__(self, url: str):
        self.url = url
        self._client = redis.Redis.from_url(url)

    def publish(self, channel: str) -> None:
        self._client.publish(PREFIX + channel, b"1")

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[MemorySubscription]:
        subscription = MemorySubscription()
        client = aioredis.Redis.from_url(self.url)
        pubsub = client.pubsub()
        await pubsub.subscribe(PREFIX + channel)
        # Wait for Redis to confirm, so that no publish after this point can be missed.
        while (await pubsub.get_message(timeout=5.0)) is None:
            pass

        async def relay() -> None:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    subscription.event.set()

        task = asyncio.create_task(relay())
        try:
            yield subscription
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            with contextlib.suppress(Exception):
                await pubsub.unsubscribe()
                await pubsub.aclose()
                await client.aclose()

    def close(self) -> None:
        self._client.close()
