"""``warmline bench api``: the real server over loopback, driven by concurrent clients.

It measures posting customer messages (each answered by the configured bot in the same request)
and, in the same run against the same server, a no-op endpoint, so ``ratio`` shows how much of
the server's capacity the real work leaves. The two alternate in short slices, so that a shared
machine running faster or slower for a while moves both figures alike.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from warmline.bench.stats import percentile

MESSAGES = [
    "Hi, I want to check the status of my order please",
    "My promo code is not working at checkout",
    "How long does shipping usually take?",
    "I was charged twice for the same jacket",
    "Can I change the shipping address on my order?",
    "What is your return policy for sale items?",
    "The website keeps logging me out",
    "I'd like to update the email on my account",
]


ROUNDS = 5  # alternating slices of each kind


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(port: int, database_url: str, model: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "WARMLINE_DATABASE_URL": database_url, "WARMLINE_MODEL": model}
    # 16 clients on one address far exceed the default per-address limits: the limits still run
    # (their cost is in the figures), set high enough never to refuse.
    unlimited = "1000000/second"
    for name in ("IP", "TOKEN", "START"):
        env[f"WARMLINE_RATE_LIMIT_{name}"] = unlimited
    command = [sys.executable, "-m", "warmline", "serve", "--port", str(port), "--log-level", "warning"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_ready(url: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not become ready")


@contextmanager
def served(database_url: str | None, model: str) -> Iterator[tuple[str, str]]:
    """A ``warmline serve`` process on a free port, ready: ``(base url, database url)``; without a
    ``database_url`` on a throwaway SQLite file. Stopped (and the file removed) on exit."""
    with tempfile.TemporaryDirectory(prefix="warmline-bench-") as folder:
        url_db = database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = _start_server(port, url_db, model)
        try:
            _wait_ready(url, server)
            yield url, url_db
        finally:
            server.terminate()
            server.wait(timeout=15)


async def _start_conversation(client: aiohttp.ClientSession) -> tuple[str, dict[str, str]]:
    async with client.post("/v1/conversations", json={"channel": "bench"}) as response:
        data = await response.json()
    return data["conversation_id"], {"Authorization": f"Bearer {data['customer_token']}"}


class _Customer:
    """One concurrent client posting messages; its conversation carries over between rounds."""

    def __init__(self, client: aiohttp.ClientSession, number: int):
        self.client = client
        self.number = number
        self.sent = number
        self.chat: tuple[str, dict[str, str]] | None = None

    async def post_until(self, until: float) -> list[float]:
        latencies: list[float] = []
        if self.chat is None:
            self.chat = await _start_conversation(self.client)
        while time.perf_counter() < until:
            cid, auth = self.chat
            text = f"{MESSAGES[self.sent % len(MESSAGES)]} (ref {self.number}-{self.sent})"
            self.sent += 1
            t0 = time.perf_counter()
            async with self.client.post(f"/v1/conversations/{cid}/messages", json={"text": text}, headers=auth) as r:
                body = await r.json()
            latencies.append((time.perf_counter() - t0) * 1000)
            if r.status != 201:
                raise RuntimeError(f"posting failed: {r.status} {body}")
            # A conversation handed to a person no longer gets bot answers: start a fresh one so
            # that every measured request includes the bot's work.
            if body["state"]["status"] != "BOT" or self.sent % 20 == 0:
                self.chat = await _start_conversation(self.client)
        return latencies


async def _noop(client: aiohttp.ClientSession, until: float) -> list[float]:
    latencies: list[float] = []
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        async with client.get("/v1/noop") as response:
            await response.read()
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


async def _slice(workers: list[Coroutine[Any, Any, list[float]]]) -> tuple[float, list[float]]:
    started = time.perf_counter()
    results = await asyncio.gather(*workers)
    return time.perf_counter() - started, [x for r in results for x in r]


async def _measure(url: str, clients: int, seconds: float, rounds: int) -> dict[str, tuple[float, list[float]]]:
    """Messages and no-ops in alternating slices (``rounds`` of each, ``seconds`` in all per kind),
    so that a shared machine slowing down or speeding up affects both figures alike."""

    # aiohttp rather than httpx here: its client costs far less CPU per request, so on a
    # 2-core machine the numbers describe the server and not the load generator.
    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=clients)
        return aiohttp.ClientSession(url, connector=connector, timeout=aiohttp.ClientTimeout(total=30))

    async with session() as messages, session() as noops:
        customers = [_Customer(messages, i) for i in range(clients)]
        kinds = {
            "message": lambda until: [c.post_until(until) for c in customers],
            "noop": lambda until: [_noop(noops, until) for _ in range(clients)],
        }
        for start_workers in kinds.values():  # warm up connections and caches before timing
            await _slice(start_workers(time.perf_counter() + 0.5))
        measured: dict[str, tuple[float, list[float]]] = {kind: (0.0, []) for kind in kinds}
        for _ in range(rounds):
            for kind, start_workers in kinds.items():
                elapsed, latencies = await _slice(start_workers(time.perf_counter() + seconds / rounds))
                measured[kind] = (measured[kind][0] + elapsed, measured[kind][1] + latencies)
    return measured


def run_api_bench(
    clients: int = 16, seconds: float = 10.0, database_url: str | None = None, model: str = "placeholder"
) -> dict[str, Any]:
    """``model`` is the bot the server runs: ``placeholder`` measures the service itself (storage,
    lifecycle, HTTP); ``embedded`` adds the model, policy and routing to every message."""
    with served(database_url, model) as (url, url_db):
        measured = asyncio.run(_measure(url, clients, seconds, ROUNDS))
    elapsed, latencies = measured["message"]
    noop_elapsed, noop_latencies = measured["noop"]
    rps, noop_rps = len(latencies) / elapsed, len(noop_latencies) / noop_elapsed
    return {
        "clients": clients,
        "seconds": seconds,
        "database": url_db.split(":", 1)[0],
        "model": model,
        "requests": len(latencies),
        "throughput_rps": round(rps, 1),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "noop_throughput_rps": round(noop_rps, 1),
        "noop_p99_ms": round(percentile(noop_latencies, 99), 2),
        "ratio": round(rps / noop_rps, 3) if noop_rps else 0.0,
    }
