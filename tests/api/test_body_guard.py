"""Bodies are checked before any route, dependency or parser spends work on them, chunked or not:
size (413), media type (415), UTF-8 and nesting (400 malformed_json); and an anonymous caller's
Idempotency-Key is theirs alone."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator

import httpx
from fastapi.testclient import TestClient

from tests.conftest import start_chat
from warmline.app import create_app


def error(response) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    return response.status_code, response.json()["error"]["code"]


def chunks(data: bytes, size: int = 4096) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_chunked_bodies_are_guarded_like_any_other(client) -> None:  # type: ignore[no-untyped-def]
    chat = start_chat(client)
    path = f"/v1/conversations/{chat.id}/messages"
    before = len(client.app.state.services.store.load_events(chat.id))
    plain = client.post(path, content=chunks(b"hello"), headers={**chat.auth, "Content-Type": "text/plain"})
    assert error(plain) == (415, "unsupported_media_type")
    json_type = {**chat.auth, "Content-Type": "application/json"}
    big = b'{"text": "' + b"a" * 100_000 + b'"}'
    assert error(client.post(path, content=chunks(big), headers=json_type)) == (413, "body_too_large")
    assert len(client.app.state.services.store.load_events(chat.id)) == before
    ok = client.post(path, content=chunks(b'{"text": "chunked hello"}', 5), headers=json_type)
    assert ok.status_code == 201, ok.text


def test_a_huge_chunked_body_is_refused_without_being_read(live_server) -> None:  # type: ignore[no-untyped-def]
    """40 MiB sent chunked over a real socket: the answer (413) comes after about the limit, and
    the server stops reading."""
    started = httpx.post(f"{live_server.url}/v1/conversations", json={}).json()
    head = (
        f"POST /v1/conversations/{started['conversation_id']}/messages HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: Bearer {started['customer_token']}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunk = b"%x\r\n%s\r\n" % (65536, b"a" * 65536)
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=5) as connection:
        connection.sendall(head + b'4\r\n{"t"\r\n')
        try:
            while sent < 40 * 1024 * 1024 and not answer:
                connection.sendall(chunk)
                sent += 65536
                if select.select([connection], [], [], 0)[0]:
                    answer = connection.recv(4096)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if not answer:
            answer = connection.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert b"body_too_large" in answer
    assert sent < 8 * 1024 * 1024, sent  # the socket buffers hold a few MiB at most


def test_bad_json_is_malformed_json_before_authentication(client) -> None:  # type: ignore[no-untyped-def]
    json_type = {"Content-Type": "application/json"}
    # No token at all: the body is refused first, without being parsed.
    invalid_utf8 = client.post("/v1/conversations/cv_x/messages", content=b'{"text": "\xff\xfe"}', headers=json_type)
    assert error(invalid_utf8) == (400, "malformed_json")
    deep = b"[" * 5000 + b"]" * 5000
    assert error(client.post("/v1/conversations", content=deep, headers=json_type)) == (400, "malformed_json")
    deep_object = b'{"a":' * 100 + b"1" + b"}" * 100
    assert error(client.post("/v1/conversations", content=deep_object, headers=json_type)) == (400, "malformed_json")
    # Brackets inside strings are text, not nesting.
    chat = start_chat(client)
    text = client.post(f"/v1/conversations/{chat.id}/messages", json={"text": "[" * 200}, headers=chat.auth)
    assert text.status_code == 201
    broken = client.post("/v1/conversations", content=b'{"channel": ', headers=json_type)
    assert error(broken) == (400, "malformed_json")


def test_anonymous_idempotency_keys_belong_to_their_caller(services) -> None:  # type: ignore[no-untyped-def]
    app = create_app(services.settings, services=services)
    key = {"Idempotency-Key": "start-1"}
    with (
        TestClient(app, client=("203.0.113.7", 5000)) as first,
        TestClient(app, client=("198.51.100.9", 5000)) as other,
    ):
        mine = first.post("/v1/conversations", json={}, headers=key)
        again = first.post("/v1/conversations", json={}, headers=key)
        theirs = other.post("/v1/conversations", json={}, headers=key)
    assert mine.status_code == again.status_code == theirs.status_code == 201
    assert again.json()["customer_token"] == mine.json()["customer_token"]  # a retry gets its answer
    assert theirs.json()["customer_token"] != mine.json()["customer_token"]  # another caller does not
    assert theirs.json()["conversation_id"] != mine.json()["conversation_id"]
