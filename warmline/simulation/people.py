"""Simulated customers and agents.

Customers replay ABCD conversations (their own words up to the handoff point), sometimes get
frustrated or ask for a person, and answer agents' questions with their record's values.
Agents claim the most urgent conversation, read the payload, ask again for any fact they need
that the payload does not hold (they never look at the cohort), send or edit the draft, and
resolve or hand back. Their handle time grows with every re-ask.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

SCENARIOS = Path(__file__).parent / "scenarios.jsonl"
FRUSTRATED = [
    "This is ridiculous, I already told you all of this!",
    "Why is this so hard?? I've explained it twice already.",
    "STILL not solved. Honestly I'm getting really annoyed.",
]
HUMAN = ["Can I please talk to a real person?", "I want to speak to a human agent", "agent please"]
ASK = {
    "name": "Could I have your full name, please?",
    "username": "Could you give me your username?",
    "email": "What is your email address?",
    "phone": "Could you confirm your phone number?",
    "order_id": "Could you give me your order ID?",
    "zip_code": "What is your zip code?",
    "address": "Could you confirm your street address?",
}


@dataclass(frozen=True)
class Scenario:
    id: str
    flow: str
    subflow: str
    customer_name: str | None
    turns: list[str]
    record: dict[str, str]

    def stated(self, sent: list[str] | None = None) -> dict[str, str]:
        """The record's facts the customer typed before the handoff (``sent``: the turns the
        customer got to send before the bot handed over): what an agent needs."""
        typed = " ".join(self.turns if sent is None else sent).lower()
        digits = re.sub(r"\D", "", typed)
        found = {}
        for kind, value in self.record.items():
            probe = re.sub(r"\D", "", value) if kind == "phone" else value.lower()
            if probe and (probe in digits if kind == "phone" else probe in typed):
                found[kind] = value
        return found


def load_scenarios() -> list[Scenario]:
    return [Scenario(**json.loads(line)) for line in SCENARIOS.read_text().splitlines() if line.strip()]


def normalise(value: str) -> str:
    return re.sub(r"[\W_]+", "", value.lower())


def shown(value: str, key_facts: list[str]) -> bool:
    """The payload shows ``value`` when a key fact holds it, also as part of a longer one (the
    street inside a full address, a name typed with one letter more)."""
    wanted = normalise(value)
    return any(wanted and wanted in fact for fact in key_facts)


@dataclass
class Ledger:
    """What happened, for the closing summary (the metrics come from the service)."""

    started: int = 0
    escalated: int = 0
    bot_resolved: int = 0
    reasks: int = 0
    handled: int = 0
    transferred: int = 0
    errors: list[str] = field(default_factory=list)
    scenario_of: dict[str, Scenario] = field(default_factory=dict)
    token_of: dict[str, str] = field(default_factory=dict)
    sent_of: dict[str, list[str]] = field(default_factory=dict)
    team_map: dict[str, str] = field(default_factory=dict)  # "flow/subflow" -> owning team

    def owner_of(self, scenario: Scenario | None) -> str | None:
        """The team that owns the scenario's true intent (ABCD FAQ variants map by prefix)."""
        if scenario is None:
            return None
        subflow = scenario.subflow
        if scenario.flow in ("single_item_query", "storewide_query"):
            subflow = subflow.split("_", 1)[0]
        return self.team_map.get(f"{scenario.flow}/{subflow}")


class Customer:
    def __init__(self, client: httpx.AsyncClient, scenario: Scenario, rng: random.Random, ledger: Ledger):
        self.client, self.scenario, self.rng, self.ledger = client, scenario, rng, ledger
        self.id = ""
        self.auth: dict[str, str] = {}

    async def say(self, text: str) -> dict[str, Any]:
        self.ledger.sent_of.setdefault(self.id, []).append(text)
        response = await self.client.post(
            f"/v1/conversations/{self.id}/messages", json={"text": text}, headers=self.auth
        )
        if response.status_code != 201:
            raise RuntimeError(f"customer message refused: {response.status_code} {response.text[:200]}")
        return response.json()

    async def run(self) -> None:
        started = await self.client.post(
            "/v1/conversations", json={"customer_name": self.scenario.customer_name, "channel": "simulator"}
        )
        data = started.json()
        self.id, self.auth = data["conversation_id"], {"Authorization": f"Bearer {data['customer_token']}"}
        self.ledger.started += 1
        self.ledger.scenario_of[self.id] = self.scenario
        self.ledger.token_of[self.id] = data["customer_token"]
        status = "BOT"
        for n, text in enumerate(self.scenario.turns):
            status = (await self.say(text))["state"]["status"]
            if status != "BOT":
                break
            if n == 1 and self.rng.random() < 0.15:
                status = (await self.say(self.rng.choice(FRUSTRATED)))["state"]["status"]
                if status != "BOT":
                    break
        if status == "BOT":
            if self.rng.random() < 0.25:  # the bot's answers were enough
                await self.client.post(
                    f"/v1/conversations/{self.id}/close", json={"reason": "customer done"}, headers=self.auth
                )
                await self.client.post(
                    f"/v1/conversations/{self.id}/survey", json={"score": self.rng.choice([4, 5, 5])}, headers=self.auth
                )
                self.ledger.bot_resolved += 1
                return
            status = (await self.say(self.rng.choice(HUMAN)))["state"]["status"]
        if status != "BOT":
            self.ledger.escalated += 1


