"""Request plumbing shared by the routes: services, the caller, Idempotency-Key, body guard."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from warmline.auth import Authenticator, Principal, Role
from warmline.conversation.actions import Services
from warmline.errors import InvalidInput
from warmline.storage.sql.groups import WriteGroup, WriteGroups
from warmline.storage.sql.store import IdempotencyClaim

T = TypeVar("T")
log = logging.getLogger("warmline.api")
STAFF: tuple[Role, ...] = ("agent", "lead", "admin")
IN_PROCESS_WAIT_S = 0.001
# Sequence numbers and feed positions are 64-bit signed integers; larger cursors are refused.
MAX_CURSOR = 2**63 - 1  # how often the loop looks whether a thread has freed SQLite's writer


# Dependencies are ``async`` on purpose: FastAPI runs a plain ``def`` dependency in the thread
# pool, and each hop costs more than the dependency's own work.
async def services(request: Request) -> Services:
    return request.app.state.services


async def run_action(svc: Services, action: Callable[..., T], *args: Any) -> T:
    """Run an action: blocking code that writes in a database transaction.

    SQLite takes one writer at a time, and a write there costs less than handing it to a thread
    (a round trip through the GIL) or than its own commit. So the event loop runs the action
    itself, in a group of writes that it commits once at the end of this turn of the loop (see
    ``warmline.storage.sql.groups``), and answers once that commit is done. While another thread of this
    process holds the writer (for milliseconds: a checkpoint, a desk webhook) the loop waits for
    it without blocking; while another process does, the action goes to the writer thread, whose
    connection waits with SQLite's busy timeout. PostgreSQL writes always go to the writer
    threads: they wait on the network and on row locks."""
    groups = svc.store.groups
    loop = asyncio.get_running_loop()
    if groups is not None:
        group = await _writing_group(groups, loop)
        if group is not None:
            result = action(svc, *args)  # its failure undoes its own writes only
            committed = loop.create_future()
            group.waiting.append(committed)
            await committed
            return result
    return await loop.run_in_executor(svc.writers, functools.partial(action, svc, *args))


async def _writing_group(groups: WriteGroups, loop: asyncio.AbstractEventLoop) -> WriteGroup | None:
    """The group open on the loop, or a new one; None when another process holds the writer."""
    while True:
        group = groups.open()
        if group is not None:
            return group
        if not groups.taken_here():
            group = groups.begin()
            if group is not None:
                loop.call_soon(_commit_group, groups, group)
                return group
            if not groups.taken_here():
                return None  # another process
        await asyncio.sleep(IN_PROCESS_WAIT_S)


def _commit_group(groups: WriteGroups, group: WriteGroup) -> None:
    try:
        groups.commit()
    except Exception as error:  # nothing of the group is stored: each request fails
        log.exception("committing a group of %d writes failed", len(group.waiting))
        outcome: BaseException | None = error
    else:
        outcome = None
    for committed in group.waiting:
        if committed.done():  # the request was cancelled; its write stands
            continue
        if outcome is None:
            committed.set_result(None)
        else:
            committed.set_exception(outcome)


@dataclass(frozen=True)
class Write:
    """What a write route needs: the caller, the services and the request's Idempotency-Key.
    Resolved as one dependency because FastAPI's cost per dependency is more than each one's
    work, and this is the hottest path."""

    caller: Principal
    svc: Services
    claim: IdempotencyClaim | None

    async def run(self, action: Callable[..., T], *args: Any) -> T:
        return await run_action(self.svc, action, *args)


async def writing(request: Request) -> Write:
    """A write by any authenticated caller."""
    return await _write(request)


async def staff_writing(request: Request) -> Write:
    """A write by an agent, lead or admin."""
    return await _write(request, STAFF)


async def bot_writing(request: Request) -> Write:
    """A write by an outside bot (the ingestion API)."""
    return await _write(request, ("bot",))


async def _write(request: Request, roles: tuple[Role, ...] = ()) -> Write:
    caller = await principal(request)
    if roles:
        caller.require(*roles)  # before the Idempotency-Key and body are read
    return Write(caller, request.app.state.services, await idempotency(request))


M = TypeVar("M", bound=BaseModel)


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads its body with ``read_body``."""
    schema = model.model_json_schema()
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


async def read_body(request: Request, model: type[M]) -> M:
    """The JSON body as ``model``, parsed and validated in one pass by pydantic-core; errors are
    reported exactly as FastAPI reports its own body errors. For the hottest route, where FastAPI's
    body handling costs more than the rest of the request's parsing."""
    raw = await request.body()
    if not raw:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors()]) from None


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        return token.strip() if scheme.lower() == "bearer" else None
    # Never from the URL, which access logs keep: browsers open streams with a ticket
    # (``warmline.api.tickets``).
    return None


async def principal(request: Request) -> Principal:
    authenticator: Authenticator = request.app.state.authenticator
    token = bearer_token(request)
    known = authenticator.cached(token)
    if known is not None:
        return known
    return await run_in_threadpool(authenticator.authenticate, token)


async def staff(caller: Principal = Depends(principal)) -> Principal:
    caller.require(*STAFF)
    return caller


async def idempotency(request: Request) -> IdempotencyClaim | None:
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not (1 <= len(key) <= 200) or not key.isascii() or not key.isprintable():
        raise InvalidInput("Idempotency-Key must be 1-200 printable ASCII characters", code="invalid_idempotency_key")
    body = await request.body()
    fingerprint = hashlib.sha256(request.method.encode() + b" " + request.url.path.encode() + b"\n" + body).hexdigest()
    return IdempotencyClaim(scope=idempotency_scope(request), key=key, fingerprint=fingerprint)


def idempotency_scope(request: Request) -> str:
    """Whose keys these are: the caller's token, or for anonymous callers (starting a chat) their
    address, so that nobody else's retry with the same key is answered with their conversation."""
    token = bearer_token(request)
    if token:
        return hashlib.sha256(token.encode()).hexdigest()[:32]
    address = request.client.host if request.client else "unknown"
    return "anonymous:" + hashlib.sha256(address.encode()).hexdigest()[:32]


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
