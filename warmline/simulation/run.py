"""Runs customers and agents against the service until every conversation is settled."""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable

import httpx

from warmline.packs import load_pack
from warmline.simulation.pacing import RetryAfterTransport
from warmline.simulation.people import Agent, Customer, Ledger, load_scenarios


class SimulationError(Exception):
    """The simulation cannot run against this service as configured."""


# Simulated agents work every queue of the demo pack (and triage).
TEAMS = ["account", "billing", "fraud", "general", "orders", "retention", "technical", "triage"]


def agent_tokens(client: httpx.Client, count: int, teams: list[str]) -> list[str]:
    """Agent tokens: through the API with an admin token in WARMLINE_TOKEN, or else created in
    the configured database (the simulator runs beside a local service)."""
    admin = os.environ.get("WARMLINE_TOKEN", "")
    tokens = []
    for n in range(count):
        name = f"Simulated agent {n + 1}"
        body = {"name": name, "role": "agent", "teams": teams, "capacity": 3}
        if admin:
            response = client.post("/v1/staff", json=body, headers={"Authorization": f"Bearer {admin}"})
            response.raise_for_status()
            tokens.append(response.json()["token"])
        else:
            from warmline.config import load_settings
            from warmline.staffing import do_create_staff
            from warmline.storage.sql.engine import make_engine, migrate
            from warmline.storage.sql.store import SqlStore

            engine = make_engine(load_settings().database_url)
            migrate(engine)
            tokens.append(do_create_staff(SqlStore(engine), name, "agent", teams, 3)["token"])
            engine.dispose()
    return tokens


async def simulate(
    url: str,
    conversations: int,
    agents: int,
    seed: int,
    time_scale: float,
    progress: Callable[[int], None] | None = None,
) -> Ledger:
    rng = random.Random(seed)
    scenarios = load_scenarios()
    # The simulated agents know which team owns each issue, as real ones learn to: the demo
    # pack's map of ABCD subflows to teams.
    ledger = Ledger(team_map=dict(load_pack("demo").team_map))
    with httpx.Client(base_url=url, timeout=30) as sync_client:
        teams = (
            sorted(
                {
                    q["team"]
                    for q in sync_client.get(
                        "/v1/queues", headers={"Authorization": f"Bearer {os.environ.get('WARMLINE_TOKEN', '')}"}
                    )
                    .json()
                    .get("queues", [])
                }
            )
            if os.environ.get("WARMLINE_TOKEN")
            else []
        )
        tokens = agent_tokens(
            sync_client,
            agents,
            teams or ["account", "billing", "fraud", "general", "orders", "retention", "technical", "triage"],
        )
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    transport = RetryAfterTransport(httpx.AsyncHTTPTransport(limits=limits))
    async with httpx.AsyncClient(base_url=url, timeout=60, transport=transport) as client:
        stop = asyncio.Event()
        workers = [
            asyncio.create_task(Agent(client, t, random.Random(rng.random()), ledger, time_scale).work(stop))
            for t in tokens
        ]
        gate = asyncio.Semaphore(12)

        async def one(n: int) -> None:
            async with gate:
                try:
                    await Customer(client, scenarios[n % len(scenarios)], random.Random(rng.random()), ledger).run()
                except Exception as exc:
                    ledger.errors.append(str(exc))
                if progress is not None:
                    progress(1)

        await asyncio.gather(*(one(n) for n in range(conversations)))
        # Let the agents work through what is still waiting.
        while True:
            queues = (await client.get("/v1/queues", headers={"Authorization": f"Bearer {tokens[0]}"})).json()["queues"]
            held = ledger.escalated - ledger.handled
            if not any(q["waiting"] for q in queues) and held <= 0:
                break
            await asyncio.sleep(0.2)
            if ledger.errors and len(ledger.errors) > conversations:
                break
        stop.set()
        await asyncio.gather(*workers, return_exceptions=True)
    return ledger
