"""Every page sends a CSP, frame-ancestors and nosniff, /lead/metrics and /docs included; no page
runs inline script except /docs' one start script, pinned by its hash; the sidebar may be
framed only by the configured desk origins."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.testclient import TestClient

from tests.conftest import make_services
from warmline.app import create_app

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)


def directives(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    policy = response.headers["content-security-policy"]
    return {d.strip().split(" ", 1)[0]: d.strip().partition(" ")[2] for d in policy.split(";") if d.strip()}


def test_every_page_has_a_policy_and_no_inline_script(client) -> None:  # type: ignore[no-untyped-def]
    for path in ("/agent", "/lead", "/lead/metrics", "/chat", "/sidebar"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.headers["x-content-type-options"] == "nosniff", path
        policy = directives(page)
        assert "unsafe-inline" not in policy["script-src"] and "frame-ancestors" in policy, path
        assert INLINE.findall(page.text) == [], path
    assert directives(client.get("/lead/metrics"))["frame-ancestors"] == "'self'"
    for asset in ("metrics-dashboard.js", "metrics-dashboard.css"):
        assert client.get(f"/web/{asset}").status_code == 200


def test_the_docs_page_allows_only_its_own_start_script(client) -> None:  # type: ignore[no-untyped-def]
    docs = client.get("/docs")
    assert docs.status_code == 200 and docs.headers["x-content-type-options"] == "nosniff"
    policy = directives(docs)
    assert policy["frame-ancestors"] == "'none'"
    scripts = INLINE.findall(docs.text)
    assert scripts
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"]
    assert "unsafe-inline" not in policy["script-src"]
    assert client.get("/redoc").status_code == 404


def test_the_sidebar_is_framed_only_by_the_desks(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(sqlite_url, desk_origins="https://acme.zendesk.com https://acme.lightning.force.com")
    try:
        with TestClient(create_app(svc.settings, services=svc)) as client:
            ancestors = directives(client.get("/sidebar"))["frame-ancestors"]
            assert ancestors == "'self' https://acme.zendesk.com https://acme.lightning.force.com"
            assert directives(client.get("/agent"))["frame-ancestors"] == "'self'"
    finally:
        svc.close()


def test_api_answers_are_nosniff_too(client) -> None:  # type: ignore[no-untyped-def]
    for response in (client.get("/v1/me"), client.post("/v1/conversations", json={}), client.get("/healthz")):
        assert response.headers["x-content-type-options"] == "nosniff"
