"""The simulator's HTTP transport: a client that waits out ``429 rate_limited`` answers.

A simulated day sends dozens of customers and agents from one address, as a real load balancer
would not; the service's rate limits (per address, per token) then answer 429 with a
``Retry-After``. A well-behaved client waits that long and tries again, which is what this does,
so that a simulation measures the product rather than the limits.
"""

from __future__ import annotations

import asyncio

import httpx

MAX_WAITS = 20
LONGEST_WAIT_S = 5.0


class RetryAfterTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport):
        self.inner = inner
        self.waits = 0  # how many 429s were waited out (reported by the simulator)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(MAX_WAITS):
            response = await self.inner.handle_async_request(request)
            if response.status_code != 429:
                return response
            await response.aclose()
            self.waits += 1
            await asyncio.sleep(min(LONGEST_WAIT_S, _seconds(response.headers.get("retry-after"))))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _seconds(value: str | None) -> float:
    try:
        return max(0.05, float(value or 1))
    except ValueError:
        return 1.0
