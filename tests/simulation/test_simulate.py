"""The simulator drives a live server end to end, and the metrics report reads what it did."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests import builders
from tests.conftest import make_services
from warmline.bot import BotDefaults, BotTurn
from warmline.conversation.actions import Services
from warmline.conversation.events import BOT, BotMessage, Escalated, PayloadBuilt
from warmline.conversation.state import Status
from warmline.metrics.report import report_from_store
from warmline.simulation.run import simulate

UNLIMITED = "1000000/second"


@pytest.fixture
def services(sqlite_url: str) -> Iterator[Services]:
    """A simulated day sends every customer and agent from one address, and the checks after it
    come from there too: rate limits are their own tests' subject, so they are set out of reach."""
    svc = make_services(sqlite_url, rate_limit_ip=UNLIMITED, rate_limit_token=UNLIMITED, rate_limit_start=UNLIMITED)
    yield svc
    svc.close()


class PayloadBot(BotDefaults):
    """Stands in for the model pipeline: hands off when asked for a person; a warm payload keeps
    every phrase the customer typed as a key fact, a cold one only the transcript."""

    teams = ("billing", "triage")

    def __init__(self) -> None:
        self.cohorts = random.Random(3)

    def respond(self, turn: BotTurn) -> None:
        if turn.state.status != Status.BOT:
            return
        text = turn.message.event.text  # type: ignore[attr-defined]
        if not re.search(r"person|human|agent", text, re.IGNORECASE):
            turn.append(BOT, BotMessage(text="Let me look into that.", in_reply_to=turn.message.seq))
            return
        cohort = "cold" if self.cohorts.random() < 0.5 else "warm"
        said = [r for r in turn.history() if r.type == "customer_message"]
        facts = []
        for record in said:
            words = record.event.text.split()  # type: ignore[attr-defined]
            for size in range(1, 5):
                for i in range(len(words) - size + 1):
                    facts.append(
                        {"kind": "text", "value": " ".join(words[i : i + size]).strip(".,!?"), "source_seq": record.seq}
                    )
        transcript = [
            {"seq": r.seq, "speaker": "customer", "author": r.actor, "text": r.event.text, "at": r.at}  # type: ignore[attr-defined]
            for r in said
        ]
        payload: dict[str, Any] = {"transcript": transcript}
        if cohort == "warm":
            payload.update(
                key_facts=facts,
                draft={
                    "id": f"d{turn.message.seq}",
                    "text": "Thanks for waiting. I can see everything you told the assistant; I am on it now.",
                },
                summary="...",
            )
        turn.append(BOT, PayloadBuilt(payload=builders.payload(turn.state.id, cohort=cohort, **payload)))
        turn.append(
            BOT, BotMessage(text="Connecting you with a person.", kind="handoff_notice", in_reply_to=turn.message.seq)
        )
        turn.append(BOT, Escalated(team="billing", trigger="human_request", reason="asked", cohort=cohort))


def test_a_simulated_day_settles_every_conversation_and_shows_the_warm_payload_helping(
    live_server, monkeypatch
) -> None:
    svc = live_server.services
    monkeypatch.setenv("WARMLINE_DATABASE_URL", svc.settings.database_url)
    svc.bot = PayloadBot()
    ledger = asyncio.run(simulate(live_server.url, conversations=30, agents=3, seed=5, time_scale=0.0))
    assert ledger.errors == []
    assert ledger.started == 30 and ledger.escalated > 10
    assert ledger.handled == ledger.escalated
    report = report_from_store(svc.store)
    warm, cold = report["cohorts"]["warm"], report["cohorts"]["cold"]
    assert warm["handoffs"] + cold["handoffs"] == ledger.escalated
    assert warm["draft_usage_rate"] is not None and warm["draft_usage_rate"] > 0.5
    assert cold["draft_usage_rate"] is None  # cold payloads show no draft
    # Cold agents had to ask again for what the customer had said; warm agents did not.
    asked_again = [
        r
        for cid in ledger.scenario_of
        for r in svc.store.load_events(cid)
        if r.type == "agent_message" and "?" in r.event.text
    ]
    assert ledger.reasks == len(asked_again) > 0
    assert all(svc.store.load_state(cid).status in (Status.CLOSED, Status.BOT) for cid in ledger.scenario_of)


def test_the_dashboard_series_after_a_simulation(live_server, monkeypatch) -> None:
    import httpx

    from tests.conftest import staff_token

    svc = live_server.services
    svc.bot = PayloadBot()
    monkeypatch.setenv("WARMLINE_DATABASE_URL", svc.settings.database_url)
    asyncio.run(simulate(live_server.url, conversations=12, agents=2, seed=9, time_scale=0.0))
    lead = staff_token(svc, "lead")
    series = httpx.get(f"{live_server.url}/v1/metrics/series?bucket=minute", headers=lead).json()
    assert series["points"] and {"warm", "cold", "handle_time_reduction"} <= set(series["points"][0])
    assert series["targets"]["repeat_context_rate"] == {"max": 0.05}
    agent = staff_token(svc, "agent")
    assert httpx.get(f"{live_server.url}/v1/metrics/series", headers=agent).status_code == 403
    page = httpx.get(f"{live_server.url}/lead/metrics")
    assert page.status_code == 200 and "/web/metrics-dashboard.js" in page.text
    assert "Repeat-context rate" in httpx.get(f"{live_server.url}/web/metrics-dashboard.js").text
