"""Cursors are 64-bit: any in range reads cleanly on every database, larger ones are a 422."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from tests.conftest import LiveServer, make_services, staff_token, start_chat
from warmline.app import create_app

BIG = 2**63 - 1


def test_large_cursors_read_cleanly_or_are_refused(database_url) -> None:
    svc = make_services(database_url)
    try:
        with TestClient(create_app(svc.settings, services=svc)) as client:
            chat = start_chat(client)
            events = f"/v1/conversations/{chat.id}/events"
            for after in (2**31 - 1, 2**31, 2**32 + 5, BIG):
                response = client.get(events, params={"after": after}, headers=chat.auth)
                assert response.status_code == 200, (after, response.text)
                assert response.json() == {"events": [], "last_seq": after, "more": False}
            for after in (BIG + 1, 10**30):
                response = client.get(events, params={"after": after}, headers=chat.auth)
                assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_request")
            staff = staff_token(svc, "lead", [])
            for header in ("99999999999999999999", "9223372036854775808", "١٢".encode(), "-1", "1e3"):
                response = client.get(f"/v1/conversations/{chat.id}/stream", headers={**staff, "Last-Event-ID": header})  # type: ignore[arg-type]
                assert (response.status_code, response.json()["error"]["code"]) == (422, "invalid_last_event_id")
    finally:
        svc.close()


def test_a_stream_resumes_from_a_cursor_past_32_bits(database_url) -> None:
    svc = make_services(database_url, stream_keepalive_s=0.2)
    server = LiveServer(svc).start()
    try:
        created = httpx.post(f"{server.url}/v1/conversations", json={}).json()
        auth = {"Authorization": f"Bearer {created['customer_token']}", "Last-Event-ID": str(2**40)}
        url = f"{server.url}/v1/conversations/{created['conversation_id']}/stream"
        with httpx.stream("GET", url, headers=auth, timeout=5) as response:
            assert response.status_code == 200
            lines = response.iter_lines()
            assert next(lines) == "retry: 1000"
            for line in lines:
                assert not line.startswith("id:")  # nothing after that cursor
                if line == ": keep-alive":
                    break
    finally:
        server.stop()
        svc.close()
