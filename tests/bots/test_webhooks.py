"""Signed events to the bot: queued with the change, retried through the outbox, the same
webhook-id on every attempt, a fresh timestamp and signature each time."""

from __future__ import annotations

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.bots.conftest import BotWorld, agent_headers
from warmline.bots.webhooks import named_intent, sign


def escalate_and_claim(world: BotWorld) -> tuple[str, dict[str, str]]:
    cid = world.open("c-hooks").json()["conversation_id"]
    body = world.turns(cid, {"external_id": "c1", "role": "customer", "text": "I want to talk to a person"}).json()
    staff = agent_headers(world.svc, [body["state"]["team"]])
    assert world.client.post(f"/v1/conversations/{cid}/claim", headers=staff).status_code == 200
    return cid, staff


def test_escalated_then_claimed_in_order_and_closed(world: BotWorld) -> None:
    cid, staff = escalate_and_claim(world)
    assert world.client.post(f"/v1/conversations/{cid}/resolve", json={}, headers=staff).status_code == 200
    world.deliver()
    assert world.receiver.types() == ["conversation.escalated", "conversation.claimed", "conversation.closed"]
    escalated = world.receiver.events()[0]["data"]
    assert escalated["trigger"] == "human_request" and escalated["summary"]
    assert world.receiver.events()[2]["data"]["reason"] == "resolved"


def test_a_failing_webhook_is_retried_with_the_same_id(world: BotWorld) -> None:
    escalate_and_claim(world)
    world.receiver.status = 503
    report = world.integrations.dispatcher.run_once()
    assert report.retried == 1 and report.sent == 0  # the claimed event waits behind the escalated one
    first = world.receiver.requests[-1]
    outbox = world.integrations.outbox
    item = outbox.items(desk="bot_webhooks")[0]
    assert item.status == "pending" and item.attempts == 1 and "503" in (item.last_error or "")
    world.receiver.status = 200
    with world.svc.store.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE outbox SET next_attempt_at = created_at")
    world.deliver()
    retried = [r for r in world.receiver.requests if r.headers["webhook-id"] == first.headers["webhook-id"]]
    assert len(retried) == 2
    verifier = Webhook(world.secret)
    for request in world.receiver.requests:
        verifier.verify(request.content, dict(request.headers))
    assert world.receiver.types()[-2:] == ["conversation.escalated", "conversation.claimed"]


def test_a_tampered_body_or_another_secret_fails_verification(world: BotWorld) -> None:
    escalate_and_claim(world)
    world.deliver()
    request = world.receiver.requests[0]
    with pytest.raises(WebhookVerificationError):
        Webhook(world.secret).verify(request.content + b" ", dict(request.headers))
    other = world.client.app.state.bots.sources.rotate_secret(world.name)  # type: ignore[attr-defined]
    assert other != world.secret
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(request.content, dict(request.headers))


def test_signature_matches_the_standard_webhooks_reference() -> None:
    # The example secret and message of the Standard Webhooks specification's test vectors.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = Webhook(secret).sign("msg_p5jXN8AQM9LWM0D4loKWxJek", _at(1614265330), body.decode())
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


def test_a_note_names_an_intent_with_a_slash() -> None:
    assert named_intent("done. /confirm_return") == "confirm_return"
    assert named_intent("/greet") == "greet"
    assert named_intent("see https://acme.test/returns for details") is None
    assert named_intent("no intent here") is None


def _at(epoch: int):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC)
