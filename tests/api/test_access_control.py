"""Who may do and read what, through the API: closing and notes are for the holder, the waiting
team or a lead; capacity holds under concurrent claims on every database."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from tests.api.test_agents import EscalatingBot, escalate, post
from tests.conftest import make_services, staff_token
from warmline.app import create_app
from warmline.staffing import do_create_staff


@pytest.fixture
def desk(services):
    services.bot = EscalatingBot()
    with TestClient(create_app(services.settings, services=services)) as client:
        yield client


def code(response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_only_the_holder_or_a_lead_closes_or_notes_a_held_conversation(desk) -> None:
    svc = desk.app.state.services
    holder = staff_token(svc, "agent", ["billing"])
    colleague = staff_token(svc, "agent", ["billing"])
    elsewhere = staff_token(svc, "agent", ["orders"])
    chat = escalate(desk)
    base = f"/v1/conversations/{chat.id}"
    assert post(desk, f"{base}/claim", holder).status_code == 200
    before = len(svc.store.load_events(chat.id))
    for auth in (colleague, elsewhere):
        assert code(post(desk, f"{base}/close", auth, {"reason": "spam"})) == (403, "not_assigned")
        assert code(post(desk, f"{base}/notes", auth, {"text": "mine now"})) == (403, "not_assigned")
    assert len(svc.store.load_events(chat.id)) == before
    assert post(desk, f"{base}/notes", holder, {"text": "checked the refund"}).status_code == 201
    lead = staff_token(svc, "lead", [])
    assert post(desk, f"{base}/notes", lead, {"text": "lead was here"}).status_code == 201
    assert post(desk, f"{base}/close", lead, {"reason": "duplicate"}).json()["state"]["status"] == "CLOSED"


def test_a_waiting_conversation_is_closed_only_by_its_team(desk) -> None:
    svc = desk.app.state.services
    chat = escalate(desk)  # waits in billing
    base = f"/v1/conversations/{chat.id}"
    elsewhere = staff_token(svc, "agent", ["orders"])
    assert code(post(desk, f"{base}/close", elsewhere, {"reason": "x"})) == (403, "not_your_team")
    assert code(post(desk, f"{base}/notes", elsewhere, {"text": "x"})) == (403, "not_your_team")
    # A conversation the bot still owns is not any agent's to close.
    bot_chat = escalate_not(desk)
    assert code(post(desk, f"/v1/conversations/{bot_chat}/close", elsewhere, {"reason": "x"})) == (
        403,
        "not_your_team",
    )
    team = staff_token(svc, "agent", ["billing"])
    assert post(desk, f"{base}/notes", team, {"text": "looking"}).status_code == 201
    assert post(desk, f"{base}/close", team, {"reason": "duplicate"}).status_code == 200


def escalate_not(client: TestClient) -> str:
    started = client.post("/v1/conversations", json={})
    return str(started.json()["conversation_id"])


def test_capacity_holds_under_concurrent_claims(database_url) -> None:
    """An agent with capacity 3 claiming 10 waiting conversations at once wins exactly 3."""
    svc = make_services(database_url, bot=EscalatingBot())
    try:
        with TestClient(create_app(svc.settings, services=svc)) as client:
            chats = [escalate(client) for _ in range(10)]
            created = do_create_staff(svc.store, "Busy", "agent", ["billing"], capacity=3)
            auth = {"Authorization": f"Bearer {created['token']}"}
            barrier = threading.Barrier(len(chats))

            def claim(conversation_id: str) -> int:
                barrier.wait()
                return client.post(f"/v1/conversations/{conversation_id}/claim", headers=auth).status_code

            with ThreadPoolExecutor(len(chats)) as pool:
                codes = list(pool.map(claim, [c.id for c in chats]))
            assert sorted(codes) == [200] * 3 + [409] * 7
            held = [c for c in chats if svc.store.load_state(c.id).agent_id == created["id"]]
            assert len(held) == 3
    finally:
        svc.close()


def test_agents_read_only_their_teams_and_what_they_held(desk) -> None:  # type: ignore[no-untyped-def]
    """A billing agent cannot read an orders conversation (events with notes, payload, stream) or
    the orders queue; the orders agent, a lead and the agent who once held it can."""
    svc = desk.app.state.services
    billing = staff_token(svc, "agent", ["billing"])
    orders = staff_token(svc, "agent", ["orders"])
    lead = staff_token(svc, "lead", [])
    chat = escalate(desk)  # waits in billing
    base = f"/v1/conversations/{chat.id}"
    assert post(desk, f"{base}/claim", billing).status_code == 200
    assert post(desk, f"{base}/notes", billing, {"text": "internal: refund approved"}).status_code == 201
    moved = post(desk, f"{base}/transfer", billing, {"team": "orders", "reason": "it is about a parcel"})
    assert moved.status_code == 200
    outsider = staff_token(svc, "agent", ["fraud"])
    for path in ("", "/events", "/payload", "/stream"):
        assert code(desk.get(f"{base}{path}", headers=outsider)) == (403, "not_your_team"), path
    assert code(desk.get("/v1/queues/orders", headers=outsider)) == (403, "not_your_team")
    assert code(desk.get("/v1/conversations", params={"team": "orders"}, headers=outsider)) == (403, "not_your_team")
    listed = desk.get("/v1/conversations", headers=outsider).json()["conversations"]
    assert chat.id not in [c["id"] for c in listed]
    for auth in (orders, lead, billing):  # its team now, a lead, and the agent who held it
        events = desk.get(f"{base}/events", headers=auth)
        assert events.status_code == 200
        assert "refund approved" in str(events.json())
        assert desk.get(f"{base}/payload", headers=auth).status_code == 200
    assert desk.get("/v1/queues/orders", headers=orders).status_code == 200
    assert chat.id in [c["id"] for c in desk.get("/v1/conversations", headers=orders).json()["conversations"]]
    # The overview of every queue (counts only) stays visible to all staff.
    assert desk.get("/v1/queues", headers=outsider).status_code == 200
