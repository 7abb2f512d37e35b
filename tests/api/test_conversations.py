"""The conversation API as a client sees it: happy paths, access control, and bad input that
gets a stable error code and changes nothing."""

from __future__ import annotations

import pytest

from tests.conftest import staff_token, start_chat
from warmline.bot import BotDefaults, BotTurn
from warmline.conversation.events import BOT, BotMessage, Escalated, NoteAdded


def events_of(chat) -> list[dict]:
    response = chat.client.get(f"/v1/conversations/{chat.id}/events", headers=chat.auth)
    assert response.status_code == 200
    return response.json()["events"]


def test_a_customer_chats_with_the_bot(client) -> None:
    chat = start_chat(client, customer_name="Ana", locale="es-MX")
    response = chat.say("hello")
    assert response.status_code == 201
    body = response.json()
    assert [e["type"] for e in body["events"]] == ["customer_message", "bot_message"]
    assert body["events"][1]["body"]["in_reply_to"] == body["events"][0]["seq"]
    assert body["state"]["status"] == "BOT"
    assert body["state"]["last_seq"] == 3
    state = client.get(f"/v1/conversations/{chat.id}", headers=chat.auth).json()["state"]
    assert state["customer_name"] == "Ana"


@pytest.mark.parametrize(
    "text",
    ["😀🎉 emoji", "مرحبا، أحتاج إلى مساعدة", "我的订单在哪里？", "Ñandú — «quotes» ‘x’", "line one\nline two\ttab"],
)
def test_unicode_round_trips_exactly(client, text: str) -> None:
    chat = start_chat(client)
    assert chat.say(text).json()["events"][0]["body"]["text"] == text
    assert events_of(chat)[1]["body"]["text"] == text


def test_openapi_is_published(client) -> None:
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/v1/conversations/{conversation_id}/messages"]["post"]
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["text"] and body["properties"]["text"]["type"] == "string"


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        (
            {"content": b'{"text": "unterminated', "headers": {"content-type": "application/json"}},
            400,
            "malformed_json",
        ),
        ({"json": {}}, 422, "invalid_request"),
        ({"json": {"text": 42}}, 422, "invalid_request"),
        ({"json": {"text": "hi", "extra": 1}}, 422, "invalid_request"),
        ({"json": ["text"]}, 422, "invalid_request"),
        ({"json": {"text": ""}}, 422, "empty_message"),
        ({"json": {"text": "   \n "}}, 422, "empty_message"),
        ({"json": {"text": "x" * 8193}}, 413, "message_too_large"),
        ({"json": {"text": "é" * 4097}}, 413, "message_too_large"),  # the limit counts UTF-8 bytes
        ({"json": {"text": "bell \x07"}}, 422, "control_character"),
        ({"json": {"text": "nul \x00"}}, 422, "control_character"),
        (
            {"content": b"text=hi", "headers": {"content-type": "application/x-www-form-urlencoded"}},
            415,
            "unsupported_media_type",
        ),
        ({"content": b'{"text":"hi"}', "headers": {"content-type": "text/plain"}}, 415, "unsupported_media_type"),
        ({"content": b"", "headers": {"content-type": "application/json"}}, 422, "invalid_request"),
        ({"json": None}, 422, "invalid_request"),
    ],
    ids=[
        "malformed-json",
        "missing-field",
        "wrong-type",
        "unknown-field",
        "not-an-object",
        "empty",
        "blank",
        "oversized",
        "oversized-multibyte",
        "control-char",
        "nul",
        "form-encoded",
        "text-plain",
        "no-body",
        "null",
    ],
)
def test_bad_messages_are_refused_and_change_nothing(client, kwargs, status, code) -> None:
    chat = start_chat(client)
    headers = {**chat.auth, **kwargs.pop("headers", {})}
    response = client.post(f"/v1/conversations/{chat.id}/messages", headers=headers, **kwargs)
    assert_error(response, status, code)
    assert [e["type"] for e in events_of(chat)] == ["conversation_started"]


def test_a_message_at_the_limit_is_accepted(client) -> None:
    assert start_chat(client).say("x" * 8192).status_code == 201


