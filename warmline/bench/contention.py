"""``warmline bench contention``: several clients posting to one conversation, against the same
clients each posting to its own.

Posts to one conversation wait for each other (its log is locked per write); what must not happen
is that they also stall everything else. So while the messages are posted, a few clients call the
no-op endpoint, whose p99 shows how long the event loop was kept busy. Both runs go to the same
server, alternating in slices like ``bench api``; a conversation takes at most ``per_conversation``
messages (then, or once a person has it, the clients move on to a fresh one), so that both runs
work on logs of the same length.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from warmline.bench.api import MESSAGES, _noop, _start_conversation, served
from warmline.bench.stats import percentile

MESSAGES_PER_CONVERSATION = 20
NOOP_CLIENTS = 2
ROUNDS = 3


class _Conversation:
    """The conversation some clients post to, replaced by a fresh one when it is full or handed off."""

    def __init__(self, client: aiohttp.ClientSession, capacity: int):
        self.client = client
        self.capacity = capacity
        self.chat: tuple[str, dict[str, str]] | None = None
        self.posted = 0
        self._lock = asyncio.Lock()

    async def current(self) -> tuple[str, dict[str, str]]:
        async with self._lock:
            if self.chat is None or self.posted >= self.capacity:
                self.chat = await _start_conversation(self.client)
                self.posted = 0
            self.posted += 1
            return self.chat

    def retire(self, conversation_id: str) -> None:
        if self.chat is not None and self.chat[0] == conversation_id:
            self.posted = self.capacity


async def _post_until(conversation: _Conversation, number: int, until: float) -> list[float]:
    latencies: list[float] = []
    sent = number
    while time.perf_counter() < until:
        cid, auth = await conversation.current()
        text = f"{MESSAGES[sent % len(MESSAGES)]} (ref {number}-{sent})"
        sent += 1
        t0 = time.perf_counter()
        async with conversation.client.post(
            f"/v1/conversations/{cid}/messages", json={"text": text}, headers=auth
        ) as r:
            body = await r.json()
        latencies.append((time.perf_counter() - t0) * 1000)
        if r.status != 201:
            raise RuntimeError(f"posting failed: {r.status} {body}")
        if body["state"]["status"] != "BOT":
            conversation.retire(cid)
    return latencies


async def _measure(url: str, clients: int, seconds: float, per_conversation: int) -> dict[str, dict[str, Any]]:
    def session(limit: int) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            url, connector=aiohttp.TCPConnector(limit=limit), timeout=aiohttp.ClientTimeout(total=60)
        )

    async with session(clients) as messages, session(NOOP_CLIENTS) as noops:
        one = _Conversation(messages, per_conversation)
        own = [_Conversation(messages, per_conversation) for _ in range(clients)]
        layouts = {
            "one_conversation": lambda until: [_post_until(one, i, until) for i in range(clients)],
            "own_conversations": lambda until: [_post_until(own[i], i, until) for i in range(clients)],
        }
        totals: dict[str, list[Any]] = {name: [0.0, [], []] for name in layouts}
        for start in layouts.values():  # warm up: connections, the model's caches
            await asyncio.gather(*start(time.perf_counter() + 1.0))
        for _ in range(ROUNDS):
            for name, start in layouts.items():
                until = time.perf_counter() + seconds / ROUNDS
                began = time.perf_counter()
                posted, probed = await asyncio.gather(
                    asyncio.gather(*start(until)),
                    asyncio.gather(*[_noop(noops, until) for _ in range(NOOP_CLIENTS)]),
                )
                totals[name][0] += time.perf_counter() - began
                totals[name][1] += [x for r in posted for x in r]
                totals[name][2] += [x for r in probed for x in r]
    return {
        name: {
            "messages": len(latencies),
            "throughput_rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p99_ms": round(percentile(latencies, 99), 1),
            "noop_p99_ms": round(percentile(noop, 99), 1),
        }
        for name, (elapsed, latencies, noop) in totals.items()
    }


def run_contention_bench(
    clients: int = 8,
    seconds: float = 12.0,
    database_url: str | None = None,
    model: str = "embedded",
    per_conversation: int = MESSAGES_PER_CONVERSATION,
) -> dict[str, Any]:
    """``clients`` posting to one conversation, then each to its own, on one server."""
    with served(database_url, model) as (url, url_db):
        measured = asyncio.run(_measure(url, clients, seconds, per_conversation))
    return {
        "clients": clients,
        "seconds": seconds,
        "database": url_db.split(":", 1)[0],
        "model": model,
        "messages_per_conversation": per_conversation,
        **measured,
    }
