"""What the bot did in the store's systems reaches the agent's one glance: the summary says whom it
verified and what it looked up, and the next action does not send the agent to verify again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.conftest import staff_token, start_chat
from tests.pipeline.test_pipeline import model_services
from warmline.app import create_app
from warmline.conversation.actions import Services
from warmline.conversation.events import EventRecord, IdentityVerified, StoreAction, StoreLookedUp
from warmline.handoff.store_work import store_work


@pytest.fixture
def svc(sqlite_url: str) -> Iterator[Services]:
    services = model_services(sqlite_url)
    yield services
    services.close()


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as test_client:
        yield test_client


def test_the_summary_and_next_action_read_the_bots_lookup(client: TestClient, svc: Services) -> None:
    chat = start_chat(client)
    chat.say("where is my order? I'm Maya Thompson, maya.thompson@example.com")
    chat.say("I'd rather talk to a person about it")
    headers = staff_token(svc, "lead", ["orders"])
    payload = client.get(f"/v1/conversations/{chat.id}/payload", headers=headers).json()["payload"]
    assert "verified the customer by name and email, looked up order AB40317" in payload["summary"]
    assert len(payload["summary"].split()) <= 80
    action = payload["next_action"]
    assert {"pull-up-account", "verify-identity", "validate-purchase"} <= set(action["steps_done"])
    assert action["step"] not in ("pull-up-account", "verify-identity", "validate-purchase")
    assert "ask for" not in action["action"]


def record(seq: int, body: IdentityVerified | StoreLookedUp | StoreAction) -> EventRecord:
    return EventRecord(seq=seq, conversation_id="cv_1", actor="bot", event=body, at=datetime(2026, 12, 1, tzinfo=UTC))


def test_an_action_is_described_by_its_latest_state() -> None:
    history = [
        record(1, IdentityVerified(customer_id="cu_1", by=["name", "order_id"])),
        record(2, StoreLookedUp(customer_id="cu_1", topic="start_return", order_id="AB1")),
        record(3, StoreAction(action="start_return", status="proposed", customer_id="cu_1", order_id="AB1")),
        record(4, StoreAction(action="start_return", status="done", customer_id="cu_1", order_id="AB1")),
        record(5, StoreLookedUp(customer_id="cu_1", topic="store_credit")),
    ]
    work = store_work(history)
    assert work.verified and work.orders == ("AB1",)
    assert work.describe() == (
        "verified the customer by name and order id, looked up order AB1, their store credit, "
        "a return of order AB1: done"
    )
    assert store_work([]).describe() == ""
