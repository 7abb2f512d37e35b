"""A bus outage loses nothing: with Redis unreachable every write answers 2xx and is stored once,
streams fall back to reading the log, and /healthz says the service is degraded."""

from __future__ import annotations

import time

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.test_agents import EscalatingBot, escalate
from tests.conftest import LiveServer, free_port, staff_token, start_chat
from warmline.app import build_services, create_app
from warmline.bus.base import create_bus
from warmline.config import Settings


@pytest.fixture
def broken_bus_services(sqlite_url):
    # A port nobody listens on: every connection is refused, as when Redis is down.
    settings = Settings(database_url=sqlite_url, environment="test", stream_keepalive_s=5.0)
    svc = build_services(settings, bot=EscalatingBot(), bus=create_bus(f"redis://127.0.0.1:{free_port()}/0"))
    yield svc
    svc.close()


def test_every_write_is_stored_once_and_answered_2xx(broken_bus_services) -> None:
    svc = broken_bus_services
    with TestClient(create_app(svc.settings, services=svc)) as client:
        chat = start_chat(client)
        for i in range(5):
            assert chat.say(f"question {i}").status_code == 201
        waiting = escalate(client)
        agent = staff_token(svc, "agent", ["billing"])
        base = f"/v1/conversations/{waiting.id}"
        for path, body, status in [
            ("claim", None, 200),
            ("agent-messages", {"text": "Hello, I am here."}, 201),
            ("notes", {"text": "checked"}, 201),
            ("resolve", {}, 200),
        ]:
            response = client.post(f"{base}/{path}", json=body, headers=agent)
            assert response.status_code == status, (path, response.text)
        assert client.post(f"{base}/survey", json={"score": 5}, headers=waiting.auth).status_code == 201
        asked = [e.event.text for e in svc.store.load_events(chat.id) if e.type == "customer_message"]  # type: ignore[attr-defined]
        assert asked == [f"question {i}" for i in range(5)]
        types = [e.type for e in svc.store.load_events(waiting.id)]
        for once in ("claimed", "agent_message", "note_added", "closed", "survey_answered"):
            assert types.count(once) == 1, once

        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["checks"]["database"] == "ok"
        assert health.json()["checks"]["bus"].startswith("unreachable")
        assert client.get("/readyz").json()["ready"] is True


def test_streams_read_the_log_while_the_bus_is_down(broken_bus_services) -> None:
    server = LiveServer(broken_bus_services).start()
    try:
        created = httpx.post(f"{server.url}/v1/conversations", json={}).json()
        auth = {"Authorization": f"Bearer {created['customer_token']}"}
        url = f"{server.url}/v1/conversations/{created['conversation_id']}"
        with httpx.stream("GET", f"{url}/stream", headers=auth, timeout=10) as stream:
            lines = stream.iter_lines()
            seen = [line for line in _until(lines, "event: conversation_started")]
            assert seen
            started = time.monotonic()
            assert httpx.post(f"{url}/messages", json={"text": "anyone there?"}, headers=auth).status_code == 201
            list(_until(lines, "event: customer_message"))
            assert time.monotonic() - started < 4  # polled, not the 5 s keep-alive
    finally:
        server.stop()


def _until(lines, wanted: str):
    for line in lines:
        yield line
        if line == wanted:
            return
    raise AssertionError(f"the stream ended before {wanted!r}")


def test_health_reports_every_dependency(client) -> None:
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "checks": {"database": "ok", "bus": "ok"}}
    assert client.get("/readyz").json() == {"ready": True, "checks": {"database": "ok", "bus": "ok"}}