def test_a_huge_body_is_refused_before_parsing(client) -> None:
    chat = start_chat(client)
    response = chat.say("y" * 70_000)
    assert_error(response, 413, "body_too_large")


def test_bad_start_requests(client) -> None:
    assert_error(client.post("/v1/conversations", json={"account_id": "acc_nope"}), 422, "unknown_account")
    assert_error(client.post("/v1/conversations", json={"channel": "Web Chat!"}), 422, "invalid_request")
    assert_error(client.post("/v1/conversations", json={"customer_name": "x" * 200}), 422, "invalid_request")
    listing = client.get("/v1/conversations", headers=staff_token(client.app.state.services, "lead"))
    assert listing.json()["conversations"] == []


def test_unknown_conversation_and_route(client) -> None:
    agent = staff_token(client.app.state.services)
    assert_error(client.get("/v1/conversations/cv_nope", headers=agent), 404, "conversation_not_found")
    assert_error(client.get("/v1/conversations/cv_nope/events", headers=agent), 404, "conversation_not_found")
    assert_error(client.get("/v1/nothing-here"), 404, "not_found")


def test_credentials(client) -> None:
    alice, bob = start_chat(client), start_chat(client)
    path = f"/v1/conversations/{alice.id}/messages"
    assert_error(client.post(path, json={"text": "hi"}), 401, "missing_token")
    assert_error(
        client.post(path, json={"text": "hi"}, headers={"Authorization": "Bearer wlc_x.y"}), 401, "invalid_token"
    )
    forged = alice.token[:-3] + "AAA"
    assert_error(
        client.post(path, json={"text": "hi"}, headers={"Authorization": f"Bearer {forged}"}), 401, "invalid_token"
    )
    assert_error(client.post(path, json={"text": "hi"}, headers=bob.auth), 403, "not_your_conversation")
    assert_error(client.get(f"/v1/conversations/{alice.id}", headers=bob.auth), 403, "not_your_conversation")
    assert_error(client.get("/v1/conversations", headers=alice.auth), 403, "wrong_role")
    agent = staff_token(client.app.state.services)
    assert_error(client.post(path, json={"text": "hi"}, headers=agent), 403, "wrong_role")
    # A conversation the bot still owns is in no team's queue: agents do not read it, leads do.
    assert_error(client.get(f"/v1/conversations/{alice.id}", headers=agent), 403, "not_your_team")
    lead = staff_token(client.app.state.services, "lead", [])
    assert client.get(f"/v1/conversations/{alice.id}", headers=lead).status_code == 200
    assert [e["type"] for e in events_of(alice)] == ["conversation_started"]


def test_only_admins_create_staff(client) -> None:
    svc = client.app.state.services
    body = {"name": "Kim", "role": "agent", "teams": ["billing"]}
    assert_error(client.post("/v1/staff", json=body, headers=staff_token(svc, "lead")), 403, "wrong_role")
    created = client.post("/v1/staff", json=body, headers=staff_token(svc, "admin"))
    assert created.status_code == 201
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {created.json()['token']}"}).json()
    assert me == {"role": "agent", "id": created.json()["id"], "name": "Kim", "teams": ["billing"]}


