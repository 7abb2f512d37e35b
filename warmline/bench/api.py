"""``warmline bench api``: the real server over loopback, driven by concurrent clients.

It measures posting customer messages (each answered by the configured bot in the same request)
and, in the same run against the same server, a no-op endpoint, so ``ratio`` shows how much of
the server's capacity the real work leaves.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(port: int, database_url: str, model: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "WARMLINE_DATABASE_URL": database_url, "WARMLINE_MODEL": model}
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


async def _start_conversation(client: aiohttp.ClientSession) -> tuple[str, dict[str, str]]:
    async with client.post("/v1/conversations", json={"channel": "bench"}) as response:
        data = await response.json()
    return data["conversation_id"], {"Authorization": f"Bearer {data['customer_token']}"}


async def _post_messages(client: aiohttp.ClientSession, until: float, worker: int) -> list[float]:
    latencies: list[float] = []
    cid, auth = await _start_conversation(client)
    n = worker
    while time.perf_counter() < until:
        text = f"{MESSAGES[n % len(MESSAGES)]} (ref {worker}-{n})"
        n += 1
        t0 = time.perf_counter()
        async with client.post(f"/v1/conversations/{cid}/messages", json={"text": text}, headers=auth) as response:
            body = await response.json()
        latencies.append((time.perf_counter() - t0) * 1000)
        if response.status != 201:
            raise RuntimeError(f"posting failed: {response.status} {body}")
        # A conversation handed to a person no longer gets bot answers: start a fresh one so
        # that every measured request includes the bot's work.
        if body["state"]["status"] != "BOT" or n % 20 == 0:
            cid, auth = await _start_conversation(client)
    return latencies


async def _noop(client: aiohttp.ClientSession, until: float) -> list[float]:
    latencies: list[float] = []
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        async with client.get("/v1/noop") as response:
            await response.read()
        latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


async def _phase(url: str, clients: int, seconds: float, noop: bool) -> tuple[float, list[float]]:
    # aiohttp rather than httpx here: its client costs far less CPU per request, so on a
    # 2-core machine the numbers describe the server and not the load generator.
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(url, connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as client:
        # Warm up connections and caches before timing.
        warm_until = time.perf_counter() + 1.0
        await asyncio.gather(
            *(_noop(client, warm_until) if noop else _post_messages(client, warm_until, i) for i in range(clients))
        )
        started = time.perf_counter()
        until = started + seconds
        tasks = [_noop(client, until) if noop else _post_messages(client, until, i) for i in range(clients)]
        results = await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    latencies = [x for r in results for x in r]
    return len(latencies) / elapsed, latencies


def run_api_bench(
    clients: int = 16, seconds: float = 10.0, database_url: str | None = None, model: str = "placeholder"
) -> dict[str, Any]:
    """``model`` is the bot the server runs: ``placeholder`` measures the service itself (storage,
    lifecycle, HTTP); ``embedded`` adds the model, policy and routing to every message."""
    with tempfile.TemporaryDirectory(prefix="warmline-bench-") as folder:
        url_db = database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = _start_server(port, url_db, model)
        try:
            _wait_ready(url, server)
            rps, latencies = asyncio.run(_phase(url, clients, seconds, noop=False))
            noop_rps, noop_latencies = asyncio.run(_phase(url, clients, seconds, noop=True))
        finally:
            server.terminate()
            server.wait(timeout=15)
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
