"""What the bot did in the store's systems, in one clause for the agent's summary (the payload's
summary and next action are tested through the HTTP API in tests/shop/test_dialogue.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from warmline.conversation.events import EventRecord, IdentityVerified, StoreAction, StoreLookedUp
from warmline.handoff.store_work import store_work


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
