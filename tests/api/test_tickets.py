"""Tokens stay out of URLs and logs: streams open with short-lived tickets for one path, tokens in
a query string are not accepted, and every log line is masked, uvicorn's access log included."""

from __future__ import annotations

import io
import logging
import time

import httpx

from tests.conftest import LiveServer, staff_token, start_chat
from warmline.api import tickets
from warmline.conversation import actions
from warmline.privacy.logs import install_log_masking, mask


def test_a_ticket_opens_its_stream_only(client) -> None:  # type: ignore[no-untyped-def]
    chat, other = start_chat(client), start_chat(client)
    path = f"/v1/conversations/{chat.id}/stream"
    issued = client.post("/v1/stream-tickets", json={"path": path}, headers=chat.auth)
    assert issued.status_code == 201
    ticket = issued.json()["ticket"]
    assert ticket.startswith("wlt_") and chat.token not in ticket
    assert issued.json()["url"] == f"{path}?ticket={ticket}"
    # For another stream, the ticket is worthless; a customer gets no ticket for another chat's.
    wrong = client.get(f"/v1/conversations/{other.id}/stream", params={"ticket": ticket})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_token")
    theirs = client.post("/v1/stream-tickets", json={"path": f"/v1/conversations/{other.id}/stream"}, headers=chat.auth)
    assert theirs.status_code == 201  # issued, but the stream itself checks who may read
    refused = client.get(f"/v1/conversations/{other.id}/stream", params={"ticket": theirs.json()["ticket"]})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "not_your_conversation")
    forged = client.get(path, params={"ticket": ticket[:-3] + "AAA"})
    assert (forged.status_code, forged.json()["error"]["code"]) == (401, "invalid_token")
    # Tickets are only for streams, and only for a caller with a token.
    bad = client.post("/v1/stream-tickets", json={"path": "/v1/queues"}, headers=chat.auth)
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_request")
    anonymous = client.post("/v1/stream-tickets", json={"path": path})
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "missing_token")


def test_tickets_expire(client) -> None:  # type: ignore[no-untyped-def]
    svc = client.app.state.services
    lead = staff_token(svc, "lead", [])
    me = client.get("/v1/me", headers=lead).json()
    secret = svc.store.token_secret()
    token = lead["Authorization"].split(" ", 1)[1]
    principal = client.app.state.authenticator.authenticate(token)
    assert principal.id == me["id"]
    old = tickets.issue_ticket(secret, principal, token, "/v1/inbox/stream", 60, time.time() - 61)
    expired = client.get("/v1/inbox/stream", params={"ticket": old})
    assert (expired.status_code, expired.json()["error"]["code"]) == (401, "invalid_token")
    assert "expired" in expired.json()["error"]["message"]


def test_tokens_in_the_query_string_are_not_accepted(client) -> None:  # type: ignore[no-untyped-def]
    chat = start_chat(client)
    response = client.get(f"/v1/conversations/{chat.id}/stream", params={"access_token": chat.token})
    assert (response.status_code, response.json()["error"]["code"]) == (401, "missing_token")


def test_log_lines_never_hold_a_token() -> None:
    install_log_masking()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger = logging.getLogger("warmline.test.masking")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("token wls_AbC-123_x and %s", "wlc_cv_1.sig")
        logger.info("%s", {"nested": "wlt_abc.def"})
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert "AbC" not in text and "cv_1" not in text and "abc.def" not in text
    assert "wls_***" in text and "wlc_***" in text
    assert mask("GET /v1/x?access_token=wls_secret%3D HTTP/1.1") == "GET /v1/x?access_token=wls_*** HTTP/1.1"


def test_the_access_log_is_masked(services) -> None:  # type: ignore[no-untyped-def]
    server = LiveServer(services, access_log=True).start()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    try:
        started = actions.do_start_conversation(services)
        url = f"{server.url}/v1/conversations/{started.conversation_id}?access_token={started.customer_token}"
        httpx.get(url)
        deadline = time.monotonic() + 5
        while "GET /v1/conversations" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        access.removeHandler(handler)
        server.stop()
    line = out.getvalue()
    assert "access_token=wlc_***" in line
    assert started.customer_token not in line
