"""The ingestion API's contract: who may call, bad input, idempotency, concurrency, the policy
with the bot's own signals, shadow mode, and the OpenAPI document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from typer.testing import CliRunner

from tests.bots.conftest import BotWorld, agent_headers, make_world
from tests.conftest import staff_token, start_chat
from warmline.bots.ingest import do_open_conversation
from warmline.bots.sources import BotSources, SourceSettings
from warmline.cli import app
from warmline.conversation.actions import Services

HELLO = {"external_id": "c1", "role": "customer", "text": "Hi, where is my order? It is order 8812345678"}


def test_customers_still_start_chats_on_the_same_path(world: BotWorld) -> None:
    chat = start_chat(world.client, customer_name="Ann")
    assert chat.token.startswith("wlc_")
    refused = world.client.post("/v1/conversations", json={"source": "acme-bot", "external_id": "x"})
    assert refused.status_code == 422  # without a bot token this is a customer start: unknown fields


def test_who_may_call(world: BotWorld) -> None:
    cid = world.open("c-auth").json()["conversation_id"]
    staff = staff_token(world.svc, "agent", ["orders"])
    assert (
        world.client.post(f"/v1/conversations/{cid}/turns", json={"turns": [HELLO]}, headers=staff).json()["error"][
            "code"
        ]
        == "wrong_role"
    )
    assert world.client.post(f"/v1/conversations/{cid}/turns", json={"turns": [HELLO]}).status_code == 401
    wrong = world.client.post("/v1/conversations", json={"source": "other-bot", "external_id": "x"}, headers=world.auth)
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "wrong_source"
    # A bot does not work queues, nor read conversations outside the ingestion API.
    assert world.client.post(f"/v1/conversations/{cid}/claim", headers=world.auth).status_code == 403
    assert world.client.get(f"/v1/conversations/{cid}", headers=world.auth).json()["error"]["code"] == "wrong_role"
    # Another bot's conversation, and a customer chat, are not there for this bot.
    other = BotSources(world.svc.store.engine, world.svc.store.token_secret()).create(
        "other-bot", "https://other.example.test/hook"
    )
    theirs = world.client.post(
        "/v1/conversations",
        json={"source": "other-bot", "external_id": "c-auth"},
        headers={"Authorization": f"Bearer {other['token']}"},
    ).json()["conversation_id"]
    assert theirs != cid
    assert world.turns(theirs, HELLO).json()["error"]["code"] == "conversation_not_found"
    chat = start_chat(world.client)
    assert world.turns(chat.id, HELLO).status_code == 404


@pytest.mark.parametrize(
    ("turn", "code"),
    [
        ({**HELLO, "text": "  "}, "empty_message"),
        ({**HELLO, "text": "a\x00b"}, "control_character"),
        ({**HELLO, "role": "agent"}, "invalid_request"),
        ({**HELLO, "external_id": "has space"}, "invalid_request"),
        ({**HELLO, "analysis": {"confidence": 1.5}}, "invalid_request"),
        ({**HELLO, "handoff_requested": {"reason": ""}}, "invalid_request"),
    ],
)
def test_bad_turns_are_refused_and_change_nothing(world: BotWorld, turn: dict, code: str) -> None:
    cid = world.open("c-bad").json()["conversation_id"]
    before = world.svc.store.load_state(cid).last_seq
    response = world.turns(cid, turn)
    assert response.status_code in (413, 422) and response.json()["error"]["code"] == code
    assert world.svc.store.load_state(cid).last_seq == before


def test_the_same_id_twice_in_one_request_is_refused(world: BotWorld) -> None:
    cid = world.open("c-twice").json()["conversation_id"]
    response = world.turns(cid, HELLO, HELLO)
    assert response.status_code == 422 and response.json()["error"]["code"] == "duplicate_turn_id"


def test_idempotency_key_replays_the_first_answer(world: BotWorld) -> None:
    cid = world.open("c-key").json()["conversation_id"]
    first = world.turns(cid, HELLO, **{"Idempotency-Key": "k-1"})
    second = world.turns(cid, HELLO, **{"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 200
    assert second.json()["turns"][0]["duplicate"] is True
    assert second.json()["turns"][0]["seq"] == first.json()["turns"][0]["seq"]


def test_concurrent_opens_agree_on_one_conversation(world: BotWorld) -> None:
    source = world.client.app.state.bots.sources.get(world.name)  # type: ignore[attr-defined]

    def open_one(_: int) -> str:
        return do_open_conversation(world.svc, source, "c-race", "web").conversation_id

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(open_one, range(16)))
    assert len(ids) == 1


def test_the_bot_asking_for_a_person_escalates_as_bot_requested(world: BotWorld) -> None:
    cid = world.open("c-asks").json()["conversation_id"]
    handoff = {
        "external_id": "b1",
        "role": "bot",
        "text": "Let me get a colleague.",
        "handoff_requested": {"reason": "refund above the bot's limit"},
    }
    body = world.turns(cid, HELLO, handoff).json()
    assert body["decision"]["trigger"] == "bot_requested", body["decision"]
    assert "refund above the bot's limit" in body["decision"]["reason"]
    assert body["state"]["status"] == "WAITING_FOR_AGENT"
    staff = agent_headers(world.svc, [body["state"]["team"]])
    log = world.client.get(f"/v1/conversations/{cid}/events", headers=staff).json()["events"]
    decided = next(e for e in log if e["type"] == "policy_decided")["body"]["decision"]
    assert decided["inputs"]["bot"]["handoff_requested"] == "refund above the bot's limit"  # audited
    assert decided["source"] == "acme-bot"


def test_a_decision_with_nothing_to_escalate_continues(world: BotWorld) -> None:
    cid = world.open("c-calm").json()["conversation_id"]
    body = world.turns(cid, {**HELLO, "analysis": {"intent": "order_status", "confidence": 0.93}}).json()
    assert body["decision"]["outcome"] == "continue" and body["state"]["status"] == "BOT"


@pytest.fixture
def strict_world(model_svc: Services) -> Iterator[BotWorld]:
    settings = SourceSettings(confidence_threshold=0.6, intent_teams={"refund_request": "billing"})
    yield from make_world(model_svc, settings=settings)


def test_per_source_threshold_on_the_bots_own_confidence(strict_world: BotWorld) -> None:
    world = strict_world
    cid = world.open("c-unsure").json()["conversation_id"]
    world.turns(cid, HELLO, {"external_id": "b1", "role": "bot", "text": "Let me check that."})
    unsure = {
        "external_id": "c2",
        "role": "customer",
        "text": "and I was charged twice for it",
        "analysis": {"intent": "refund_request", "confidence": 0.31, "entities": [{"entity": "amount", "value": 49}]},
    }
    body = world.turns(cid, unsure).json()
    assert body["decision"]["trigger"] == "low_confidence", body["decision"]
    assert "0.31 < 0.60" in body["decision"]["reason"]
    assert body["state"]["team"] == "billing"  # the source's intent -> team map


@pytest.fixture
def shadow_world(model_svc: Services) -> Iterator[BotWorld]:
    yield from make_world(model_svc, shadow=True)


def test_shadow_mode_records_the_decision_and_acts_on_nothing(
    shadow_world: BotWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = shadow_world
    cid = world.open("c-shadow").json()["conversation_id"]
    body = world.turns(cid, {"external_id": "c1", "role": "customer", "text": "I want to talk to a person"}).json()
    assert body["decision"]["outcome"] == "escalate"
    assert body["decision"]["shadow"] is True and body["decision"]["acted"] is False
    assert body["state"]["status"] == "BOT"
    assert world.turns(cid, {"external_id": "b1", "role": "bot", "text": "Sure, one moment"}).status_code == 200
    world.deliver()
    assert world.receiver.requests == []
    # The bot asks for a person where Warmline would not: the report shows both sides.
    other = world.open("c-shadow-2").json()["conversation_id"]
    asks = {**HELLO, "handoff_requested": {"reason": "order lookups go to people"}}
    assert world.turns(other, asks).json()["decision"]["trigger"] == "bot_requested"
    assert world.turns(other, {**HELLO, "external_id": "c2", "text": "thanks"}).json()["decision"]["outcome"] == (
        "continue"
    )
    monkeypatch.setenv("WARMLINE_DATABASE_URL", world.svc.settings.database_url)
    result = CliRunner().invoke(app, ["bots", "report", "acme-bot", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["conversations"] == 2 and report["decisions"] == 3 and report["shadow_decisions"] == 3
    assert (report["both"], report["warmline_only"], report["bot_only"], report["neither"]) == (1, 1, 0, 1)
    assert report["by_trigger"] == {"bot_requested": 1, "human_request": 1}
    assert CliRunner().invoke(app, ["bots", "report", "nobody"]).exit_code == 2


def test_openapi_documents_the_ingestion_api(world: BotWorld) -> None:
    spec = world.client.get("/openapi.json").json()
    start = spec["paths"]["/v1/conversations"]["post"]
    refs = [s["$ref"] for s in start["requestBody"]["content"]["application/json"]["schema"]["oneOf"]]
    assert refs == ["#/components/schemas/StartConversation", "#/components/schemas/OpenConversation"]
    assert "200" in start["responses"] and "201" in start["responses"]
    turns = spec["paths"]["/v1/conversations/{conversation_id}/turns"]["post"]
    assert "409" in turns["responses"]
    for name in ("OpenConversation", "BotCustomer", "PostTurns", "BotTurn", "BotAnalysis", "TurnsPosted"):
        assert name in spec["components"]["schemas"], name
