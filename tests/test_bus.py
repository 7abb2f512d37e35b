"""One contract for the live-event bus, run on the in-process and Redis backends."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import REDIS_URL, require_service
from warmline.bus.base import create_bus
from warmline.errors import ConfigurationError


@pytest.fixture(params=["memory", "redis"])
def bus(request):
    if request.param == "redis":
        require_service("Redis", "127.0.0.1", 6379)
        backend = create_bus(REDIS_URL)
    else:
        backend = create_bus("memory")
    yield backend
    backend.close()


def test_a_publish_wakes_every_subscriber_of_the_channel_only(bus) -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        async with bus.subscribe("conversation:a") as first, bus.subscribe("conversation:a") as second:
            async with bus.subscribe("conversation:b") as other:
                await asyncio.to_thread(bus.publish, "conversation:a")  # from another thread
                woke_first = await first.wait(5.0)
                woke_second = await second.wait(5.0)
                woke_other = await other.wait(0.3)
                return woke_first, woke_second, woke_other

    assert asyncio.run(scenario()) == (True, True, False)


def test_wait_times_out_without_a_publish(bus) -> None:
    async def scenario() -> bool:
        async with bus.subscribe("quiet") as subscription:
            return await subscription.wait(0.2)

    assert asyncio.run(scenario()) is False


def test_a_wake_up_before_wait_is_not_lost(bus) -> None:
    async def scenario() -> bool:
        async with bus.subscribe("early") as subscription:
            bus.publish("early")
            await asyncio.sleep(0.2)
            return await subscription.wait(2.0)

    assert asyncio.run(scenario()) is True


def test_an_unknown_backend_is_an_error_not_a_fallback() -> None:
    with pytest.raises(ConfigurationError):
        create_bus("kafka://somewhere")
