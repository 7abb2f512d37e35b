"""Support-desk integrations against recorded request/response shapes (httpx.MockTransport):
the exact requests sent per desk, error handling, a desk outage during a burst of handoffs, and
the webhook suite."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.test_agents import EscalatingBot
from tests.conftest import make_services, staff_token, start_chat
from warmline.app import create_app
from warmline.integrations.intercom import Intercom, IntercomConfig
from warmline.integrations.outbound import Dispatcher
from warmline.integrations.salesforce import Salesforce, SalesforceConfig
from warmline.integrations.servicenow import ServiceNow, ServiceNowConfig
from warmline.integrations.wiring import install_integrations
from warmline.integrations.zendesk import Zendesk, ZendeskConfig

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "whsec-test-secret"


def fixture(desk: str, name: str, conversation_id: str = "") -> Any:
    data = json.loads((FIXTURES / f"{desk}.json").read_text())[name]
    return json.loads(json.dumps(data).replace("__CONVERSATION__", conversation_id))


def desks() -> dict[str, Any]:
    return {
        "zendesk": Zendesk(
            config=ZendeskConfig(
                enabled=True,
                base_url="https://acme.zendesk.com",
                webhook_secret=SECRET,
                email="bot@acme.test",
                api_token="zd-token",
                sunco_app_id="app_1",
                sunco_key_id="key_1",
                sunco_secret="sc",
                group_ids={"billing": 360001},
            )
        ),
        "salesforce": Salesforce(
            config=SalesforceConfig(
                enabled=True, base_url="https://acme.my.salesforce.com", webhook_secret=SECRET, access_token="sf-token"
            )
        ),
        "intercom": Intercom(
            config=IntercomConfig(
                enabled=True,
                webhook_secret=SECRET,
                access_token="ic-token",
                admin_id="814",
                team_ids={"billing": "5017691"},
            )
        ),
        "servicenow": ServiceNow(
            config=ServiceNowConfig(
                enabled=True,
                base_url="https://acme.service-now.com",
                webhook_secret=SECRET,
                username="warmline",
                password="pw",
            )
        ),
    }


class Desks:
    """A fake of the four desks: records every request; ``answer`` decides each response."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answer: Callable[[httpx.Request], httpx.Response] = lambda request: httpx.Response(201, json={})

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)

    def sent(self, host: str) -> list[tuple[str, str, dict[str, Any] | None]]:
        return [
            (r.method, r.url.raw_path.decode(), json.loads(r.content) if r.content else None)
            for r in self.requests
            if r.url.host == host
        ]


@pytest.fixture
def world(sqlite_url):
    svc = make_services(sqlite_url, bot=EscalatingBot())
    fake = Desks()
    client = httpx.Client(transport=httpx.MockTransport(fake.handler))
    integrations = install_integrations(svc, desks=desks(), client=client, public_url="https://warmline.acme.test")
    integrations.dispatcher.rng = random.Random(1)
    integrations.background = False
    app = create_app(svc.settings, services=svc, integrations=integrations)
    with TestClient(app) as test_client:
        yield test_client, integrations, fake
    svc.close()


def escalate(client: TestClient, sunco: bool = False) -> str:
    chat = start_chat(client, customer_name="Ann")
    chat.say("a person please")
    return chat.id


def test_a_handoff_reaches_every_desk_with_the_exact_requests(world) -> None:
    client, integrations, fake = world
    cid = escalate(client)
    report = integrations.dispatcher.drain()
    assert (report.sent, report.dead) == (4, 0)
    zendesk = fake.sent("acme.zendesk.com")
    assert [(m, p) for m, p, _ in zendesk] == [("POST", "/api/v2/tickets.json")]
    ticket = zendesk[0][2]["ticket"]
    assert ticket["external_id"] == cid and ticket["group_id"] == 360001 and ticket["priority"] == "normal"
    assert ticket["comment"]["public"] is False and "SUMMARY" in ticket["comment"]["body"]
    assert "DRAFT REPLY" in ticket["comment"]["body"]
    zendesk_request = next(r for r in fake.requests if r.url.host == "acme.zendesk.com")
    assert (
        zendesk_request.headers["authorization"]
        == "Basic " + base64.b64encode(b"bot@acme.test/token:zd-token").decode()
    )
    salesforce = fake.sent("acme.my.salesforce.com")
    assert [(m, p) for m, p, _ in salesforce] == [
        ("PATCH", f"/services/data/v60.0/sobjects/Case/Warmline_Conversation_Id__c/{cid}"),
        ("POST", "/services/data/v60.0/sobjects/CaseComment"),
    ]
    assert salesforce[0][2]["Warmline_Team__c"] == "billing" and salesforce[1][2]["IsPublished"] is False
    servicenow = fake.sent("acme.service-now.com")
    assert [(m, p) for m, p, _ in servicenow] == [("POST", "/api/now/table/sn_customerservice_case")]
    assert servicenow[0][2]["correlation_id"] == cid and "work_notes" in servicenow[0][2]
    # Intercom only hears about conversations that came from Intercom.
    assert fake.sent("api.intercom.io") == []


