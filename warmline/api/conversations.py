"""Conversation routes: thin; each parses, calls an action or a read, and returns a schema.

Routes are ``async`` and say where blocking work runs: actions through ``run_action`` (on the
loop in a group commit on SQLite, on the writer threads otherwise), reads in the shared thread
pool.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic_core import to_json
from starlette.concurrency import run_in_threadpool

from warmline.access import check_may_read_queue, readable_state, visible_to
from warmline.api import ingest
from warmline.api.deps import (
    MAX_CURSOR,
    Write,
    bearer_token,
    idempotency,
    json_body,
    principal,
    read_body,
    run_action,
    services,
    staff,
    writing,
)
from warmline.api.schemas import (
    AnswerSurvey,
    CloseConversation,
    ConversationChange,
    ConversationEvents,
    ConversationList,
    ConversationStarted,
    ConversationView,
    PostMessage,
    StartConversation,
    present_events,
    present_state,
)
from warmline.auth import Principal
from warmline.conversation import actions
from warmline.conversation.actions import Services
from warmline.conversation.state import Status
from warmline.storage.sql.store import IdempotencyClaim

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])


class ChangeResponse(JSONResponse):
    """Rendered by pydantic-core, several times faster than the standard library's encoder."""

    def render(self, content: Any) -> bytes:
        return to_json(content)


def changed(outcome: actions.Outcome, caller: Principal, status: int = 200) -> JSONResponse:
    """The answer to a write: what it appended (as the caller may see it) and the new state.
    Built directly as JSON: this is the hottest path, and a validating round trip through the
    response model costs more than the write."""
    body = {"events": present_events(outcome.events, caller), "state": present_state(outcome.state, caller)}
    return ChangeResponse(body, status_code=status)


@router.post("", status_code=201, response_model=ConversationStarted, openapi_extra=json_body(StartConversation))
async def start_conversation(
    request: Request,
    svc: Services = Depends(services),
    claim: IdempotencyClaim | None = Depends(idempotency),
) -> Any:
    """Start a chat. The answer holds the customer's token for this conversation only.

    With a bot token, an outside bot opens its conversation instead (see ``warmline.api.ingest``):
    201 when created, 200 with the existing one for the same ``source`` and ``external_id``."""
    if bearer_token(request) is not None:
        caller = await principal(request)
        if caller.role == "bot":
            return await ingest.open_conversation(request, caller, svc)
    body = await read_body(request, StartConversation)
    started = await run_action(svc, _start, body, claim)
    return started


def _start(svc: Services, body: StartConversation, claim: IdempotencyClaim | None) -> dict[str, Any]:
    started = actions.do_start_conversation(svc, idempotency=claim, **body.model_dump())
    caller = Principal("customer", started.conversation_id)
    return {
        "conversation_id": started.conversation_id,
        "customer_token": started.customer_token,
        "state": present_state(started.state, caller),
        "events": present_events(started.events, caller),
    }


@router.post(
    "/{conversation_id}/messages",
    status_code=201,
    response_model=ConversationChange,
    openapi_extra=json_body(PostMessage),
)
async def post_message(conversation_id: str, request: Request, call: Write = Depends(writing)) -> JSONResponse:
    """A customer's turn. The bot's answer (if the bot owns the conversation) comes back with it."""
    body = await read_body(request, PostMessage)
    call.caller.require("customer")
    call.caller.may_read(conversation_id)
    # The model's analysis needs no lock: it runs here, in parallel with other conversations'
    # writes, and the locked write reuses it if nothing was appended meanwhile.
    prepared = await run_in_threadpool(actions.prepare_customer_message, call.svc, conversation_id, body.text)
    outcome = await call.run(actions.do_post_customer_message, conversation_id, body.text, call.claim, prepared)
    return changed(outcome, call.caller, 201)


@router.post("/{conversation_id}/close", response_model=ConversationChange)
async def close_conversation(
    conversation_id: str, body: CloseConversation, call: Write = Depends(writing)
) -> JSONResponse:
    """The customer ends their chat; staff may end one they hold or that waits in their queue
    (leads and admins any)."""
    if call.caller.role == "customer":
        call.caller.may_read(conversation_id)
        outcome = await call.run(actions.do_close, conversation_id, call.caller.actor, body.reason, call.claim)
    else:
        outcome = await call.run(actions.do_staff_close, conversation_id, call.caller, body.reason, call.claim)
    return changed(outcome, call.caller)


@router.post("/{conversation_id}/survey", status_code=201, response_model=ConversationChange)
async def answer_survey(conversation_id: str, body: AnswerSurvey, call: Write = Depends(writing)) -> JSONResponse:
    """The one-question satisfaction survey, once the conversation is closed."""
    call.caller.require("customer")
    call.caller.may_read(conversation_id)
    outcome = await call.run(actions.do_answer_survey, conversation_id, body.score, body.comment, call.claim)
    return changed(outcome, call.caller, 201)


@router.get("/{conversation_id}", response_model=ConversationView)
async def read_conversation(
    conversation_id: str, caller: Principal = Depends(principal), svc: Services = Depends(services)
) -> dict[str, Any]:
    state = await run_in_threadpool(readable_state, svc.store, caller, conversation_id)
    return {"state": present_state(state, caller)}


@router.get("/{conversation_id}/events", response_model=ConversationEvents)
async def read_events(
    conversation_id: str,
    after: int = Query(0, ge=0, le=MAX_CURSOR),
    limit: int = Query(200, ge=1, le=1000),
    caller: Principal = Depends(principal),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Events after ``after`` (a seq), oldest first; customers see only their chat."""
    state = await run_in_threadpool(readable_state, svc.store, caller, conversation_id)  # 404 when unknown
    records = await run_in_threadpool(svc.store.load_events, conversation_id, after, limit)
    return {
        "events": present_events(records, caller),
        "last_seq": records[-1].seq if records else after,
        "more": bool(records) and records[-1].seq < state.last_seq,
    }


@router.get("", response_model=ConversationList)
async def list_conversations(
    status: Status | None = None,
    team: str | None = Query(None, max_length=64),
    limit: int = Query(50, ge=1, le=500),
    caller: Principal = Depends(staff),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Staff: conversations by lifecycle state and team, most recently active first (agents: of
    their teams and those they hold)."""
    if team is not None:
        check_may_read_queue(caller, team)
    states = await run_in_threadpool(
        functools.partial(svc.store.list_states, status, team, limit, visible_to=visible_to(caller))
    )
    return {"conversations": [present_state(s, caller) for s in states]}
