"""Stream tickets: how a browser opens an SSE stream without putting its token in a URL.

``EventSource`` cannot send an ``Authorization`` header, and whatever is in a URL ends up in
access logs, proxies and browser history. So a page first asks, with its bearer token in the
header, for a ticket for one stream path; the ticket works only for that path, only for
``stream_ticket_ttl_s`` seconds after it was issued (a stream already open stays open), and
only for whoever asked for it. Tickets are signed with the instance secret, so any instance
behind the load balancer accepts them and nothing is stored. A staff ticket carries the hash
of the staff token (never the token), so a revoked token's tickets stop working too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from warmline.api.deps import bearer_token, principal, services
from warmline.auth import Authenticator, Principal, hash_token
from warmline.conversation.actions import Services
from warmline.errors import AuthError

TICKET_PREFIX = "wlt_"
STREAM_PATH = re.compile(r"^/v1/(conversations/[A-Za-z0-9_-]{1,40}/stream|inbox/stream)$")

router = APIRouter(prefix="/v1", tags=["streams"])


class TicketRequest(BaseModel):
    path: str = Field(
        pattern=STREAM_PATH.pattern,
        max_length=80,
        description="the stream to open, e.g. /v1/conversations/cv_.../stream or /v1/inbox/stream",
    )


class Ticket(BaseModel):
    ticket: str
    expires_in: int
    url: str


def _mac(secret: str, payload: bytes) -> str:
    digest = hmac.new(secret.encode(), b"stream-ticket\n" + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue_ticket(secret: str, caller: Principal, token: str, path: str, ttl_s: int, now: float) -> str:
    subject = caller.id if caller.role == "customer" else hash_token(token)
    claims = {"k": "customer" if caller.role == "customer" else "staff", "s": subject, "p": path, "x": int(now) + ttl_s}
    payload = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{TICKET_PREFIX}{payload}.{_mac(secret, payload.encode())}"


def redeem_ticket(authenticator: Authenticator, secret: str, ticket: str, path: str, now: float) -> Principal:
    """The principal a ticket stands for, if it is genuine, unexpired and for ``path``."""
    body = ticket[len(TICKET_PREFIX) :] if ticket.startswith(TICKET_PREFIX) else ""
    payload, _, mac = body.partition(".")
    if not payload or not hmac.compare_digest(mac.encode(), _mac(secret, payload.encode()).encode()):
        raise AuthError("invalid stream ticket", code="invalid_token")
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    if claims.get("p") != path:
        raise AuthError("this stream ticket is for another stream", code="invalid_token")
    if int(claims.get("x", 0)) < now:
        raise AuthError("the stream ticket has expired: ask for a new one", code="invalid_token")
    if claims.get("k") == "customer":
        return Principal("customer", str(claims["s"]))
    staff = authenticator.staff_by_hash(str(claims["s"]))
    if staff is None:
        raise AuthError("the token behind this stream ticket is no longer valid", code="invalid_token")
    return staff


async def stream_caller(request: Request) -> Principal:
    """The caller of a stream: a bearer token in the header, or a ticket in ``?ticket=``."""
    ticket = request.query_params.get("ticket")
    if ticket is None or bearer_token(request) is not None:
        return await principal(request)
    authenticator: Authenticator = request.app.state.authenticator
    svc: Services = request.app.state.services
    secret = await run_in_threadpool(svc.store.token_secret)
    return await run_in_threadpool(redeem_ticket, authenticator, secret, ticket, request.url.path, time.time())


@router.post("/stream-tickets", status_code=201, response_model=Ticket)
async def create_ticket(
    body: TicketRequest, request: Request, caller: Principal = Depends(principal), svc: Services = Depends(services)
) -> dict[str, Any]:
    """A short-lived ticket for one stream, for clients that cannot send headers (EventSource):
    open ``url`` (the path with ``?ticket=``) within ``expires_in`` seconds."""
    token = bearer_token(request) or ""
    secret = await run_in_threadpool(svc.store.token_secret)
    ttl = svc.settings.stream_ticket_ttl_s
    ticket = issue_ticket(secret, caller, token, body.path, ttl, time.time())
    return {"ticket": ticket, "expires_in": ttl, "url": f"{body.path}?ticket={ticket}"}