def test_zendesk_passes_control_within_the_metadata_limit_and_takes_it_back() -> None:
    desk = desks()["zendesk"]
    body = {
        "conversation_id": "cv_1",
        "team": "billing",
        "priority": 2,
        "payload": {"summary": "x" * 9000},
        "external": {"sunco_conversation_id": "c_77"},
    }
    requests = desk.outbound("handoff", body)
    assert (requests[0].method, requests[0].path) == ("POST", "/sc/v2/apps/app_1/conversations/c_77/passControl")
    assert requests[0].json["switchboardIntegration"] == "next"
    assert len(json.dumps(requests[0].json["metadata"]).encode()) <= 4096
    assert all(isinstance(v, str | int | float | bool) for v in requests[0].json["metadata"].values())
    back = desk.outbound("handback", body)
    assert back[0].json["switchboardIntegration"] == "bot"


def test_intercom_assigns_notes_and_sets_attributes() -> None:
    desk = desks()["intercom"]
    body = {
        "conversation_id": "cv_1",
        "team": "billing",
        "priority": 1,
        "trigger": "frustration",
        "payload": {"summary": "S"},
        "external": {"intercom_conversation_id": "147"},
    }
    requests = desk.outbound("handoff", body)
    assert [(r.method, r.path) for r in requests] == [
        ("PUT", "/conversations/147"),
        ("POST", "/conversations/147/parts"),
        ("POST", "/conversations/147/parts"),
    ]
    assert requests[0].json["custom_attributes"]["warmline_team"] == "billing"
    assert requests[1].json["message_type"] == "note"
    assert requests[2].json == {
        "message_type": "assignment",
        "type": "team",
        "admin_id": "814",
        "assignee_id": "5017691",
    }
    assert desk.headers()["Intercom-Version"] == "2.11"


@pytest.mark.parametrize(
    ("status", "headers", "outcome"),
    [
        (401, {}, "dead"),
        (404, {}, "dead"),
        (409, {}, "sent"),
        (429, {"Retry-After": "30"}, "retry"),
        (503, {}, "retry"),
        (None, {}, "retry"),  # a timeout
    ],
    ids=["401", "404", "409", "429-retry-after", "5xx", "timeout"],
)
def test_desk_errors(world, status, headers, outcome) -> None:
    client, integrations, fake = world

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host != "acme.service-now.com":
            return httpx.Response(201, json={})
        if status is None:
            raise httpx.ReadTimeout("desk too slow", request=request)
        return httpx.Response(status, headers=headers, json={"error": {"message": "x"}})

    fake.answer = answer
    escalate(client)
    before = datetime.now(UTC)
    integrations.dispatcher.run_once()
    item = next(i for i in integrations.outbox.items(desk="servicenow"))
    expected = {"dead": "dead", "sent": "sent", "retry": "pending"}[outcome]
    assert item.status == expected
    if status == 429:
        assert item.next_attempt_at >= before + timedelta(seconds=29)
        assert item.attempts == 0  # waiting out a rate limit is not a failure
    if outcome == "retry" and status != 429:
        assert item.attempts == 1 and item.next_attempt_at > before
    if outcome == "dead":
        assert str(status) in (item.last_error or "")


def test_a_desk_outage_during_a_burst_delivers_every_handoff_once_and_in_order(world) -> None:
    client, integrations, fake = world
    outage = {"failures_left": 15}
    delivered: list[tuple[str, str, str]] = []  # (method, path, case status) the desk accepted

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.host != "acme.my.salesforce.com":
            return httpx.Response(201, json={})
        if outage["failures_left"] > 0:
            outage["failures_left"] -= 1
            return httpx.Response(503)
        status = json.loads(request.content).get("Status", "") if isinstance(json.loads(request.content), dict) else ""
        delivered.append((request.method, request.url.raw_path.decode(), status))
        return httpx.Response(201, json={})

    fake.answer = answer
    clock = {"now": datetime.now(UTC)}
    integrations.dispatcher.clock = lambda: clock["now"]
    integrations.outbox.clock = lambda: clock["now"]
    agent = staff_token(client.app.state.services, "agent", ["billing"])
    conversations = []
    for n in range(6):
        cid = escalate(client)
        conversations.append(cid)
        integrations.dispatcher.run_once()  # the desk is down while the burst arrives
        if n % 2 == 0:  # half of them are also handed back: a second call that must come after
            client.post(f"/v1/conversations/{cid}/claim", headers=agent)
            client.post(f"/v1/conversations/{cid}/handback", json={"note": "done"}, headers=agent)
    for _ in range(60):
        integrations.dispatcher.run_once()
        clock["now"] += timedelta(minutes=10)  # let every backoff expire
    assert all(i.status == "sent" for i in integrations.outbox.items(desk="salesforce"))
    for n, cid in enumerate(conversations):
        case_calls = [status for _, p, status in delivered if p.endswith(f"/Case/Warmline_Conversation_Id__c/{cid}")]
        # exactly one accepted upsert for the handoff, and for the handback one after it
        assert case_calls == (["New", "Handed Back"] if n % 2 == 0 else ["New"]), cid
    comments = [p for m, p, _ in delivered if m == "POST"]
    assert len(comments) == len(conversations)


