"""The product's bot end to end through the HTTP API, with the embedded model, the demo pack's
policy, routing and payload: escalation stores the payload before the queue sees the
conversation, the bot stays silent while a person has it, and resumes with everything after a
handback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import jsonschema
import pytest
from fastapi.testclient import TestClient

from tests.conftest import Chat, start_chat
from warmline.app import build_services, create_app
from warmline.bot.model_bot import ModelBot
from warmline.bus.memory import MemoryBus
from warmline.config import Settings
from warmline.conversation.actions import Services
from warmline.conversation.events import TurnAnalysed
from warmline.packs.demo_data import load_demo_data
from warmline.staffing import do_create_staff

ACCOUNT = "acct_1001"


def model_services(url: str, **settings: object) -> Services:
    options = {"cold_transfer_share": 0.0, **settings}
    config = Settings(database_url=url, environment="test", **options)  # type: ignore[arg-type]
    svc = build_services(config, bus=MemoryBus())
    assert isinstance(svc.bot, ModelBot)
    load_demo_data(svc)
    return svc


@pytest.fixture
def svc(database_url: str) -> Iterator[Services]:
    services = model_services(database_url)
    yield services
    services.close()


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as test_client:
        yield test_client


def agent(svc: Services, teams: list[str]) -> dict[str, str]:
    created = do_create_staff(svc.store, "Ann", "agent", teams)
    svc.store.set_presence(created["id"], "online")
    return {"Authorization": f"Bearer {created['token']}"}


def events(chat: Chat, headers: dict[str, str]) -> list[dict]:
    response = chat.client.get(f"/v1/conversations/{chat.id}/events", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["events"]


def escalate(client: TestClient) -> Chat:
    chat = start_chat(client, customer_name="Joseph Banter", account_id=_account(client))
    assert chat.say("I want to return a shirt, it is too small. My order id is 8812345678").status_code == 201
    assert chat.say("can I talk to a real person please").status_code == 201
    return chat


def _account(client: TestClient) -> str:
    svc: Services = client.app.state.services  # type: ignore[attr-defined]
    return next(iter(svc.bot.pack.accounts))  # type: ignore[attr-defined]


def test_human_request_escalates_with_the_payload_stored_before_the_queue_sees_it(
    client: TestClient, svc: Services
) -> None:
    staff = agent(svc, ["orders", "billing", "triage"])
    chat = escalate(client)
    log = events(chat, staff)
    types = [e["type"] for e in log]
    tail = types[types.index("policy_decided", types.index("customer_message", 5)) :]
    assert tail == ["policy_decided", "routed", "payload_built", "bot_message", "escalated"]
    decision = next(e for e in reversed(log) if e["type"] == "policy_decided")["body"]["decision"]
    assert decision["outcome"] == "escalate" and decision["rule"] == "human_request"
    assert decision["policy_version"].startswith("sha256:") and decision["inputs"]["analysis"]["human_request"] >= 0.5

    team = next(e for e in log if e["type"] == "escalated")["body"]["team"]
    queue = client.get(f"/v1/queues/{team}", headers=staff).json()
    assert chat.id in str(queue)

    payload = client.get(f"/v1/conversations/{chat.id}/payload", headers=staff).json()["payload"]
    jsonschema.validate(payload, client.get("/v1/schemas/handoff-payload").json())
    assert len(payload["summary"].split()) <= 80
    said = {e["seq"]: e["body"]["text"] for e in log if e["type"] == "customer_message"}
    order = [f for f in payload["key_facts"] if f["kind"] == "order_id"]
    assert order and order[0]["value"] == "8812345678" and "8812345678" in said[order[0]["source_seq"]]
    assert payload["draft"]["text"] and payload["next_action"]["action"]
    assert payload["routing"]["team"] == team

    # The customer is told what happens next and never sees the internal events.
    visible = [e["type"] for e in events(chat, chat.auth)]
    assert "payload_built" not in visible and "policy_decided" not in visible
    notice = [e for e in log if e["type"] == "bot_message" and e["body"]["kind"] == "handoff_notice"]
    assert notice and "team" in notice[-1]["body"]["text"]


def test_bot_is_silent_while_waiting_and_keeps_the_payload_current(client: TestClient, svc: Services) -> None:
    staff = agent(svc, ["orders", "billing", "triage"])
    chat = escalate(client)
    before = len([e for e in events(chat, staff) if e["type"] == "bot_message"])
    assert chat.say("also my email is joseph.banter@example.com").status_code == 201
    log = events(chat, staff)
    assert len([e for e in log if e["type"] == "bot_message"]) == before  # no double replies
    payload = client.get(f"/v1/conversations/{chat.id}/payload", headers=staff).json()["payload"]
    assert "joseph.banter@example.com" in [f["value"] for f in payload["key_facts"]]


def test_after_a_handback_the_bot_does_not_ask_again_for_what_the_agent_was_given(
    client: TestClient, svc: Services
) -> None:
    staff = agent(svc, ["orders", "billing", "triage"])
    chat = start_chat(client)
    chat.say("I want to return a shirt that is too small")
    chat.say("agent please")
    assert client.post(f"/v1/conversations/{chat.id}/claim", headers=staff).status_code == 200
    chat.say("I'm Joseph Banter, username jbanter21, order 8812345678")
    client.post(f"/v1/conversations/{chat.id}/agent-messages", json={"text": "Thanks Joseph, verified."}, headers=staff)
    handback = client.post(
        f"/v1/conversations/{chat.id}/handback", json={"note": "identity verified; wants a return label"}, headers=staff
    )
    assert handback.status_code == 200, handback.text
    assert chat.say("so how do I return the shirt that doesn't fit?").status_code == 201
    replies = [e for e in events(chat, chat.auth) if e["type"] == "bot_message"]
    assert replies[-2]["body"]["kind"] == "resume"
    last = replies[-1]["body"]["text"]
    assert "full name" not in last and "username" not in last and "order ID" not in last


def test_a_transfer_reroutes_and_rebuilds_the_payload_for_the_new_team(client: TestClient, svc: Services) -> None:
    staff = agent(svc, ["orders", "billing", "triage", "retention"])
    chat = escalate(client)
    assert client.post(f"/v1/conversations/{chat.id}/claim", headers=staff).status_code == 200
    moved = client.post(
        f"/v1/conversations/{chat.id}/transfer", json={"team": "billing", "reason": "it is a refund"}, headers=staff
    )
    assert moved.status_code == 200, moved.text
    payload = client.get(f"/v1/conversations/{chat.id}/payload", headers=staff).json()["payload"]
    assert payload["routing"]["team"] == "billing" and payload["routing"]["rule"] == "transfer.team_hint"


def test_the_cold_cohort_gets_only_the_transcript_and_the_name(sqlite_url: str) -> None:
    svc = model_services(sqlite_url, cold_transfer_share=1.0)
    try:
        staff = agent(svc, ["orders", "billing", "triage"])
        with TestClient(create_app(svc.settings, services=svc)) as client:
            chat = escalate(client)
            escalated = [e for e in events(chat, staff) if e["type"] == "escalated"][-1]
            assert escalated["body"]["cohort"] == "cold"
            payload = client.get(f"/v1/conversations/{chat.id}/payload", headers=staff).json()["payload"]
            assert payload["cohort"] == "cold" and payload["transcript"]
            assert not payload.get("draft") and not payload.get("key_facts") and not payload.get("next_action")
    finally:
        svc.close()


def test_an_analysis_prepared_before_the_lock_is_placed_where_the_message_lands(svc: Services) -> None:
    from warmline.conversation import actions

    cid = actions.do_start_conversation(svc).conversation_id
    early = actions.prepare_customer_message(svc, cid, "where is my order?")
    assert early is not None
    actions.do_post_customer_message(svc, cid, "hello there")  # the customer's other tab, meanwhile
    outcome = actions.do_post_customer_message(svc, cid, "where is my order?", None, early)
    message = next(r for r in outcome.events if r.type == "customer_message")
    analysed = next(r for r in outcome.events if r.type == "turn_analysed")
    assert isinstance(analysed.event, TurnAnalysed)
    assert message.seq > early.after_seq + 1 and analysed.event.message_seq == message.seq
    assert analysed.event.analysis.flow == early.analysis.flow  # kept, not redone (see PreparedTurn)

    fresh = actions.prepare_customer_message(svc, cid, "it is order 8812345678")
    outcome = actions.do_post_customer_message(svc, cid, "it is order 8812345678", None, fresh)
    analysed = next(r for r in outcome.events if r.type == "turn_analysed")
    assert isinstance(analysed.event, TurnAnalysed)
    assert analysed.event.analysis == fresh.analysis  # type: ignore[union-attr]
    assert actions.prepare_customer_message(svc, "cv_unknown", "hi") is None


def test_the_payload_keeps_a_promo_code_and_when_and_how_it_arrived(client: TestClient, svc: Services) -> None:
    staff = agent(svc, ["billing", "orders", "triage"])
    chat = start_chat(client, customer_name="Dana Reyes")
    assert chat.say("my promo code SAVE20 says invalid at checkout").status_code == 201
    assert chat.say("I got it in an email 3 days ago").status_code == 201
    assert chat.say("can I talk to a human").status_code == 201
    log = events(chat, staff)
    said = {e["seq"]: (e["body"]["text"], e["at"]) for e in log if e["type"] == "customer_message"}
    payload = client.get(f"/v1/conversations/{chat.id}/payload", headers=staff).json()["payload"]
    facts = {f["kind"]: f for f in payload["key_facts"]}
    assert facts["promo_code"]["value"] == "SAVE20" and "SAVE20" in said[facts["promo_code"]["source_seq"]][0]
    assert facts["received_via"]["value"] == "email"
    date = facts["date"]
    text, at = said[date["source_seq"]]
    assert date["value"] == "3 days ago" and date["value"] in text
    sent = datetime.fromisoformat(at)
    assert date["resolved"] == (sent - timedelta(days=3)).date().isoformat()
    assert payload["intent"]["subflow"] == "promo_code_invalid"  # the request, not the last turn's "human"
    assert payload["routing"]["team"] == "billing"
    assert "SAVE20" in payload["summary"]


def test_a_name_and_a_zip_code_given_in_later_turns_reach_the_payload(client: TestClient, svc: Services) -> None:
    staff = agent(svc, ["billing", "orders", "triage"])
    chat = start_chat(client)
    assert chat.say("my package says delivered but it never showed up").status_code == 201
    assert chat.say("Hola, soy Lucía Fernández-Ortiz").status_code == 201
    assert chat.say("my zip code is 60614, and my gift card AGC-1234-5678-9012 paid for it").status_code == 201
    assert chat.say("can I talk to a human").status_code == 201
    said = {e["seq"]: e["body"]["text"] for e in events(chat, staff) if e["type"] == "customer_message"}
    payload = client.get(f"/v1/conversations/{chat.id}/payload", headers=staff).json()["payload"]
    facts = {f["kind"]: f for f in payload["key_facts"]}
    assert facts["name"]["value"] == "Lucía Fernández-Ortiz"
    assert facts["zip_code"]["value"] == "60614" and facts["gift_card"]["value"] == "AGC-1234-5678-9012"
    assert all(f["value"] in said[f["source_seq"]] for f in payload["key_facts"])  # each cites its turn
    assert payload["intent"]["subflow"] == "missing" and payload["routing"]["team"] == "orders"


def test_a_new_need_after_the_bot_answered_replaces_the_answered_one(client: TestClient, svc: Services) -> None:
    # No "also" or "another question": the help-center answer served the first need, so the order
    # question is what the agent gets and what routes the conversation.
    staff = agent(svc, ["general", "orders", "triage"])
    chat = start_chat(client)
    assert chat.say("hi! how long do I have to return something?").status_code == 201
    customer = {"Authorization": f"Bearer {chat.token}"}
    answer = [e for e in events(chat, customer) if e["type"] == "bot_message"][-1]["body"]
    assert "30 days" in answer["text"], answer
    assert chat.say("where is my order? it should have been here last week").status_code == 201
    assert chat.say("can I talk to a human").status_code == 201
    payload = client.get(f"/v1/conversations/{chat.id}/payload", headers=staff).json()["payload"]
    assert payload["intent"]["flow"] == "shipping_issue" and payload["routing"]["team"] == "orders"
