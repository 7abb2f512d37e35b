"""Inbound desk webhooks: verified by each desk's documented scheme, filtered, applied once,
answered 2xx when ignored on purpose; and the Intercom Canvas panel."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from tests.conftest import start_chat
from tests.integrations.conftest import (
    SECRET,
    World,
    fixture,
    intercom_notification,
    now_s,
    sign_flow,
    sign_zendesk,
    zendesk_event,
)
from tests.integrations.test_messaging import intercom_conversation, intercom_says


def escalate(world: World) -> str:
    chat = start_chat(world.client, customer_name="Ann")
    chat.say("a person please")
    return chat.id


def test_desk_webhooks_drive_the_same_actions_as_the_workspace(world: World) -> None:
    cid = escalate(world)
    body, headers = zendesk_event("comment_added", cid)
    answer = world.client.post("/v1/integrations/zendesk/webhook", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "applied" and answer.json()["conversation_status"] == "WITH_AGENT"
    assert world.events(cid)[-2:] == ["claimed", "agent_message"]
    # The same delivery again (a desk retry) changes nothing.
    again = world.client.post("/v1/integrations/zendesk/webhook", content=body, headers=headers)
    assert again.json()["status"] == "duplicate"
    assert world.events(cid)[-2:] == ["claimed", "agent_message"]
    # Someone else's handback is refused: the Zendesk agent holds the conversation.
    handback = json.dumps(fixture("servicenow", "handed_back", conversation=cid)).encode()
    answer = world.client.post(
        "/v1/integrations/servicenow/webhook", content=handback, headers=sign_flow(handback, "sn-1")
    )
    assert answer.status_code == 403 or answer.json()["error"]["code"] == "not_assigned"
    # A status that changes nothing is answered 2xx; solving the ticket closes the conversation.
    for name, expected in (("status_pending", "ignored"), ("status_solved", "applied")):
        body, headers = zendesk_event(name, cid)
        answer = world.client.post("/v1/integrations/zendesk/webhook", content=body, headers=headers)
        assert answer.status_code == 200 and answer.json()["status"] == expected, answer.text
    assert answer.json()["conversation_status"] == "CLOSED"


def test_a_zendesk_internal_note_on_a_web_ticket_is_not_an_agent_message(world: World) -> None:
    cid = escalate(world)
    before = world.events(cid)
    body, headers = zendesk_event("internal_note", cid)
    answer = world.client.post("/v1/integrations/zendesk/webhook", content=body, headers=headers)
    assert answer.status_code == 200 and answer.json() == {
        "status": "ignored",
        "reason": "an internal note stays in Zendesk",
    }
    assert world.events(cid) == before


def test_intercom_and_salesforce_webhooks(world: World) -> None:
    cid = intercom_conversation(world)
    intercom_says(world, "a person please")
    body, headers = intercom_notification("conversation.admin.replied", parts=["admin_reply"], admin_assignee_id=991)
    answer = world.client.post("/v1/integrations/intercom/webhook", content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert world.events(cid)[-1] == "agent_message"
    other = escalate(world)
    body = json.dumps(fixture("salesforce", "agent_replied", conversation=other)).encode()
    answer = world.client.post("/v1/integrations/salesforce/webhook", content=body, headers=sign_flow(body, "sf-1"))
    assert answer.status_code == 200, answer.text
    assert world.events(other)[-1] == "agent_message"


@pytest.mark.parametrize(
    "case",
    ["bad-signature", "stale-timestamp", "malformed-body", "unknown-event", "unsigned", "not-an-object"],
)
def test_bad_webhooks_are_refused_and_change_nothing(world: World, case: str) -> None:
    cid = escalate(world)
    before = world.events(cid)
    body, headers = zendesk_event("comment_added", cid)
    expected = (401, "bad_signature")
    if case == "bad-signature":
        headers["X-Zendesk-Webhook-Signature"] = base64.b64encode(b"0" * 32).decode()
    elif case == "stale-timestamp":
        headers = sign_zendesk(body, str(int(now_s()) - 3600))
        expected = (401, "stale_webhook")
    elif case == "malformed-body":
        body = b'{"type": "zen:event-type:ticket.comment_added", '
        headers = sign_zendesk(body)
        expected = (422, "malformed_json")
    elif case == "unknown-event":
        body, headers = zendesk_event("unknown_event", cid)
        expected = (422, "unsupported_event")
    elif case == "unsigned":
        headers = {"Content-Type": "application/json"}
    elif case == "not-an-object":
        body = b"[1, 2]"
        headers = sign_zendesk(body)
        expected = (422, "malformed_webhook")
    answer = world.client.post("/v1/integrations/zendesk/webhook", content=body, headers=headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == expected
    assert world.events(cid) == before


def test_a_replayed_delivery_with_a_new_signature_is_still_applied_once(world: World) -> None:
    cid = escalate(world)
    body = json.dumps(fixture("salesforce", "agent_replied", conversation=cid)).encode()
    first = world.client.post("/v1/integrations/salesforce/webhook", content=body, headers=sign_flow(body, "d-7"))
    replay = world.client.post(
        "/v1/integrations/salesforce/webhook",
        content=body,
        headers=sign_flow(body, "d-7", str(int(now_s()) + 1)),
    )
    assert first.json()["status"] == "applied" and replay.json()["status"] == "duplicate"
    assert world.events(cid).count("agent_message") == 1


def test_unknown_or_disabled_desk(world: World) -> None:
    answer = world.client.post(
        "/v1/integrations/freshdesk/webhook", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "unknown_desk")


def canvas(world: World, conversation: dict) -> dict:
    body = json.dumps({"workspace_id": "abc123", "admin": {"id": "991"}, "conversation": conversation}).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = world.client.post(
        "/v1/integrations/intercom/canvas/initialize",
        content=body,
        headers={"X-Body-Signature": signature, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_intercom_canvas_finds_its_conversation_and_shows_the_payload(world: World) -> None:
    cid = intercom_conversation(world)
    empty = canvas(world, {"id": "147", "custom_attributes": {}})["canvas"]["content"]["components"]
    assert empty[0]["text"].startswith("No Warmline handoff")
    intercom_says(world, "a person please")
    # Found by Intercom's own conversation id, before any attribute is set ...
    components = canvas(world, {"id": "147", "custom_attributes": {}})["canvas"]["content"]["components"]
    texts = [c.get("text") for c in components]
    assert "*Summary*" in texts and "Customer asks for a person." in texts and "*Draft reply*" in texts
    assert components[-1]["action"]["url"].endswith(f"/sidebar?conversation={cid}")
    # ... and by the attribute the handoff sets.
    by_attribute = canvas(world, {"id": "999", "custom_attributes": {"warmline_conversation_id": cid}})
    assert by_attribute == canvas(world, {"id": "147", "custom_attributes": {}})
    body = json.dumps({"conversation": {"id": "147"}}).encode()
    forged = world.client.post(
        "/v1/integrations/intercom/canvas/initialize",
        content=body,
        headers={"X-Body-Signature": "0" * 64, "Content-Type": "application/json"},
    )
    assert forged.json()["error"]["code"] == "bad_signature"
