"""The four desks configured against their fakes, and a running Warmline wired to them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.test_agents import EscalatingBot
from tests.conftest import make_services
from tests.integrations.fakes import CONVERSATION_FIELD, FakeDesks
from warmline.app import create_app
from warmline.integrations.intercom import Intercom, IntercomConfig
from warmline.integrations.salesforce import Salesforce, SalesforceConfig
from warmline.integrations.servicenow import ServiceNow, ServiceNowConfig
from warmline.integrations.wiring import Integrations, install_integrations
from warmline.integrations.zendesk import Zendesk, ZendeskConfig

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "whsec-test-secret"
SUNCO_WEBHOOK_KEY = "sunco-webhook-key"


def fixture(desk: str, name: str, **replace: str) -> Any:
    text = json.dumps(json.loads((FIXTURES / f"{desk}.json").read_text())[name])
    for placeholder, value in replace.items():
        text = text.replace(f"__{placeholder.upper()}__", value)
    return json.loads(text)


def desks(**overrides: Any) -> dict[str, Any]:
    zendesk = {
        "enabled": True,
        "base_url": "https://acme.zendesk.com",
        "webhook_secret": SECRET,
        "email": "bot@acme.test",
        "api_token": "zd-token",
        "sunco_app_id": "app_1",
        "sunco_key_id": "key_1",
        "sunco_secret": "sc",
        "sunco_webhook_secret": SUNCO_WEBHOOK_KEY,
        "group_ids": {"billing": "360001", "fraud": "360002"},
        "conversation_field_id": CONVERSATION_FIELD,
        "team_field_id": "360005",
        **overrides.get("zendesk", {}),
    }
    salesforce = {
        "enabled": True,
        "base_url": "https://acme.my.salesforce.com",
        "webhook_secret": SECRET,
        "access_token": "sf-token",
        "refresh_token": "sf-refresh",
        "client_id": "3MVG9-consumer-key",
        "client_secret": "sf-client-secret",
        "service_channel_id": "0N9D0000000Cases",
        "skill_ids": {"refunds": "0C5D0000000Refnd"},
        **overrides.get("salesforce", {}),
    }
    intercom = {
        "enabled": True,
        "webhook_secret": SECRET,
        "access_token": "ic-token",
        "admin_id": "814",
        "team_ids": {"billing": "5017691", "fraud": "5017692"},
        **overrides.get("intercom", {}),
    }
    servicenow = {
        "enabled": True,
        "base_url": "https://acme.service-now.com",
        "webhook_secret": SECRET,
        "username": "warmline",
        "password": "pw",
        "group_ids": {"billing": "8a5055c9c61122780043563ef53438e3"},
        **overrides.get("servicenow", {}),
    }
    return {
        "zendesk": Zendesk(config=ZendeskConfig(**zendesk)),
        "salesforce": Salesforce(config=SalesforceConfig(**salesforce)),
        "intercom": Intercom(config=IntercomConfig(**intercom)),
        "servicenow": ServiceNow(config=ServiceNowConfig(**servicenow)),
    }


@dataclass
class World:
    client: TestClient
    integrations: Integrations
    fake: FakeDesks

    def drain(self) -> None:
        self.integrations.dispatcher.drain()

    def events(self, cid: str) -> list[str]:
        return [r.type for r in self.client.app.state.services.store.load_events(cid)]  # type: ignore[attr-defined]

    def post(self, desk: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        return self.client.post(f"/v1/integrations/{desk}/webhook", content=json.dumps(body).encode(), headers=headers)


@pytest.fixture
def world(sqlite_url: str) -> Iterator[World]:
    svc = make_services(sqlite_url, bot=EscalatingBot())
    fake = FakeDesks()
    client = httpx.Client(transport=httpx.MockTransport(fake.handler))
    integrations = install_integrations(svc, desks=desks(), client=client, public_url="https://warmline.acme.test")
    integrations.dispatcher.rng = random.Random(1)
    integrations.background = False
    app = create_app(svc.settings, services=svc, integrations=integrations)
    with TestClient(app) as test_client:
        yield World(test_client, integrations, fake)
    svc.close()


def now_s() -> str:
    return str(int(time.time()))


def iso_now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def sign_zendesk(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or now_s()
    signature = base64.b64encode(hmac.new(SECRET.encode(), timestamp.encode() + body, hashlib.sha256).digest())
    return {
        "X-Zendesk-Webhook-Signature": signature.decode(),
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


def zendesk_event(name: str, conversation_id: str = "", ticket_id: str = "35436") -> tuple[bytes, dict[str, str]]:
    event = fixture("zendesk", name)
    ticket = {**fixture("zendesk", "ticket", conversation=conversation_id), "id": ticket_id}
    event["detail"] = ticket if event.get("detail") == "__TICKET__" else event["detail"]
    body = json.dumps(event).encode()
    return body, sign_zendesk(body)


def sunco_message(sunco_id: str, text: str, key: str = SUNCO_WEBHOOK_KEY, event_id: str = "") -> tuple[bytes, dict]:
    event = fixture("zendesk", "sunco_message", sunco=sunco_id, text=text, now=iso_now())
    if event_id:
        event["events"][0]["id"] = event_id
    return json.dumps(event).encode(), {"X-API-Key": key, "Content-Type": "application/json"}


def sign_flow(body: bytes, delivery: str, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or now_s()
    signature = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "X-Warmline-Timestamp": timestamp,
        "X-Warmline-Signature": signature,
        "X-Warmline-Delivery": delivery,
        "Content-Type": "application/json",
    }


def intercom_notification(
    topic: str,
    parts: Sequence[str] = (),
    notif: str = "",
    **item: Any,
) -> tuple[bytes, dict[str, str]]:
    """A webhook notification whose item is the documented conversation with ``parts`` appended."""
    envelope = fixture("intercom", "notification")
    conversation = {**fixture("intercom", "conversation"), **item}
    conversation["conversation_parts"] = {
        "type": "conversation_part.list",
        "conversation_parts": [fixture("intercom", "parts")[p] for p in parts],
        "total_count": len(parts),
    }
    envelope.update(topic=topic, created_at=int(time.time()), id=notif or f"notif_{topic}_{time.time_ns()}")
    envelope["data"]["item"] = conversation
    body = json.dumps(envelope).encode()
    signature = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()
    return body, {"X-Hub-Signature": signature, "Content-Type": "application/json"}
