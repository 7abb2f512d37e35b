"""The outside-bot handoff end to end, through the HTTP API only, on SQLite and PostgreSQL: a
bot's conversation escalates on a request for a person, waits in the owning team's queue with
a payload built from the bot's turns, refuses the bot's turns while a person holds it, and the
bot's webhook receives claimed, agent_message and handed_back (with the note), each signed as
Standard Webhooks; a turn posted twice is stored once."""

from __future__ import annotations

from standardwebhooks.webhooks import Webhook

from tests.bots.conftest import WEBHOOK_URL, BotWorld, agent_headers


def test_bot_conversation_escalates_waits_refuses_and_hears_the_human_part(world: BotWorld) -> None:
    opened = world.open("rasa-sender-42", customer={"name": "Joseph Banter", "email": "joseph@example.com"})
    assert opened.status_code == 201, opened.text
    cid = opened.json()["conversation_id"]
    assert world.open("rasa-sender-42").status_code == 200  # the same conversation again
    assert world.open("rasa-sender-42").json()["conversation_id"] == cid

    first = {"external_id": "t1", "role": "customer", "text": "I want to return a shirt, order 8812345678"}
    reply = {"external_id": "t2", "role": "bot", "text": "I can help with returns. Is the shirt unworn?"}
    posted = world.turns(cid, first, reply)
    assert posted.status_code == 200, posted.text
    assert posted.json()["state"]["status"] == "BOT"
    again = world.turns(cid, first)  # the bot retries a turn: stored once
    assert again.json()["turns"] == [{"external_id": "t1", "seq": posted.json()["turns"][0]["seq"], "duplicate": True}]

    asked = world.turns(cid, {"external_id": "t3", "role": "customer", "text": "I want to talk to a person"})
    body = asked.json()
    assert asked.status_code == 200, asked.text
    assert body["decision"]["outcome"] == "escalate" and body["decision"]["acted"] is True
    assert body["decision"]["trigger"] == "human_request"
    assert body["state"]["status"] == "WAITING_FOR_AGENT"
    team = body["state"]["team"]
    assert body["decision"]["team"] == team and body["decision"]["customer_message"]

    staff = agent_headers(world.svc, [team])
    queue = world.client.get(f"/v1/queues/{team}", headers=staff).json()
    assert cid in [c["id"] for c in queue["conversations"]]
    payload = world.client.get(f"/v1/conversations/{cid}/payload", headers=staff).json()["payload"]
    transcript = " ".join(t["text"] for t in payload["transcript"])
    assert "8812345678" in transcript and "Is the shirt unworn?" in transcript
    assert any(f["value"] == "8812345678" for f in payload["key_facts"])

    refused = world.turns(cid, {"external_id": "t4", "role": "bot", "text": "Anything else?"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "person_holds_conversation"

    assert world.client.post(f"/v1/conversations/{cid}/claim", headers=staff).status_code == 200
    refused = world.turns(cid, {"external_id": "t4", "role": "bot", "text": "Anything else?"})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "person_holds_conversation"
    # The customer still talks (the bot relays it to the agent).
    relayed = world.turns(cid, {"external_id": "t5", "role": "customer", "text": "It is a blue shirt, size M"})
    assert relayed.status_code == 200 and relayed.json()["decision"] is None
    sent = world.client.post(
        f"/v1/conversations/{cid}/agent-messages", json={"text": "I've started the return for you."}, headers=staff
    )
    assert sent.status_code == 201, sent.text
    note = "Return label emailed. /confirm_return"
    handed = world.client.post(f"/v1/conversations/{cid}/handback", json={"note": note}, headers=staff)
    assert handed.status_code == 200, handed.text
    assert handed.json()["state"]["status"] == "BOT"
    assert world.turns(cid, {"external_id": "t6", "role": "bot", "text": "Welcome back!"}).status_code == 200

    world.deliver()
    types = world.receiver.types()
    for kind in ("conversation.claimed", "conversation.agent_message", "conversation.handed_back"):
        assert kind in types, types
    verifier = Webhook(world.secret)
    for request in world.receiver.requests:
        assert str(request.url) == WEBHOOK_URL
        verified = verifier.verify(request.content, dict(request.headers))  # raises on a bad signature
        assert verified["data"]["conversation_id"] == cid
        assert verified["data"]["external_id"] == "rasa-sender-42"
    handed_back = next(e for e in world.receiver.events() if e["type"] == "conversation.handed_back")["data"]
    assert handed_back["note"] == note and handed_back["trigger_intent"] == "confirm_return"
    assert [t["text"] for t in handed_back["turns"]] == [
        "It is a blue shirt, size M",
        "I've started the return for you.",
    ]
    message = next(e for e in world.receiver.events() if e["type"] == "conversation.agent_message")["data"]
    assert message["text"] == "I've started the return for you."

    log = world.client.get(f"/v1/conversations/{cid}/events", headers=staff).json()["events"]
    stored = [e["body"].get("external_id") for e in log if e["type"] in ("customer_message", "bot_message")]
    assert stored.count("t1") == 1 and "t4" not in stored
