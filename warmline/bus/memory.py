"""In-process bus: wake-ups delivered to asyncio subscribers from any thread."""

from __future__ import annotations

import contextlib
import threading
from collections import defaultdict
from collections.abc import AsyncIterator

from warmline.bus.base import LoopSubscription


class MemorySubscription(LoopSubscription):
    """Woken by a publish in this process."""


class MemoryBus:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[MemorySubscription]] = defaultdict(set)

    def publish(self, channel: str) -> None:
        with self._lock:
            subscribers = list(self._subscribers.get(channel, ()))
        for subscription in subscribers:
            with contextlib.suppress(RuntimeError):  # its loop has closed
                subscription.wake()

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[MemorySubscription]:
        subscription = MemorySubscription()
        with self._lock:
            self._subscribers[channel].add(subscription)
        try:
            yield subscription
        finally:
            with self._lock:
                self._subscribers[channel].discard(subscription)
                if not self._subscribers[channel]:
                    del self._subscribers[channel]

    def check(self) -> None:
        """Always deliverable: it lives in this process."""

    def close(self) -> None:
        with self._lock:
            self._subscribers.clear()
