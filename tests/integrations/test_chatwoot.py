"""Chatwoot with Warmline as its Agent Bot, through the webhook route and the outbox, against
Chatwoot's recorded shapes (httpx.MockTransport answering the documented responses)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from tests.bots.conftest import model_services
from warmline.app import create_app
from warmline.conversation.actions import Services
from warmline.integrations.chatwoot import Chatwoot, ChatwootConfig
from warmline.integrations.wiring import Integrations, install_integrations

FIXTURES = Path(__file__).parent / "fixtures" / "chatwoot"
BASE = "https://chatwoot.acme.test"
SECRET = "cw-webhook-secret"
CONVERSATION = f"{BASE}/api/v1/accounts/7/conversations/41"
TEAM_IDS = {"orders": "4", "billing": "5", "triage": "9"}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())  # type: ignore[no-any-return]


@dataclass
class FakeChatwoot:
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path.endswith("/messages"):  # the created message (swagger: generic_id + message)
            body = json.loads(request.content)
            return httpx.Response(200, json={"id": 1000 + len(self.requests), "content": body["content"]})
        if path.endswith("/toggle_status"):
            status = json.loads(request.content)["status"]
            return httpx.Response(200, json={"meta": {}, "payload": {"success": True, "current_status": status}})
        if path.endswith("/custom_attributes"):
            return httpx.Response(200, json={"custom_attributes": json.loads(request.content)["custom_attributes"]})
        if path.endswith("/assignments"):
            return httpx.Response(200, json={"id": 4, "name": "Orders"})
        return httpx.Response(404, json={"error": "not found"})

    def sent(self) -> list[tuple[str, str, dict[str, Any], str]]:
        return [
            (r.method, str(r.url).removeprefix(CONVERSATION), json.loads(r.content), r.headers["api_access_token"])
            for r in self.requests
        ]


@dataclass
class World:
    client: TestClient
    svc: Services
    integrations: Integrations
    chatwoot: FakeChatwoot

    def webhook(self, payload: dict[str, Any], *, secret: str = SECRET, at: float | None = None) -> Any:
        body = json.dumps(payload).encode()
        timestamp = str(int(at if at is not None else time.time()))
        signature = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        headers = {
            "content-type": "application/json",
            "x-chatwoot-signature": signature,
            "x-chatwoot-timestamp": timestamp,
        }
        return self.client.post("/v1/integrations/chatwoot/webhook", content=body, headers=headers)

    def drain(self) -> None:
        self.integrations.dispatcher.drain()


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    svc = model_services(sqlite_url)
    fake = FakeChatwoot()
    config = ChatwootConfig(
        enabled=True,
        base_url=BASE,
        account_id="7",
        bot_token=SecretStr("bot-token"),
        user_token=SecretStr("user-token"),
        webhook_secret=SecretStr(SECRET),
        team_ids=TEAM_IDS,
    )
    client = httpx.Client(transport=httpx.MockTransport(fake.handle))
    integrations = install_integrations(svc, desks={"chatwoot": Chatwoot(config=config)}, client=client)
    integrations.background = False
    with TestClient(create_app(svc.settings, services=svc, integrations=integrations)) as test_client:
        yield World(test_client, svc, integrations, fake)
    svc.close()


def test_chatwoot_bot_answers_hands_off_to_the_team_and_takes_back_on_pending(world: World) -> None:
    incoming = fixture("message_created_incoming")
    answered = world.webhook(incoming)
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "applied" and answered.json()["conversation_status"] == "BOT"
    cid = answered.json()["conversation_id"]
    assert world.webhook(incoming).json()["status"] == "duplicate"  # Chatwoot's retry of the same message
    world.drain()
    [(method, path, reply, token)] = world.chatwoot.sent()
    assert (method, path, token) == ("POST", "/messages", "bot-token")
    assert reply["message_type"] == "outgoing" and reply["private"] is False and reply["content"]
    # The bot's own message coming back is not a turn.
    assert world.webhook(fixture("message_created_bot")).json()["status"] == "ignored"

    ask = {**incoming, "id": 903, "content": "I want to talk to a person"}
    escalated = world.webhook(ask).json()
    assert escalated["conversation_status"] == "WAITING_FOR_AGENT"
    team = world.svc.store.load_state(cid).team
    world.drain()
    calls = world.chatwoot.sent()[1:]
    steps = [(m, p, t) for m, p, _, t in calls]
    assert ("POST", "/custom_attributes", "user-token") in steps
    assert ("POST", "/toggle_status", "bot-token") in steps
    attributes = next(b for _, p, b, _ in calls if p == "/custom_attributes")["custom_attributes"]
    assert attributes["warmline_conversation_id"] == cid and attributes["warmline_team"] == team
    note = next(b for _, p, b, _ in calls if p == "/messages" and b["private"])
    assert "SUMMARY" in note["content"] and "8812345678" in note["content"]
    assert next(b for _, p, b, _ in calls if p == "/toggle_status") == {"status": "open"}
    assert next(b for _, p, b, _ in calls if p == "/assignments") == {"team_id": int(TEAM_IDS[str(team)])}

    # The agent answers in Chatwoot (claiming it), then sets it back to pending: a handback.
    agent = fixture("message_created_agent")
    agent["conversation"]["custom_attributes"] = attributes
    replied = world.webhook(agent).json()
    assert replied["status"] == "applied" and replied["conversation_status"] == "WITH_AGENT"
    pending = {**fixture("conversation_status_changed_pending"), "custom_attributes": attributes}
    handed = world.webhook(pending).json()
    assert handed["status"] == "applied" and handed["conversation_status"] == "BOT"
    events = [r.type for r in world.svc.store.load_events(cid)]
    assert events.count("agent_message") == 1 and "handed_back" in events
    world.drain()
    after = [(p, b) for _, p, b, _ in world.chatwoot.sent()[1 + len(calls) :]]
    # The handback came from Chatwoot, so nothing of it is echoed back but the bot's resume message
    # to the customer; the agent's own reply is not echoed either.
    public = [b["content"] for p, b in after if p == "/messages" and not b["private"]]
    assert public and all("started the return" not in text for text in public)


def test_unsigned_forged_or_stale_webhooks_change_nothing(world: World) -> None:
    incoming = fixture("message_created_incoming")
    assert world.webhook(incoming, secret="wrong").status_code == 401
    assert world.webhook(incoming, at=time.time() - 3600).status_code == 401
    unsigned = world.client.post("/v1/integrations/chatwoot/webhook", json=incoming)
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "bad_signature"
    assert world.svc.store.list_states() == []


def test_the_dashboard_app_is_embeddable() -> None:
    from warmline.web.routes import CSP

    assert "frame-ancestors {ancestors}" in CSP
    script = (Path(__file__).parents[2] / "warmline" / "web" / "static" / "chatwoot-app.js").read_text()
    assert "chatwoot-dashboard-app:fetch-info" in script and "appContext" in script


def test_the_dashboard_app_page(world: World) -> None:
    page = world.client.get("/chatwoot/app")
    assert page.status_code == 200 and "chatwoot-app.js" in page.text
    assert "frame-ancestors *" in page.headers["content-security-policy"]