class Agent:
    def __init__(self, client: httpx.AsyncClient, token: str, rng: random.Random, ledger: Ledger, time_scale: float):
        self.client, self.rng, self.ledger, self.time_scale = client, rng, ledger, time_scale
        self.auth = {"Authorization": f"Bearer {token}"}

    async def work(self, stop: asyncio.Event) -> None:
        await self.client.put("/v1/agents/me/presence", json={"presence": "online"}, headers=self.auth)
        while not stop.is_set():
            claimed = await self.claim_next()
            if claimed is None:
                await asyncio.sleep(0.05)
                continue
            try:
                await self.handle(claimed)
            except Exception as exc:  # one conversation going wrong must not stop the agent
                self.ledger.errors.append(f"{claimed}: {exc}")

    async def claim_next(self) -> str | None:
        queues = (await self.client.get("/v1/queues", headers=self.auth)).json().get("queues", [])
        for queue in sorted(queues, key=lambda q: -q["waiting"]):
            if queue["waiting"] == 0:
                continue
            response = await self.client.post(f"/v1/queues/{queue['team']}/next", headers=self.auth)
            if response.status_code == 200:
                return response.json()["state"]["id"]
        return None

    async def pause(self, simulated_seconds: float) -> None:
        await asyncio.sleep(simulated_seconds * self.time_scale)

    async def handle(self, conversation_id: str) -> None:
        base = f"/v1/conversations/{conversation_id}"
        payload = (await self.client.get(f"{base}/payload", headers=self.auth)).json().get("payload", {})
        await self.pause(20)  # reading the payload
        scenario = self.ledger.scenario_of.get(conversation_id)
        owner = self.ledger.owner_of(scenario)
        queued = (payload.get("routing") or {}).get("team")
        if owner and queued and owner != queued:
            # Read from the customer's words, as an agent would: this is another team's issue.
            moved = await self.client.post(
                f"{base}/transfer", json={"team": owner, "reason": f"this is a {owner} issue"}, headers=self.auth
            )
            if moved.status_code == 200:
                self.ledger.transferred += 1
                return
            # The service knows no such team: the agent keeps the conversation and handles it.
        known = [normalise(str(f.get("value", ""))) for f in payload.get("key_facts") or []]
        needed = scenario.stated(self.ledger.sent_of.get(conversation_id)) if scenario else {}
        customer_auth = {"Authorization": f"Bearer {self.ledger.token_of.get(conversation_id, '')}"}
        for kind, value in needed.items():
            if shown(value, known) or kind not in ASK:
                continue
            self.ledger.reasks += 1
            await self.client.post(f"{base}/agent-messages", json={"text": ASK[kind]}, headers=self.auth)
            await self.pause(45)  # waiting for and reading the answer
            await self.client.post(f"{base}/messages", json={"text": f"It's {value}"}, headers=customer_auth)
        draft = payload.get("draft") or {}
        if draft.get("text") and self.rng.random() < 0.85:
            text = draft["text"] if self.rng.random() < 0.7 else draft["text"] + " Thanks!"
            await self.client.post(
                f"{base}/agent-messages", json={"text": text, "draft_id": draft.get("id")}, headers=self.auth
            )
            await self.pause(15)
        else:
            await self.pause(60)  # writing a reply from scratch
            await self.client.post(
                f"{base}/agent-messages",
                json={"text": "Thanks, I have what I need and I'm taking care of it now."},
                headers=self.auth,
            )
        await self.pause(90 + self.rng.uniform(0, 60))  # doing the work in the back office
        if self.rng.random() < 0.6:
            await self.client.post(f"{base}/resolve", json={}, headers=self.auth)
            reasked = sum(1 for k, v in needed.items() if not shown(v, known))
            score = max(1, min(5, 5 - reasked + self.rng.choice([-1, 0, 0, 1])))
            await self.client.post(f"{base}/survey", json={"score": score}, headers=customer_auth)
        else:
            await self.client.post(
                f"{base}/handback",
                json={"note": "Done on my side; the assistant can take any follow-up."},
                headers=self.auth,
            )
        self.ledger.handled += 1
