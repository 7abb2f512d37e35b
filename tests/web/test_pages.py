"""The web pages and the lead audit API through HTTP (no browser)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import staff_token, start_chat
from tests.web.scripted_bot import DemoHandoffBot
from warmline.app import create_app


@pytest.fixture
def web(services):
    services.bot = DemoHandoffBot()
    with TestClient(create_app(services.settings, services=services)) as client:
        yield client


# The chat is framed on customers' sites; the sidebar only by the configured desk origins (none here).
@pytest.mark.parametrize(
    "path, embeddable", [("/", False), ("/agent", False), ("/lead", False), ("/sidebar", False), ("/chat", True)]
)
def test_pages_are_served_with_a_strict_content_security_policy(web, path, embeddable) -> None:
    response = web.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert csp.endswith("frame-ancestors *" if embeddable else "frame-ancestors 'self'")
    assert "<script>" not in response.text  # no inline script: everything comes from /web/*.js


def test_the_start_page_leads_to_every_surface_and_says_how_to_get_a_token(web) -> None:
    page = web.get("/").text
    for link in ('href="/chat"', 'href="/agent"', 'href="/lead"', 'href="/lead/metrics"', 'href="/docs"'):
        assert link in page
    assert "warmline token create --role agent" in page and "--role lead" in page
    assert "December 1, 2026" in page  # the demo store's "today"


def test_static_assets_and_nothing_else(web) -> None:
    assert web.get("/web/launcher.js").headers["content-type"].startswith("text/javascript")
    assert web.get("/web/warmline.css").headers["content-type"].startswith("text/css")
    for bad in ("/web/../routes.py", "/web/routes.py", "/web/missing.js", "/web/%2e%2e%2fqueries.py"):
        assert web.get(bad).status_code == 404, bad


def escalate(web: TestClient, text: str = "order 12345 is broken, a person please") -> str:
    chat = start_chat(web)
    assert chat.say(text).json()["state"]["status"] == "WAITING_FOR_AGENT"
    return chat.id


def test_lead_audit_lists_decisions_routing_handoffs_and_transfers(web) -> None:
    svc = web.app.state.services
    lead, agent = staff_token(svc, "lead", []), staff_token(svc, "agent", ["billing"])
    first, second = escalate(web), escalate(web)
    assert web.post(f"/v1/conversations/{second}/claim", headers=agent).status_code == 200
    body = {"team": "fraud", "reason": "two countries"}
    moved = web.post(f"/v1/conversations/{second}/transfer", json=body, headers=agent)
    assert moved.status_code == 200

    everything = web.get("/v1/lead/audit", headers=lead).json()
    assert [row["type"] for row in everything["items"]][:1] == ["transferred"]
    assert len(everything["items"]) == 7
    decision = next(r for r in everything["items"] if r["type"] == "policy_decided")
    assert (decision["outcome"], decision["rule"]) == ("escalate", "human_request")
    assert decision["policy_version"] == "demo-3f9c2a1"
    assert everything["summary"]["escalations_by_rule"] == {"human_request": 2}
    assert everything["summary"]["transfers"] == {"billing → fraud": 1}

    transfers = web.get("/v1/lead/audit?type=transferred", headers=lead).json()["items"]
    assert [(t["conversation_id"], t["reason"]) for t in transfers] == [(second, "two countries")]
    only_first = web.get(f"/v1/lead/audit?conversation={first}", headers=lead).json()["items"]
    assert {r["conversation_id"] for r in only_first} == {first} and len(only_first) == 3
    assert web.get("/v1/lead/audit?team=fraud", headers=lead).json()["items"][0]["type"] == "transferred"
    assert web.get("/v1/lead/audit?team=orders", headers=lead).json()["items"] == []
    assert len(web.get("/v1/lead/audit?outcome=live", headers=lead).json()["items"]) == 2
    assert web.get("/v1/lead/audit?since=2999-01-01", headers=lead).json()["items"] == []


def test_lead_audit_is_for_leads_and_admins(web) -> None:
    svc = web.app.state.services
    escalate(web)
    response = web.get("/v1/lead/audit", headers=staff_token(svc, "agent", ["billing"]))
    assert (response.status_code, response.json()["error"]["code"]) == (403, "wrong_role")
    assert web.get("/v1/lead/audit").status_code == 401
    assert web.get("/v1/lead/audit", headers=staff_token(svc, "admin", [])).status_code == 200
    bad = web.get("/v1/lead/audit?type=claimed", headers=staff_token(svc, "lead", []))
    assert bad.status_code == 422
    assert web.get("/v1/lead/audit?since=yesterday", headers=staff_token(svc, "lead", [])).status_code == 422
