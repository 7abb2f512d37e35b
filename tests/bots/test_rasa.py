"""Rasa by configuration, against the real RabbitMQ on this machine: tracker events published as
Rasa's event broker publishes them become the Rasa source's turns; escalation pauses the Rasa
conversation, agent messages are relayed through Rasa's HTTP API, handback resumes it and
triggers the intent the note names. Each test has its own exchange and queue."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bots.conftest import BotWorld, agent_headers, make_world
from tests.conftest import require_service
from warmline.bots.rasa.config import RasaConfig
from warmline.bots.rasa.events import parse_event
from warmline.conversation.actions import Services

aio_pika = pytest.importorskip("aio_pika")
FIXTURES = Path(__file__).parent / "fixtures" / "rasa"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
RASA_URL = "http://rasa.acme.test:5005"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())  # type: ignore[no-any-return]


def test_tracker_events_become_turns() -> None:
    config = RasaConfig()
    user = parse_event(fixture("user_event.json"), config)
    assert user is not None and user.turn is not None and user.sender_id == "5f3c2a9e8b7d4e1f"
    assert user.turn.role == "customer" and user.turn.external_id == "a1b2c3d4e5f60718293a4b5c6d7e8f90"
    assert user.turn.analysis is not None and user.turn.analysis.intent == "request_return"
    assert user.turn.analysis.confidence == pytest.approx(0.8731)
    assert user.turn.analysis.entities == (("order_id", "8812345678"),)
    assert user.channel == "rest"
    bot = parse_event(fixture("bot_event.json"), config)
    assert bot is not None and bot.turn is not None and bot.turn.role == "bot"
    assert bot.turn.external_id == parse_event(fixture("bot_event.json"), config).turn.external_id  # type: ignore[union-attr]
    paused = parse_event(fixture("pause_event.json"), config)
    assert paused is not None and paused.turn is None and paused.handoff_reason
    assert parse_event({"event": "action", "sender_id": "x", "name": "action_listen"}, config) is None
    fallback = {**fixture("user_event.json"), "parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.3}}}
    assert parse_event(fallback, config).turn.analysis.out_of_scope is True  # type: ignore[union-attr]


async def _publish(exchange_name: str, events: list[dict[str, Any]]) -> None:
    """What Rasa's PikaEventBroker does: a fanout exchange, a persistent JSON message per event."""
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.FANOUT)
        for event in events:
            message = aio_pika.Message(json.dumps(event).encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            await exchange.publish(message, "")


async def _delete(exchange_name: str, queue_name: str) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue_name)
        await channel.exchange_delete(exchange_name)


@pytest.fixture
def rasa_world(model_svc: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[BotWorld]:
    require_service("RabbitMQ", "127.0.0.1", 5672)
    suffix = secrets.token_hex(4)
    exchange, queue = f"test-rasa-exchange-{suffix}", f"test-warmline-{suffix}"
    for key, value in {
        "ENABLED": "true",
        "BASE_URL": RASA_URL,
        "SOURCE": "acme-bot",
        "TOKEN": "rasa-secret-token",
        "AMQP_URL": AMQP_URL,
        "EXCHANGE": exchange,
        "QUEUE": queue,
    }.items():
        monkeypatch.setenv(f"WARMLINE_RASA_{key}", value)
    try:
        yield from make_world(model_svc)
    finally:
        asyncio.run(_delete(exchange, queue))


def publish(world: BotWorld, *events: dict[str, Any]) -> None:
    consumer = world.client.app.state.bots.consumers[0]  # type: ignore[attr-defined]
    before = consumer.handled
    asyncio.run(_publish(consumer.config.exchange, list(events)))
    deadline = time.monotonic() + 20
    while consumer.handled < before + len(events):
        assert time.monotonic() < deadline, "the Rasa events were not consumed"
        time.sleep(0.02)


def rasa_calls(world: BotWorld) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (r.method, r.url.path + ("?" + r.url.query.decode() if r.url.query else ""), json.loads(r.content))
        for r in world.receiver.requests
        if r.url.host == "rasa.acme.test"
    ]


def test_rasa_conversation_is_paused_relayed_and_resumed(rasa_world: BotWorld) -> None:
    world = rasa_world
    sender = "5f3c2a9e8b7d4e1f"
    user, bot = fixture("user_event.json"), fixture("bot_event.json")
    publish(world, user, bot, user)  # Rasa's redelivery of the same user event is stored once
    [state] = [s for s in world.svc.store.list_states() if s.source == "acme-bot"]
    log = world.svc.store.load_events(state.id)
    assert [r.type for r in log].count("customer_message") == 1
    assert [r.type for r in log].count("bot_message") == 1

    ask = {**user, "text": "I want to talk to a person", "message_id": "m-2", "timestamp": user["timestamp"] + 60}
    ask["parse_data"] = {"intent": {"name": "human_handoff", "confidence": 0.97}, "entities": [], "text": ask["text"]}
    publish(world, ask)
    state = world.svc.store.load_state(state.id)
    assert state.status.value == "WAITING_FOR_AGENT"
    decision = next(r for r in reversed(world.svc.store.load_events(state.id)) if r.type == "policy_decided")
    assert decision.event.decision.inputs["bot"]["intent"] == "human_handoff"  # type: ignore[attr-defined]

    world.deliver()
    token = "token=rasa-secret-token"
    assert rasa_calls(world) == [("POST", f"/conversations/{sender}/tracker/events?{token}", {"event": "pause"})]

    staff = agent_headers(world.svc, [state.team or "triage"])
    assert world.client.post(f"/v1/conversations/{state.id}/claim", headers=staff).status_code == 200
    # Rasa answering while a person holds the conversation is not stored (and not a failure).
    publish(world, {**bot, "text": "Anything else?", "timestamp": bot["timestamp"] + 90})
    assert world.svc.store.load_state(state.id).status.value == "WITH_AGENT"
    sent = world.client.post(
        f"/v1/conversations/{state.id}/agent-messages", json={"text": "Your return is started."}, headers=staff
    )
    assert sent.status_code == 201
    note = "Label emailed. /confirm_return"
    assert (
        world.client.post(f"/v1/conversations/{state.id}/handback", json={"note": note}, headers=staff).status_code
        == 200
    )
    world.deliver()
    assert rasa_calls(world)[1:] == [
        (
            "POST",
            f"/conversations/{sender}/tracker/events?{token}",
            {"event": "slot", "name": "warmline_agent_message", "value": "Your return is started."},
        ),
        (
            "POST",
            f"/conversations/{sender}/execute?output_channel=latest&{token}",
            {"name": "utter_warmline_agent_message"},
        ),
        ("POST", f"/conversations/{sender}/tracker/events?{token}", {"event": "resume"}),
        ("POST", f"/conversations/{sender}/trigger_intent?output_channel=latest&{token}", {"name": "confirm_return"}),
    ]
    # The signed webhooks went out too.
    assert "conversation.handed_back" in world.receiver.types()


def test_the_consumer_refuses_to_start_for_a_source_nobody_created(model_svc: Services) -> None:
    from warmline.bots.rasa.consumer import RasaConsumer
    from warmline.bots.sources import BotSources
    from warmline.bots.wiring import BotIngestion
    from warmline.errors import ConfigurationError

    bots = BotIngestion(BotSources(model_svc.store.engine, model_svc.store.token_secret()), None)
    consumer = RasaConsumer(model_svc, bots, RasaConfig(enabled=True, source="nobody"))
    with pytest.raises(ConfigurationError, match="warmline token create --role bot --name nobody"):
        asyncio.run(consumer.start())
