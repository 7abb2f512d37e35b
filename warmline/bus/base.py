"""Live-event fan-out. The bus only carries wake-ups ("channel X has news"); streams then read
the committed events from the store, so a subscriber can never see an event that is not stored,
miss one, or see one twice. Backends: ``memory`` (one process) and ``redis`` (many instances)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol


class Subscription(Protocol):
    async def wait(self, timeout: float) -> bool:
        """Wait for a wake-up; True if one came, False on timeout."""
        ...


class LoopSubscription:
    """A subscription woken on the asyncio loop that created it, from any thread."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.event = asyncio.Event()

    def wake(self) -> None:
        self.loop.call_soon_threadsafe(self.event.set)

    async def wait(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.event.wait(), timeout)
        except TimeoutError:
            return False
        self.event.clear()
        return True


class Bus(Protocol):
    def publish(self, channel: str) -> None:
        """Wake every subscriber of ``channel``. Safe to call from any thread."""
        ...

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[Subscription]: ...

    def check(self) -> None:
        """Raise when the bus cannot deliver wake-ups (reported by ``/healthz``)."""
        ...

    def close(self) -> None: ...


def conversation_channel(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


FEED_CHANNEL = "feed"


def create_bus(url: str) -> Bus:
    """``memory`` or ``redis://...``; anything else is a configuration error, never a fallback."""
    from warmline.errors import ConfigurationError

    if url == "memory":
        from warmline.bus.memory import MemoryBus

        return MemoryBus()
    if url.startswith(("redis://", "rediss://")):
        from warmline.bus.redis import RedisBus, redis_clients

        client, subscriber = redis_clients(url)
        return RedisBus(client=client, subscriber=subscriber)
    raise ConfigurationError(f"unknown bus {url!r}: use 'memory' or a redis:// URL")
