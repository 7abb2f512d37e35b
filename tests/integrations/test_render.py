"""`warmline integrations render`, `check`, `outbox`, `retry`, and the outbox store on both
databases."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.integrations.fakes import CONVERSATION_FIELD
from tests.integrations.published import check_zendesk_ticket, intercom, sunshine_conversations
from warmline.cli import app

PAYLOAD = Path(__file__).parent / "fixtures" / "payload.json"
STEPS = {"handoff", "transfer", "handback", "close"}
CONFIGURED = {
    "WARMLINE_ZENDESK_BASE_URL": "https://acme.zendesk.com",
    "WARMLINE_ZENDESK_EMAIL": "bot@acme.test",
    "WARMLINE_ZENDESK_API_TOKEN": "zd-secret-token",
    "WARMLINE_ZENDESK_SUNCO_APP_ID": "app_1",
    "WARMLINE_ZENDESK_SUNCO_KEY_ID": "key_1",
    "WARMLINE_ZENDESK_SUNCO_SECRET": "sunco-secret",
    "WARMLINE_ZENDESK_GROUP_IDS": '{"orders": "360001", "triage": "360003"}',
    "WARMLINE_ZENDESK_CONVERSATION_FIELD_ID": CONVERSATION_FIELD,
    "WARMLINE_ZENDESK_TEAM_FIELD_ID": "360005",
    "WARMLINE_ZENDESK_SUMMARY_FIELD_ID": "360006",
    "WARMLINE_INTERCOM_ACCESS_TOKEN": "ic-secret-token",
    "WARMLINE_INTERCOM_ADMIN_ID": "814",
    "WARMLINE_INTERCOM_TEAM_IDS": '{"orders": "5017691", "triage": "5017693"}',
}


def render(desk: str, *args: str, env: dict[str, str] | None = None) -> list[dict]:
    result = CliRunner().invoke(
        app, ["integrations", "render", desk, "--payload", str(PAYLOAD), "--json", *args], env=env
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def as_request(shown: dict) -> httpx.Request:
    return httpx.Request(shown["method"], shown["url"], headers=shown["headers"], json=shown["json"])


@pytest.mark.parametrize("desk", ["zendesk", "salesforce", "intercom", "servicenow"])
def test_render_prints_every_step_with_secrets_masked(desk: str) -> None:
    shown = render(desk, env=CONFIGURED)
    assert {s["step"] for s in shown} == STEPS
    assert all(set(s) == {"step", "method", "url", "headers", "json"} for s in shown)
    text = json.dumps(shown)
    assert "secret-token" not in text and "sunco-secret" not in text
    assert all(s["headers"]["Authorization"].endswith(" ****") for s in shown)


def test_every_intercom_request_rendered_validates_against_the_published_openapi() -> None:
    for env in (CONFIGURED, None):  # configured, and with visible placeholders
        for shown in render("intercom", "--to-team", "triage", env=env):
            intercom().check(as_request({**shown, "headers": {**shown["headers"], "Authorization": "Bearer x"}}))


def test_every_zendesk_request_rendered_validates_against_the_published_description() -> None:
    for origin in ("desk", "web"):
        shown = render("zendesk", "--origin", origin, "--to-team", "triage", env=CONFIGURED)
        for request in shown:
            if "/sc/" in request["url"]:
                sunshine_conversations().check(as_request({**request, "headers": {"Authorization": "Basic eDp5"}}))
            elif request["method"] in ("POST", "PUT"):
                check_zendesk_ticket(as_request(request))
        creates = [s for s in shown if s["method"] == "POST" and s["url"].endswith("/api/v2/tickets.json")]
        if origin == "web":
            assert len(creates) == 1 and creates[0]["headers"]["Idempotency-Key"]
        else:
            assert creates == []  # a control pass never makes a second ticket
            control = next(s for s in shown if s["url"].endswith("/passControl"))
            assert f"dataCapture.ticketField.{CONVERSATION_FIELD}" in control["json"]["metadata"]
        assert len([s for s in shown if s["method"] == "POST" and "/tickets" in s["url"]]) <= 1


def test_rendered_salesforce_and_servicenow_requests_keep_the_documented_rules() -> None:
    for shown in render("salesforce"):
        body = shown["json"] or {}
        assert not str(body.get("ParentId", "")).startswith("@{")
        assert len(str(body.get("CommentBody", "")).encode()) <= 4000
    patches = [s["url"] for s in render("servicenow") if s["method"] == "PATCH"]
    assert patches and all(re.search(r"/api/now/table/sn_customerservice_case/[^/?]+$", url) for url in patches)


def test_unconfigured_settings_render_as_visible_placeholders() -> None:
    text = json.dumps(render("zendesk", "--origin", "web") + render("zendesk"))
    for placeholder in ("<subdomain>", "<group_id>", "<sunco_app_id>", "<conversation_field_id>", "<ticket_id>"):
        assert placeholder in text, placeholder
    assert "<service_channel_id>" in json.dumps(render("salesforce"))
    assert "<sys_id>" in json.dumps(render("servicenow"))
    assert "<team_id>" in json.dumps(render("intercom"))


def test_render_refuses_what_is_not_a_payload(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"summary": "no conversation"}')
    result = CliRunner().invoke(app, ["integrations", "render", "zendesk", "--payload", str(bad), "--json"])
    assert result.exit_code == 2 and "malformed_payload" in result.output
    assert CliRunner().invoke(app, ["integrations", "render", "freshdesk", "--payload", str(PAYLOAD)]).exit_code == 2


def test_integrations_cli(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.setenv("WARMLINE_DATABASE_URL", sqlite_url)
    result = runner.invoke(app, ["integrations", "check", "zendesk", "--dry-run"])
    assert result.exit_code == 1 and "api_token" in result.output and "sunco_secret" in result.output
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


def test_outbox_progress_and_desk_links(database_url: str) -> None:
    from warmline.storage.sql.engine import make_engine, migrate
    from warmline.storage.sql.outbox import OutboxStore
    from warmline.storage.sql.schema import outbox

    engine = make_engine(database_url)
    migrate(engine)
    store = OutboxStore(engine)
    with engine.begin() as connection:
        now = store.clock()
        row = {"desk": "servicenow", "conversation_id": "cv_1", "seq": 1, "kind": "handoff", "body": "{}"}
        connection.execute(
            outbox.insert().values(**row, status="pending", attempts=0, next_attempt_at=now, created_at=now)
        )
    item = store.items()[0]
    item = store.record_step(item, "case", {"sys_id": "abc"})
    assert store.items()[0].done == ("case",) and store.links("servicenow", "cv_1") == {"sys_id": "abc"}
    store.link("servicenow", "cv_1", {"sys_id": "def", "number": "CS1"})
    assert store.links("servicenow", "cv_1") == {"sys_id": "def", "number": "CS1"}
    assert store.conversation_for("servicenow", "sys_id", "def") == "cv_1"
    assert store.conversation_for("zendesk", "sys_id", "def") is None
    store.mark_dead(item.id, 1, "x")
    assert store.retry_dead() == 1 and store.items()[0].done == ("case",)  # a retry keeps the progress
    engine.dispose()
