"""Outside bots: a service with the embedded model, a bot source, and a recording webhook."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from warmline.app import build_services, create_app
from warmline.bots.sources import BotSources, SourceSettings
from warmline.bus.memory import MemoryBus
from warmline.config import Settings
from warmline.conversation.actions import Services
from warmline.integrations.wiring import Integrations, install_integrations
from warmline.packs.demo_data import load_demo_data
from warmline.staffing import do_create_staff

WEBHOOK_URL = "https://bot.example.test/warmline/events"


@dataclass
class Receiver:
    """The bot's webhook endpoint: records every request, answers ``status``."""

    requests: list[httpx.Request] = field(default_factory=list)
    status: int = 200

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json={"ok": True})

    def webhooks(self) -> list[httpx.Request]:
        """The requests to the bot's webhook URL (a Rasa server's calls are elsewhere)."""
        return [r for r in self.requests if str(r.url) == WEBHOOK_URL]

    def events(self) -> list[dict]:
        return [json.loads(r.content) for r in self.webhooks()]

    def types(self) -> list[str]:
        return [e["type"] for e in self.events()]


@dataclass
class BotWorld:
    client: TestClient
    svc: Services
    integrations: Integrations
    receiver: Receiver
    token: str
    secret: str
    name: str = "acme-bot"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def open(self, external_id: str = "conv-1", **body: object) -> Any:
        data = {"source": self.name, "external_id": external_id, "channel": "web", **body}
        return self.client.post("/v1/conversations", json=data, headers=self.auth)

    def turns(self, conversation_id: str, *turns: dict, **headers: str) -> Any:
        return self.client.post(
            f"/v1/conversations/{conversation_id}/turns", json={"turns": list(turns)}, headers={**self.auth, **headers}
        )

    def deliver(self) -> None:
        self.integrations.dispatcher.drain()


def model_services(url: str) -> Services:
    config = Settings(database_url=url, environment="test", cold_transfer_share=0.0)  # type: ignore[arg-type]
    svc = build_services(config, bus=MemoryBus())
    load_demo_data(svc)
    return svc


def make_world(svc: Services, *, shadow: bool = False, settings: SourceSettings | None = None) -> Iterator[BotWorld]:
    receiver = Receiver()
    client = httpx.Client(transport=httpx.MockTransport(receiver.handle))
    integrations = install_integrations(svc, desks={}, client=client)
    integrations.background = False  # the test drives the dispatcher
    sources = BotSources(svc.store.engine, svc.store.token_secret())
    created = sources.create("acme-bot", WEBHOOK_URL, shadow=shadow, settings=settings)
    app = create_app(svc.settings, services=svc, integrations=integrations)
    with TestClient(app) as test_client:
        yield BotWorld(test_client, svc, integrations, receiver, created["token"], created["webhook_secret"])


def agent_headers(svc: Services, teams: list[str]) -> dict[str, str]:
    created = do_create_staff(svc.store, "Ann", "agent", teams)
    svc.store.set_presence(created["id"], "online")
    return {"Authorization": f"Bearer {created['token']}"}


@pytest.fixture
def model_svc(database_url: str) -> Iterator[Services]:
    svc = model_services(database_url)
    yield svc
    svc.close()


@pytest.fixture
def world(model_svc: Services) -> Iterator[BotWorld]:
    yield from make_world(model_svc)