def sign_zendesk(body: bytes, timestamp: str) -> dict[str, str]:
    signature = base64.b64encode(hmac.new(SECRET.encode(), timestamp.encode() + body, hashlib.sha256).digest()).decode()
    return {
        "X-Zendesk-Webhook-Signature": signature,
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


def sign_flow(body: bytes, timestamp: str, delivery: str) -> dict[str, str]:
    signature = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "X-Warmline-Timestamp": timestamp,
        "X-Warmline-Signature": signature,
        "X-Warmline-Delivery": delivery,
        "Content-Type": "application/json",
    }


def sign_intercom(body: bytes) -> dict[str, str]:
    return {
        "X-Hub-Signature": "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest(),
        "Content-Type": "application/json",
    }


def events_of(client: TestClient, cid: str) -> list[str]:
    return [r.type for r in client.app.state.services.store.load_events(cid)]  # type: ignore[attr-defined]


def test_desk_webhooks_drive_the_same_actions_as_the_workspace(world) -> None:
    client, _, _ = world
    cid = escalate(client)
    now = str(int(time.time()))
    body = json.dumps(fixture("zendesk", "comment_added", cid)).encode()
    answer = client.post("/v1/integrations/zendesk/webhook", content=body, headers=sign_zendesk(body, now))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "applied" and answer.json()["conversation_status"] == "WITH_AGENT"
    assert events_of(client, cid)[-2:] == ["claimed", "agent_message"]
    # The same delivery again (a desk retry) changes nothing.
    again = client.post("/v1/integrations/zendesk/webhook", content=body, headers=sign_zendesk(body, now))
    assert again.json()["status"] == "duplicate"
    assert events_of(client, cid)[-2:] == ["claimed", "agent_message"]
    handback = json.dumps(fixture("servicenow", "handed_back", cid)).encode()
    answer = client.post(
        "/v1/integrations/servicenow/webhook", content=handback, headers=sign_flow(handback, now, "sn-1")
    )
    assert answer.status_code == 403 or answer.json()["error"]["code"] == "not_assigned"
    solved = json.dumps(fixture("zendesk", "status_solved", cid)).encode()
    answer = client.post("/v1/integrations/zendesk/webhook", content=solved, headers=sign_zendesk(solved, now))
    assert answer.json()["conversation_status"] == "CLOSED"


def test_intercom_and_salesforce_webhooks(world) -> None:
    client, _, _ = world
    cid = escalate(client)
    replied = fixture("intercom", "admin_replied", cid)
    replied["created_at"] = int(time.time())
    body = json.dumps(replied).encode()
    answer = client.post("/v1/integrations/intercom/webhook", content=body, headers=sign_intercom(body))
    assert answer.status_code == 200, answer.text
    assert events_of(client, cid)[-1] == "agent_message"
    other = escalate(client)
    body = json.dumps(fixture("salesforce", "agent_replied", other)).encode()
    answer = client.post(
        "/v1/integrations/salesforce/webhook", content=body, headers=sign_flow(body, str(int(time.time())), "sf-1")
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    "case",
    ["bad-signature", "stale-timestamp", "malformed-body", "unknown-event", "unsigned", "not-an-object"],
)
def test_bad_webhooks_are_refused_and_change_nothing(world, case: str) -> None:
    client, _, _ = world
    cid = escalate(client)
    before = events_of(client, cid)
    now = str(int(time.time()))
    body = json.dumps(fixture("zendesk", "comment_added", cid)).encode()
    headers = sign_zendesk(body, now)
    expected = (401, "bad_signature")
    if case == "bad-signature":
        headers["X-Zendesk-Webhook-Signature"] = base64.b64encode(b"0" * 32).decode()
    elif case == "stale-timestamp":
        old = str(int(time.time()) - 3600)
        headers = sign_zendesk(body, old)
        expected = (401, "stale_webhook")
    elif case == "malformed-body":
        body = b'{"type": "zen:event-type:ticket.comment_added", '
        headers = sign_zendesk(body, now)
        expected = (422, "malformed_json")
    elif case == "unknown-event":
        body = json.dumps(fixture("zendesk", "unknown_event", cid)).encode()
        headers = sign_zendesk(body, now)
        expected = (422, "unsupported_event")
    elif case == "unsigned":
        headers = {"Content-Type": "application/json"}
    elif case == "not-an-object":
        body = b"[1, 2]"
        headers = sign_zendesk(body, now)
        expected = (422, "malformed_webhook")
    answer = client.post("/v1/integrations/zendesk/webhook", content=body, headers=headers)
    assert (answer.status_code, answer.json()["error"]["code"]) == expected
    assert events_of(client, cid) == before


