"""Conversations that live in the desk: Zendesk messaging (Sunshine Conversations) and the
Intercom Messenger. The customer writes in the desk, Warmline answers through the desk's API,
and escalation is the desk's own handoff; every request validates against the published API."""

from __future__ import annotations

import json

from tests.conftest import staff_token
from tests.integrations.conftest import (
    World,
    fixture,
    intercom_notification,
    sunco_message,
    zendesk_event,
)
from tests.integrations.fakes import CONVERSATION_FIELD, INTERCOM, ZENDESK
from tests.integrations.published import intercom, sunshine_conversations

SUNCO_ID = "c2a3b4d5e6f708192a3b4c5d"


def sunco_says(world: World, text: str, event_id: str = "") -> dict:
    body, headers = sunco_message(SUNCO_ID, text, event_id=event_id or f"ev_{len(world.fake.requests)}_{text[:5]}")
    answer = world.client.post("/v1/integrations/zendesk/webhook", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_sunshine_conversations_webhook_is_the_published_shape() -> None:
    spec = sunshine_conversations().spec
    event = fixture("zendesk", "sunco_message", sunco=SUNCO_ID, text="hi", now="2026-11-25T10:00:00.000Z")
    from openapi_schema_validator import OAS30Validator

    schema = {"$ref": "#/components/schemas/conversationMessageEvent", "components": spec["components"]}
    OAS30Validator(schema).validate(event["events"][0])


def test_zendesk_messaging_runs_the_bot_in_the_desk_and_hands_off_natively(world: World) -> None:
    first = sunco_says(world, "Hi, I was charged twice for order 58231")
    cid = first["conversation_id"]
    started = world.client.app.state.services.store.load_events(cid)[0]  # type: ignore[attr-defined]
    assert (started.event.channel, started.event.desk_conversation_id) == ("zendesk", SUNCO_ID)
    assert world.events(cid)[:3] == ["conversation_started", "customer_message", "bot_message"]
    world.drain()
    # The bot's answer went to the customer through the Conversations API, as the business.
    assert world.fake.sunco_messages == [
        {
            "author": {"type": "business", "displayName": "Warmline assistant"},
            "content": {"type": "text", "text": "bot answer"},
        }
    ]
    # The same conversation again: same Warmline conversation, no second one.
    assert sunco_says(world, "a person please")["conversation_id"] == cid
    world.drain()
    assert world.fake.violations == []
    calls = [(r.method, r.url.path) for r in world.fake.requests if r.url.host == ZENDESK]
    assert ("POST", f"/sc/v2/apps/app_1/conversations/{SUNCO_ID}/passControl") in calls
    assert ("POST", "/api/v2/tickets.json") not in calls  # Zendesk makes the messaging ticket itself
    control = next(r for r in world.fake.requests if r.url.path.endswith("/passControl"))
    assert control.headers["authorization"].startswith("Basic ")  # the app key, not the API token
    metadata = json.loads(control.content)["metadata"]
    assert metadata[f"dataCapture.ticketField.{CONVERSATION_FIELD}"] == cid
    assert metadata["dataCapture.systemField.requester.name"] == "Ann Lee"
    assert "warmline" in metadata["dataCapture.systemField.tags"].split(",")
    assert len(json.dumps(metadata).encode()) <= 4096
    # The handoff notice reached the customer; the bot stays quiet afterwards.
    assert [m["content"]["text"] for m in world.fake.sunco_messages][-1] == "Connecting you with a person."
    # A transfer updates the messaging ticket Zendesk made: no second ticket.
    agent = staff_token(world.client.app.state.services, "agent", ["billing", "fraud"])  # type: ignore[attr-defined]
    world.client.post(f"/v1/conversations/{cid}/claim", headers=agent)
    moved = world.client.post(f"/v1/conversations/{cid}/transfer", json={"team": "fraud", "reason": "r"}, headers=agent)
    assert moved.status_code == 200, moved.text
    world.drain()
    assert len(world.fake.tickets) == 1
    ticket_id, ticket = next(iter(world.fake.tickets.items()))
    assert ticket["group_id"] == 360002 and ticket["via"] == "messaging"
    # A handback passes control back to the bot and notes it on the ticket.
    world.client.post(f"/v1/conversations/{cid}/claim", headers=agent)
    world.client.post(f"/v1/conversations/{cid}/handback", json={"note": "refunded"}, headers=agent)
    world.drain()
    back = [json.loads(r.content) for r in world.fake.requests if r.url.path.endswith("/passControl")][-1]
    assert back["switchboardIntegration"] == "bot"
    assert all(i.status == "sent" for i in world.integrations.outbox.items()), world.integrations.outbox.items()
    assert world.fake.violations == [] and str(ticket_id) in {str(k) for k in world.fake.tickets}


def test_a_zendesk_internal_note_never_reaches_the_customer(world: World) -> None:
    cid = sunco_says(world, "a person please")["conversation_id"]
    world.drain()
    ticket_id = str(next(iter(world.fake.tickets)))  # the messaging ticket Zendesk made
    sent_before = len(world.fake.sunco_messages)
    before = world.events(cid)
    for name in ("internal_note", "end_user_comment"):
        body, headers = zendesk_event(name, ticket_id=ticket_id)  # a messaging ticket: no external_id
        answer = world.client.post("/v1/integrations/zendesk/webhook", content=body, headers=headers)
        assert answer.status_code == 200 and answer.json()["status"] == "ignored", answer.text
    world.drain()
    assert world.events(cid) == before  # nothing in the conversation
    assert len(world.fake.sunco_messages) == sent_before  # and nothing to the customer
    # A public reply by staff is the agent's message, kept in Warmline's log; Zendesk already
    # delivered it to the customer, so nothing is echoed back.
    body, headers = zendesk_event("comment_added", ticket_id=ticket_id)
    answer = world.client.post("/v1/integrations/zendesk/webhook", content=body, headers=headers)
    assert answer.json()["status"] == "applied", answer.text
    assert world.events(cid)[-2:] == ["claimed", "agent_message"]
    world.drain()
    assert len(world.fake.sunco_messages) == sent_before
    # The ticket was found by asking Zendesk once (its conversation field), then remembered.
    shows = [r for r in world.fake.requests if r.method == "GET" and r.url.path == f"/api/v2/tickets/{ticket_id}.json"]
    assert len(shows) == 1 and world.integrations.outbox.links("zendesk", cid)["ticket_id"] == ticket_id


def test_a_sunshine_conversations_webhook_needs_its_key(world: World) -> None:
    body, headers = sunco_message(SUNCO_ID, "hi", key="wrong")
    answer = world.client.post("/v1/integrations/zendesk/webhook", content=body, headers=headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "bad_signature")
    body, headers = sunco_message(SUNCO_ID, "hi", event_id="ev_dup")
    first = world.client.post("/v1/integrations/zendesk/webhook", content=body, headers=headers)
    again = world.client.post("/v1/integrations/zendesk/webhook", content=body, headers=headers)
    assert first.json()["status"] == "applied" and again.json()["status"] == "duplicate"
    assert world.events(first.json()["conversation_id"]).count("customer_message") == 1


def intercom_conversation(world: World) -> str:
    body, headers = intercom_notification("conversation.user.created")
    answer = world.client.post("/v1/integrations/intercom/webhook", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["conversation_id"]  # type: ignore[no-any-return]


def intercom_says(world: World, text: str) -> dict:
    part = {**fixture("intercom", "parts")["user_reply"], "body": f"<p>{text}</p>"}
    body, headers = intercom_notification("conversation.user.replied", parts=["user_reply"])
    event = json.loads(body)
    event["data"]["item"]["conversation_parts"]["conversation_parts"] = [part]
    import hashlib
    import hmac

    from tests.integrations.conftest import SECRET

    raw = json.dumps(event).encode()
    headers["X-Hub-Signature"] = "sha1=" + hmac.new(SECRET.encode(), raw, hashlib.sha1).hexdigest()
    answer = world.client.post("/v1/integrations/intercom/webhook", content=raw, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_intercom_webhook_items_are_the_published_conversation() -> None:
    from openapi_schema_validator import OAS30Validator

    spec = intercom().spec
    for topic, parts in (("conversation.user.created", []), ("conversation.admin.replied", ["admin_reply"])):
        item = json.loads(intercom_notification(topic, parts=parts)[0])["data"]["item"]
        schema = {"$ref": "#/components/schemas/conversation", "components": spec["components"]}
        OAS30Validator(schema).validate(item)


def test_intercom_messenger_runs_the_bot_and_assigns_the_team_with_a_note(world: World) -> None:
    cid = intercom_conversation(world)
    started = world.client.app.state.services.store.load_events(cid)[0]  # type: ignore[attr-defined]
    assert (started.event.channel, started.event.desk_conversation_id) == ("intercom", "147")
    world.drain()
    assert world.fake.intercom_parts[0] == (
        "/conversations/147/reply",
        {"message_type": "comment", "type": "admin", "admin_id": "814", "body": "<p>bot answer</p>"},
    )
    assert intercom_says(world, "a person please")["conversation_id"] == cid
    world.drain()
    assert world.fake.violations == []
    calls = [
        (r.method, r.url.path, json.loads(r.content).get("message_type"))
        for r in world.fake.requests
        if r.url.host == INTERCOM
    ]
    assert ("PUT", "/conversations/147", None) in calls
    assert ("POST", "/conversations/147/reply", "note") in calls  # the note goes to /reply ...
    assert ("POST", "/conversations/147/parts", "assignment") in calls  # ... the assignment to /parts
    assert not any(path.endswith("/parts") and kind == "note" for _, path, kind in calls)
    note = next(b for p, b in world.fake.intercom_parts if b.get("message_type") == "note")
    assert note["body"].startswith("<p>Warmline handoff") and "<br>" in note["body"]
    # Warmline's own team assignment comes back with no admin: not an agent claiming it.
    body, headers = intercom_notification(
        "conversation.admin.assigned", parts=["team_assignment"], team_assignee_id=5017691
    )
    answer = world.client.post("/v1/integrations/intercom/webhook", content=body, headers=headers)
    assert answer.json()["status"] == "ignored" and world.events(cid)[-1] == "escalated"
    # An admin's HTML reply becomes the agent's plain-text message; a note stays in Intercom.
    body, headers = intercom_notification("conversation.admin.noted", parts=["admin_note"])
    assert (
        world.client.post("/v1/integrations/intercom/webhook", content=body, headers=headers).json()["status"]
        == "ignored"
    )
    body, headers = intercom_notification("conversation.admin.replied", parts=["admin_reply"], admin_assignee_id=991)
    answer = world.client.post("/v1/integrations/intercom/webhook", content=body, headers=headers)
    assert answer.json()["status"] == "applied", answer.text
    messages = world.client.app.state.services.store.load_events(cid)  # type: ignore[attr-defined]
    assert messages[-1].event.text == "Hi Ann,\nyour refund of $42.10 is on its way & should arrive in 3 days."
    # Closing it in Intercom resolves it in Warmline, and is not echoed back to Intercom.
    world.drain()
    sent_before = len(world.fake.intercom_parts)
    body, headers = intercom_notification("conversation.admin.closed", parts=["close"], admin_assignee_id=991)
    answer = world.client.post("/v1/integrations/intercom/webhook", content=body, headers=headers)
    assert answer.json()["conversation_status"] == "CLOSED", answer.text
    world.drain()
    assert len(world.fake.intercom_parts) == sent_before and world.fake.violations == []


def test_every_event_of_a_conversations_webhook_is_applied(world: World) -> None:
    first, headers = sunco_message(SUNCO_ID, "Hi, I was charged twice", event_id="ev_a")
    second, _ = sunco_message(SUNCO_ID, "a person please", event_id="ev_b")
    delivery = json.loads(first)
    delivery["events"].append(json.loads(second)["events"][0])
    answer = world.client.post(
        "/v1/integrations/zendesk/webhook", content=json.dumps(delivery).encode(), headers=headers
    )
    assert answer.status_code == 200, answer.text
    results = answer.json()["events"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    cid = results[0]["conversation_id"]
    assert results[1]["conversation_id"] == cid and results[1]["conversation_status"] == "WAITING_FOR_AGENT"
    assert world.events(cid).count("customer_message") == 2
