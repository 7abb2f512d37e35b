"""The agent side through the API: queues, claim (exactly one winner), reply with draft usage,
transfer, resolve, hand back; every refusal with a stable code and no change."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from tests import builders
from tests.conftest import Chat, make_services, staff_token, start_chat
from warmline.app import create_app
from warmline.bot import BotDefaults, BotTurn
from warmline.conversation.events import BOT, BotMessage, Escalated, PayloadBuilt


class EscalatingBot(BotDefaults):
    """Hands over when asked for a person (with a payload holding a draft), answers otherwise."""

    teams = ("billing", "orders", "fraud", "triage")

    def respond(self, turn: BotTurn) -> None:
        if turn.state.status != "BOT":
            return
        text = turn.message.event.text  # type: ignore[attr-defined]
        if "person" not in text:
            turn.append(BOT, BotMessage(text="bot answer", in_reply_to=turn.message.seq))
            return
        payload = builders.payload(
            turn.state.id,
            summary="Customer asks for a person.",
            draft={"id": f"d{turn.message.seq}", "text": "Hi, I can help with that refund."},
        )
        turn.append(BOT, PayloadBuilt(payload=payload))
        notice = BotMessage(text="Connecting you with a person.", kind="handoff_notice", in_reply_to=turn.message.seq)
        turn.append(BOT, notice)
        turn.append(BOT, Escalated(team="billing", trigger="human_request", reason="asked for a person"))


@pytest.fixture
def desk(services):
    services.bot = EscalatingBot()
    with TestClient(create_app(services.settings, services=services)) as client:
        yield client


def escalate(client: TestClient) -> Chat:
    chat = start_chat(client)
    assert chat.say("a person please").json()["state"]["status"] == "WAITING_FOR_AGENT"
    return chat


def post(client: TestClient, path: str, auth: dict[str, str], body: dict | None = None):
    return client.post(path, json=body, headers=auth) if body is not None else client.post(path, headers=auth)


def test_the_full_agent_loop(desk) -> None:
    svc = desk.app.state.services
    agent = staff_token(svc, "agent", ["billing"])
    chat = escalate(desk)
    queues = desk.get("/v1/queues", headers=agent).json()["queues"]
    assert next(q for q in queues if q["team"] == "billing")["waiting"] == 1
    waiting = desk.get("/v1/queues/billing", headers=agent).json()["conversations"]
    assert [c["id"] for c in waiting] == [chat.id]
    base = f"/v1/conversations/{chat.id}"
    assert post(desk, f"{base}/claim", agent).json()["state"]["status"] == "WITH_AGENT"
    payload = desk.get(f"{base}/payload", headers=agent).json()["payload"]
    # The agent edits the draft slightly before sending it: draft usage is recorded.
    sent = post(
        desk,
        f"{base}/agent-messages",
        agent,
        {"text": "Hi, I can help with this refund.", "draft_id": payload["draft"]["id"]},
    )
    assert sent.status_code == 201
    body = sent.json()["events"][0]["body"]
    assert body["draft_id"] == payload["draft"]["id"] and 0 < body["draft_distance"] <= 0.2
    # While the agent holds the conversation the bot stays silent.
    assert [e["type"] for e in chat.say("thanks! order 123").json()["events"]] == ["customer_message"]
    assert post(desk, f"{base}/notes", agent, {"text": "refund issued"}).status_code == 201
    back = post(desk, f"{base}/handback", agent, {"note": "Refund issued for order 123; customer happy."})
    assert back.status_code == 200
    assert [e["type"] for e in back.json()["events"]] == ["handed_back", "bot_message"]
    assert back.json()["state"]["status"] == "BOT"
    # The customer sees one continuous conversation and the bot answers again.
    assert [e["type"] for e in chat.say("one more question").json()["events"]] == ["customer_message", "bot_message"]
    customer_view = desk.get(f"{base}/events", headers=chat.auth).json()["events"]
    assert "refund issued" not in str(customer_view).lower()  # notes and handback notes are internal
    assert any(e["type"] == "agent_message" and e["actor"] == "agent" for e in customer_view)


def test_contended_claims_have_exactly_one_winner(database_url) -> None:
    svc = make_services(database_url, bot=EscalatingBot())
    try:
        with TestClient(create_app(svc.settings, services=svc)) as client:
            chat = escalate(client)
            agents = [staff_token(svc, "agent", ["billing"]) for _ in range(8)]
            barrier = threading.Barrier(len(agents))

            def claim(auth: dict[str, str]) -> int:
                barrier.wait()
                return client.post(f"/v1/conversations/{chat.id}/claim", headers=auth).status_code

            with ThreadPoolExecutor(len(agents)) as pool:
                codes = list(pool.map(claim, agents))
            assert sorted(codes) == [200] + [409] * 7
            claims = [e for e in svc.store.load_events(chat.id) if e.type == "claimed"]
            assert len(claims) == 1
    finally:
        svc.close()


def test_claim_rules(desk) -> None:
    svc = desk.app.state.services
    chat = escalate(desk)
    orders_agent = staff_token(svc, "agent", ["orders"])
    response = post(desk, f"/v1/conversations/{chat.id}/claim", orders_agent)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "not_your_team")
    response = post(desk, f"/v1/conversations/{chat.id}/claim", chat.auth)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "wrong_role")
    response = post(desk, "/v1/conversations/cv_unknown/claim", staff_token(svc, "agent", ["billing"]))
    assert (response.status_code, response.json()["error"]["code"]) == (404, "conversation_not_found")
    bot_only = start_chat(desk)
    response = post(desk, f"/v1/conversations/{bot_only.id}/claim", staff_token(svc, "agent", ["billing"]))
    assert (response.status_code, response.json()["error"]["code"]) == (409, "illegal_transition")


def test_capacity_and_claim_next(desk) -> None:
    svc = desk.app.state.services
    from warmline.staffing import do_create_staff

    created = do_create_staff(svc.store, "Solo", "agent", ["billing"], capacity=1)
    agent = {"Authorization": f"Bearer {created['token']}"}
    first, second = escalate(desk), escalate(desk)
    took = post(desk, "/v1/queues/billing/next", agent)
    assert took.status_code == 200 and took.json()["events"][0]["conversation_id"] == first.id
    response = post(desk, f"/v1/conversations/{second.id}/claim", agent)
    assert (response.status_code, response.json()["error"]["code"]) == (409, "at_capacity")
    assert post(desk, "/v1/queues/orders/next", agent).json()["error"]["code"] == "not_your_team"
    other = staff_token(svc, "agent", ["billing"])
    assert post(desk, "/v1/queues/billing/next", other).status_code == 200
    assert post(desk, "/v1/queues/billing/next", other).status_code == 204


def test_only_the_holder_works_on_a_conversation(desk) -> None:
    svc = desk.app.state.services
    holder, other = staff_token(svc, "agent", ["billing"]), staff_token(svc, "agent", ["billing"])
    chat = escalate(desk)
    base = f"/v1/conversations/{chat.id}"
    post(desk, f"{base}/claim", holder)
    before = len(svc.store.load_events(chat.id))
    for path, body in [
        ("agent-messages", {"text": "hi"}),
        ("handback", {"note": "done"}),
        ("resolve", {}),
        ("release", {}),
        ("transfer", {"team": "orders", "reason": "wrong team"}),
    ]:
        response = post(desk, f"{base}/{path}", other, body)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "not_assigned"), path
    assert len(svc.store.load_events(chat.id)) == before


def test_transfer_release_resolve(desk) -> None:
    svc = desk.app.state.services
    billing, orders = staff_token(svc, "agent", ["billing"]), staff_token(svc, "agent", ["orders"])
    chat = escalate(desk)
    base = f"/v1/conversations/{chat.id}"
    post(desk, f"{base}/claim", billing)
    bad = post(desk, f"{base}/transfer", billing, {"team": "nowhere", "reason": "x"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "unknown_team")
    same = post(desk, f"{base}/transfer", billing, {"team": "billing", "reason": "x"})
    assert same.json()["error"]["code"] == "same_team"
    moved = post(desk, f"{base}/transfer", billing, {"team": "orders", "reason": "It is about a delivery"})
    assert moved.json()["state"]["status"] == "WAITING_FOR_AGENT" and moved.json()["state"]["team"] == "orders"
    assert moved.json()["state"]["transfers"] == 1
    post(desk, f"{base}/claim", orders)
    released = post(desk, f"{base}/release", orders, {"reason": "end of shift"})
    assert released.json()["state"]["status"] == "WAITING_FOR_AGENT"
    post(desk, f"{base}/claim", orders)
    closed = post(desk, f"{base}/resolve", orders, {})
    assert closed.json()["state"]["status"] == "CLOSED"
    assert post(desk, f"{base}/resolve", orders, {}).json()["error"]["code"] == "illegal_transition"


def test_bad_agent_input(desk) -> None:
    svc = desk.app.state.services
    agent = staff_token(svc, "agent", ["billing"])
    chat = escalate(desk)
    base = f"/v1/conversations/{chat.id}"
    post(desk, f"{base}/claim", agent)
    before = len(svc.store.load_events(chat.id))
    cases = [
        ("agent-messages", {"text": ""}, 422, "empty_message"),
        ("agent-messages", {"text": "hi", "draft_id": "nope"}, 422, "unknown_draft"),
        ("agent-messages", {"text": "x" * 9000}, 413, "message_too_large"),
        ("handback", {}, 422, "invalid_request"),
        ("handback", {"note": " "}, 422, "empty_message"),
        ("notes", {"text": "\x1b[31m"}, 422, "control_character"),
        ("transfer", {"team": "orders"}, 422, "invalid_request"),
    ]
    for path, body, status, code in cases:
        response = post(desk, f"{base}/{path}", agent, body)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), (path, response.text)
    assert len(svc.store.load_events(chat.id)) == before
    presence = desk.put("/v1/agents/me/presence", json={"presence": "dancing"}, headers=agent)
    assert presence.status_code == 422
    assert desk.put("/v1/agents/me/presence", json={"presence": "online"}, headers=agent).status_code == 200
    queues = desk.get("/v1/queues", headers=agent).json()["queues"]
    assert next(q for q in queues if q["team"] == "billing")["agents_online"] == 1
    assert (
        # A conversation the bot still owns is in no team: a lead may look, and finds no payload.
        desk.get(f"/v1/conversations/{start_chat(desk).id}/payload", headers=staff_token(svc, "lead", [])).json()[
            "error"
        ]["code"]
        == "no_payload"
    )


def test_staff_teams_must_be_teams_the_service_routes_to(desk) -> None:
    svc = desk.app.state.services
    admin = staff_token(svc, "admin")
    body = {"name": "Kim", "role": "agent", "teams": ["billing", "biling"]}
    refused = desk.post("/v1/staff", json=body, headers=admin)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "unknown_team" and error["details"]["teams"] == ["billing", "fraud", "orders", "triage"]
    kim = desk.post("/v1/staff", json={**body, "teams": ["billing"]}, headers=admin)
    assert kim.status_code == 201 and kim.json()["teams"] == ["billing"]