def test_a_replayed_delivery_with_a_new_signature_is_still_applied_once(world) -> None:
    client, _, _ = world
    cid = escalate(client)
    body = json.dumps(fixture("salesforce", "agent_replied", cid)).encode()
    first = client.post(
        "/v1/integrations/salesforce/webhook", content=body, headers=sign_flow(body, str(int(time.time())), "d-7")
    )
    replay = client.post(
        "/v1/integrations/salesforce/webhook", content=body, headers=sign_flow(body, str(int(time.time()) + 1), "d-7")
    )
    assert first.json()["status"] == "applied" and replay.json()["status"] == "duplicate"
    assert events_of(client, cid).count("agent_message") == 1


def test_unknown_or_disabled_desk(world) -> None:
    client, _, _ = world
    answer = client.post(
        "/v1/integrations/freshdesk/webhook", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "unknown_desk")


def test_dispatcher_dead_letters_a_desk_that_is_not_configured(sqlite_url) -> None:
    svc = make_services(sqlite_url, bot=EscalatingBot())
    try:
        integrations = install_integrations(
            svc, desks=desks(), client=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(201)))
        )
        integrations.background = False
        with TestClient(create_app(svc.settings, services=svc, integrations=integrations)) as client:
            escalate(client)
        lonely = Dispatcher(
            integrations.outbox, {}, httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(201)))
        )
        assert lonely.run_once().dead == 4
        assert integrations.outbox.retry_dead(desk="zendesk") == 1
    finally:
        svc.close()


def test_integrations_cli(sqlite_url, monkeypatch) -> None:
    from typer.testing import CliRunner

    from warmline.cli import app

    runner = CliRunner()
    monkeypatch.setenv("WARMLINE_DATABASE_URL", sqlite_url)
    result = runner.invoke(app, ["integrations", "check", "zendesk", "--dry-run"])
    assert result.exit_code == 1 and "api_token" in result.output
    env = {
        "WARMLINE_SERVICENOW_ENABLED": "true",
        "WARMLINE_SERVICENOW_BASE_URL": "https://acme.service-now.com",
        "WARMLINE_SERVICENOW_WEBHOOK_SECRET": "s",
        "WARMLINE_SERVICENOW_USERNAME": "u",
        "WARMLINE_SERVICENOW_PASSWORD": "p",
    }
    result = runner.invoke(app, ["integrations", "check", "servicenow", "--dry-run"], env=env)
    assert result.exit_code == 0 and "configuration complete" in result.output
    assert runner.invoke(app, ["integrations", "check", "freshdesk"]).exit_code == 2
    result = runner.invoke(app, ["integrations", "outbox", "--status", "dead", "--json"])
    assert result.exit_code == 0 and json.loads(result.output) == []
    assert "0 call(s)" in runner.invoke(app, ["integrations", "retry"]).output


def test_intercom_canvas_shows_the_payload(world) -> None:
    client, _, _ = world
    cid = escalate(client)
    body = json.dumps({"conversation": {"id": "147", "custom_attributes": {"warmline_conversation_id": cid}}}).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = client.post(
        "/v1/integrations/intercom/canvas/initialize",
        content=body,
        headers={"X-Body-Signature": signature, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    components = answer.json()["canvas"]["content"]["components"]
    assert components[1]["text"] == "Customer asks for a person."
    assert components[-1]["action"]["url"].endswith(f"/sidebar?conversation={cid}")
    forged = client.post(
        "/v1/integrations/intercom/canvas/initialize",
        content=body,
        headers={"X-Body-Signature": "0" * 64, "Content-Type": "application/json"},
    )
    assert forged.json()["error"]["code"] == "bad_signature"
