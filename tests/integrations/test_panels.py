"""The panels shipped for each desk: the Zendesk ticket-sidebar app (the apps validator's checks,
and the app rendering in Chromium against a stand-in of the ZAF client), the ServiceNow UI page
(in Chromium against a stand-in of the Table API), the Salesforce Lightning Web Component (its
jest tests, with Salesforce's LWC jest tooling). The Intercom Canvas is tested in
test_webhooks.py."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

INTEGRATIONS = Path(__file__).parents[2] / "warmline" / "integrations"
ZENDESK_APP = INTEGRATIONS / "zendesk" / "app"
SFDX = INTEGRATIONS / "salesforce" / "sfdx"
UI_PAGE = INTEGRATIONS / "servicenow" / "sys_ui_page_x_warmline_payload.xml"
PAYLOAD = json.loads((Path(__file__).parent / "fixtures" / "payload.json").read_text())
# What the apps framework accepts (developer.zendesk.com/apps/docs/apps-v2/manifest).
PARAMETER_TYPES = {"text", "password", "checkbox", "url", "number", "multiline", "hidden", "oauth"}
LOCATIONS = {
    "support": {
        "ticket_sidebar",
        "new_ticket_sidebar",
        "user_sidebar",
        "organization_sidebar",
        "top_bar",
        "nav_bar",
        "background",
        "modal",
        "ticket_editor",
    }
}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's chromium, for this module only: closed before the web tests start their own
    (two Playwright instances at once share one event loop and fail)."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is NOT installed (apt-get install chromium, or `make browser`): panel tests skipped"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def manifest_problems(app: Path) -> list[str]:
    """The checks the apps validator (zcli apps:validate) makes of a private app's package."""
    problems: list[str] = []
    try:
        manifest = json.loads((app / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        return [f"manifest.json: {exc}"]
    author = manifest.get("author") or {}
    for key in ("name", "email"):
        if not author.get(key):
            problems.append(f"author.{key} is required")
    if manifest.get("frameworkVersion") != "2.0":
        problems.append("frameworkVersion must be 2.0")
    locale = manifest.get("defaultLocale")
    if not locale:
        problems.append("defaultLocale is required")
    translations: dict[str, Any] = {}
    try:
        translations = json.loads((app / "translations" / f"{locale}.json").read_text())
    except (OSError, ValueError) as exc:
        problems.append(f"translations/{locale}.json: {exc}")
    if not (translations.get("app") or {}).get("name") and not manifest.get("name"):
        problems.append("the app has no name")
    for product, locations in (manifest.get("location") or {}).items():
        for name, location in locations.items():
            if name not in LOCATIONS.get(product, set()):
                problems.append(f"unknown location {product}.{name}")
            url = location.get("url") if isinstance(location, dict) else location
            if url and not re.match(r"https://", url) and not (app / url).is_file():
                problems.append(f"{product}.{name}: {url} is not in the package")
    names = [p.get("name") for p in manifest.get("parameters") or []]
    if len(names) != len(set(names)):
        problems.append("parameter names must be unique")
    labels = (translations.get("app") or {}).get("parameters") or {}
    for parameter in manifest.get("parameters") or []:
        if parameter.get("type") not in PARAMETER_TYPES:
            problems.append(f"parameter {parameter.get('name')}: type {parameter.get('type')!r}")
        if parameter.get("secure") and parameter.get("type") in ("hidden", "checkbox", "oauth"):
            problems.append(f"parameter {parameter['name']}: a {parameter['type']} setting cannot be secure")
        if not (labels.get(parameter.get("name")) or {}).get("label"):
            problems.append(f"parameter {parameter.get('name')}: no label in translations/{locale}.json")
    if any(p.get("secure") for p in manifest.get("parameters") or []) and not manifest.get("domainWhitelist"):
        problems.append("a secure setting needs domainWhitelist")
    for path in app.rglob("*"):
        top = path.relative_to(app).parts[0]
        if path.is_file() and top not in ("assets", "translations", "manifest.json", "README.md"):
            problems.append(f"{path.relative_to(app)} is not allowed in an app package")
    return problems


def test_the_zendesk_app_passes_the_apps_validators_checks() -> None:
    assert manifest_problems(ZENDESK_APP) == []


def test_the_validator_checks_catch_what_zendesk_refuses(tmp_path: Path) -> None:
    broken = tmp_path / "app"
    shutil.copytree(ZENDESK_APP, broken)
    (broken / "translations" / "en.json").unlink()
    manifest = json.loads((broken / "manifest.json").read_text())
    manifest["domainWhitelist"] = []
    (broken / "manifest.json").write_text(json.dumps(manifest))
    problems = manifest_problems(broken)
    assert any("translations/en.json" in p for p in problems) and "a secure setting needs domainWhitelist" in problems


def test_the_secure_token_only_ever_travels_as_a_placeholder() -> None:
    scripts = "\n".join(p.read_text() for p in (ZENDESK_APP / "assets").glob("*.js"))
    assert "access_token" not in scripts
    assert "settings.warmline_token" not in scripts  # the value never reaches JavaScript
    assert "{{setting.warmline_token}}" in scripts and "secure: true" in scripts


ZAF_STUB = """
window.__requests = [];
window.ZAFClient = { init: function () { return {
  invoke: function () {},
  metadata: function () { return Promise.resolve({ settings: { warmline_url: "https://warmline.example.com/",
                                                               conversation_field_id: "360001234" } }); },
  get: function (fields) { var data = {}; fields.forEach(function (f) { data[f] = window.__ticket[f] || null; });
                           return Promise.resolve(data); },
  request: function (options) {
    window.__requests.push(options);
    return window.__answer ? Promise.resolve(window.__answer) : Promise.reject({ status: 404 });
  }
}; } };
"""


def open_app(browser: Any, ticket: dict[str, str], answer: dict[str, Any] | None) -> Any:
    page = browser.new_page(viewport={"width": 340, "height": 900})
    page.route(
        "https://static.zdassets.com/**", lambda route: route.fulfill(body=ZAF_STUB, content_type="text/javascript")
    )
    page.add_init_script(f"window.__ticket = {json.dumps(ticket)}; window.__answer = {json.dumps(answer)};")
    page.goto((ZENDESK_APP / "assets" / "iframe.html").as_uri())
    return page


@pytest.mark.browser
def test_the_zendesk_app_shows_summary_draft_next_action_and_citations(chromium: Any) -> None:
    cid = PAYLOAD["payload"]["conversation_id"]
    page = open_app(chromium, {"ticket.externalId": cid}, PAYLOAD)
    page.wait_for_selector(".summary")
    payload = PAYLOAD["payload"]
    assert page.inner_text(".summary") == payload["summary"]
    assert page.inner_text(".draft") == payload["draft"]["text"]
    assert page.inner_text(".action") == payload["next_action"]["action"]
    assert payload["citations"][0]["title"] in page.inner_text(".citations")
    [request] = page.evaluate("window.__requests")
    assert request["url"] == f"https://warmline.example.com/v1/conversations/{cid}/payload"
    assert request["secure"] is True and request["headers"] == {"Authorization": "Bearer {{setting.warmline_token}}"}
    page.close()
    # A messaging ticket has no external id: the conversation field names the conversation.
    page = open_app(chromium, {"ticket.customField:custom_field_360001234": cid}, None)
    page.wait_for_selector(".muted")
    assert page.inner_text("#warmline") == "No Warmline handoff for this ticket."
    assert page.evaluate("window.__requests")[0]["url"].endswith(f"/{cid}/payload")
    page.close()


@pytest.mark.browser
def test_the_servicenow_side_panel_renders_the_case_payload(chromium: Any) -> None:
    record = ElementTree.parse(UI_PAGE).getroot().find("sys_ui_page")
    assert record is not None and record.findtext("endpoint") == "x_warmline_payload.do"
    body = re.search(r"<j:jelly[^>]*>(.*)</j:jelly>", record.findtext("html") or "", re.S)
    assert body is not None
    script = record.findtext("client_script") or ""
    document = (
        f"<html><body>{body.group(1)}<script>window.g_ck = 'ck-123';</script><script>{script}</script></body></html>"
    )
    from warmline.integrations.base import panel_document

    payload = PAYLOAD["payload"]
    stored = panel_document({"conversation_id": payload["conversation_id"], "team": "orders", "payload": payload})
    seen: list[dict[str, str]] = []

    def table_api(route: Any) -> None:
        seen.append({"url": route.request.url, "token": route.request.headers.get("x-usertoken", "")})
        route.fulfill(json={"result": {"u_warmline_payload": stored}})

    page = chromium.new_page(viewport={"width": 360, "height": 900})
    page.route("https://acme.service-now.com/api/now/table/**", table_api)
    page.route(
        "https://acme.service-now.com/x_warmline_payload.do*",
        lambda route: route.fulfill(body=document, content_type="text/html"),
    )
    page.goto("https://acme.service-now.com/x_warmline_payload.do?sysparm_sys_id=46d44a5ddb1c2010a6b7f3c2ca960000")
    page.wait_for_selector(".summary")
    assert page.inner_text(".summary") == payload["summary"]
    assert page.inner_text(".draft") == payload["draft"]["text"]
    assert page.inner_text(".next-action") == payload["next_action"]["action"]
    assert payload["citations"][0]["title"] in page.inner_text(".citations")
    assert seen == [
        {
            "url": "https://acme.service-now.com/api/now/table/sn_customerservice_case/46d44a5ddb1c2010a6b7f3c2ca960000"
            "?sysparm_fields=u_warmline_payload&sysparm_display_value=false",
            "token": "ck-123",
        }
    ]
    page.close()


def test_the_lightning_web_component_passes_its_jest_tests() -> None:
    jest = SFDX / "node_modules" / ".bin" / "jest"
    if not jest.exists() or shutil.which("node") is None:
        message = f"{jest} is NOT installed (`make lwc` runs npm ci): the LWC jest tests are skipped"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(
        [str(jest), "--ci", "--silent"],
        cwd=SFDX,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CI": "true"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"Tests:\s+\d+ passed, \d+ total", result.stderr + result.stdout)
