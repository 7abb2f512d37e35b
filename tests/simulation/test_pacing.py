"""The simulator's client waits out rate limits instead of failing the simulated day."""

from __future__ import annotations

import asyncio

import httpx

from warmline.simulation.pacing import RetryAfterTransport


def test_429_answers_are_waited_out_then_the_request_goes_through() -> None:
    answers = [429, 429, 200]
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        status = answers.pop(0)
        headers = {"Retry-After": "0"} if status == 429 else {}
        return httpx.Response(status, headers=headers, json={"ok": status == 200})

    async def run() -> tuple[httpx.Response, int]:
        transport = RetryAfterTransport(httpx.MockTransport(handler))
        async with httpx.AsyncClient(base_url="http://warmline.test", transport=transport) as client:
            response = await client.get("/v1/queues")
        return response, transport.waits

    response, waits = asyncio.run(run())
    assert response.status_code == 200 and response.json() == {"ok": True}
    assert waits == 2 and seen == ["/v1/queues"] * 3


def test_other_errors_are_returned_as_they_are() -> None:
    transport = RetryAfterTransport(httpx.MockTransport(lambda request: httpx.Response(403, json={})))

    async def run() -> int:
        async with httpx.AsyncClient(base_url="http://warmline.test", transport=transport) as client:
            return (await client.get("/v1/queues")).status_code

    assert asyncio.run(run()) == 403 and transport.waits == 0