def test_idempotency_key_replays_the_first_answer(client) -> None:
    first = client.post("/v1/conversations", json={"customer_name": "Li"}, headers={"Idempotency-Key": "start-1"})
    again = client.post("/v1/conversations", json={"customer_name": "Li"}, headers={"Idempotency-Key": "start-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    chat = start_chat(client)
    one = chat.say("where is my order", **{"Idempotency-Key": "m-1"})
    two = chat.say("where is my order", **{"Idempotency-Key": "m-1"})
    assert one.json()["events"] == two.json()["events"]
    assert len(events_of(chat)) == 3
    assert_error(chat.say("something else", **{"Idempotency-Key": "m-1"}), 409, "idempotency_key_reused")
    assert_error(chat.say("x", **{"Idempotency-Key": "k" * 201}), 422, "invalid_idempotency_key")
    assert len(events_of(chat)) == 3


class EscalateOnHuman(BotDefaults):
    """A test bot that hands over when asked for a person, and answers otherwise."""

    def respond(self, turn: BotTurn) -> None:
        if turn.state.status != "BOT":
            return
        if "person" in turn.message.event.text:  # type: ignore[attr-defined]
            turn.append(BOT, Escalated(team="billing", trigger="human_request", reason="asked for a person"))
        else:
            turn.append(BOT, BotMessage(text="bot answer", in_reply_to=turn.message.seq))


def test_no_bot_replies_while_waiting_for_an_agent(client) -> None:
    client.app.state.services.bot = EscalateOnHuman()
    chat = start_chat(client)
    assert chat.say("a person please").json()["state"]["status"] == "WAITING_FOR_AGENT"
    response = chat.say("hello? anyone?")
    assert [e["type"] for e in response.json()["events"]] == ["customer_message"]
    # The customer sees that a handoff happened but not the internal reason.
    escalated = next(e for e in events_of(chat) if e["type"] == "escalated")
    assert escalated["body"] == {}


def test_lifecycle_conflicts_are_409_and_change_nothing(client) -> None:
    chat = start_chat(client)
    assert_error(
        client.post(f"/v1/conversations/{chat.id}/survey", json={"score": 5}, headers=chat.auth),
        409,
        "illegal_transition",
    )
    assert client.post(f"/v1/conversations/{chat.id}/close", json={}, headers=chat.auth).status_code == 200
    assert_error(chat.say("after close"), 409, "illegal_transition")
    assert_error(
        client.post(f"/v1/conversations/{chat.id}/close", json={}, headers=chat.auth), 409, "illegal_transition"
    )
    assert client.post(f"/v1/conversations/{chat.id}/survey", json={"score": 4}, headers=chat.auth).status_code == 201
    assert_error(
        client.post(f"/v1/conversations/{chat.id}/survey", json={"score": 4}, headers=chat.auth),
        409,
        "already_surveyed",
    )
    assert_error(
        client.post(f"/v1/conversations/{chat.id}/survey", json={"score": 9}, headers=chat.auth), 422, "invalid_request"
    )
    assert [e["type"] for e in events_of(chat)] == ["conversation_started", "closed", "survey_answered"]


def test_customers_never_see_internal_events(client) -> None:
    svc = client.app.state.services
    chat = start_chat(client)
    chat.say("hi")
    with svc.store.write(chat.id) as writer:
        writer.append("agent:ag_1", NoteAdded(author="ag_1", text="internal: VIP, be nice"))
    assert "internal" not in str(events_of(chat))
    staff_view = client.get(f"/v1/conversations/{chat.id}/events", headers=staff_token(svc, "lead", []))
    agent_view = staff_view.json()["events"]
    assert agent_view[-1]["body"]["text"] == "internal: VIP, be nice"


def test_listing_by_state(client) -> None:
    svc = client.app.state.services
    svc.bot = EscalateOnHuman()
    waiting, chatting = start_chat(client), start_chat(client)
    waiting.say("a person please")
    chatting.say("hello")
    lead = staff_token(svc, "lead")
    listed = client.get("/v1/conversations?status=WAITING_FOR_AGENT", headers=lead).json()["conversations"]
    assert [c["id"] for c in listed] == [waiting.id]
    assert listed[0]["team"] == "billing"
    assert len(client.get("/v1/conversations", headers=lead).json()["conversations"]) == 2
    assert_error(client.get("/v1/conversations?status=NOPE", headers=lead), 422, "invalid_request")


def test_events_paginate(client) -> None:
    chat = start_chat(client)
    for i in range(3):
        chat.say(f"m{i}")
    page = client.get(f"/v1/conversations/{chat.id}/events?after=2&limit=2", headers=chat.auth).json()
    assert [e["seq"] for e in page["events"]] == [3, 4]
    assert page["more"] is True and page["last_seq"] == 4
    assert_error(client.get(f"/v1/conversations/{chat.id}/events?after=-1", headers=chat.auth), 422, "invalid_request")
