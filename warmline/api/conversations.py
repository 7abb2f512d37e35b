"""Conversation routes: thin; each parses, calls an action or a read, and returns a schema."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from warmline.api.deps import idempotency, principal, services, staff
from warmline.api.schemas import (
    AnswerSurvey,
    CloseConversation,
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


@router.post("", status_code=201)
def start_conversation(
    body: StartConversation,
    svc: Services = Depends(services),
    claim: IdempotencyClaim | None = Depends(idempotency),
) -> dict[str, Any]:
    """Start a chat. The answer holds the customer's token for this conversation only."""
    started = actions.do_start_conversation(svc, idempotency=claim, **body.model_dump())
    state = svc.store.load_state(started.conversation_id)
    caller = Principal("customer", started.conversation_id)
    return {
        "conversation_id": started.conversation_id,
        "customer_token": started.customer_token,
        "state": present_state(state, caller),
        "events": present_events(started.events, caller),
    }


@router.post("/{conversation_id}/messages", status_code=201)
def post_message(
    conversation_id: str,
    body: PostMessage,
    caller: Principal = Depends(principal),
    svc: Services = Depends(services),
    claim: IdempotencyClaim | None = Depends(idempotency),
) -> dict[str, Any]:
    """A customer's turn. The bot's answer (if the bot owns the conversation) comes back with it."""
    caller.require("customer")
    caller.may_read(conversation_id)
    records = actions.do_post_customer_message(svc, conversation_id, body.text, claim)
    return _changed(svc, conversation_id, records, caller)


@router.post("/{conversation_id}/close")
def close_conversation(
    conversation_id: str,
    body: CloseConversation,
    caller: Principal = Depends(principal),
    svc: Services = Depends(services),
    claim: IdempotencyClaim | None = Depends(idempotency),
) -> dict[str, Any]:
    caller.may_read(conversation_id)
    records = actions.do_close(svc, conversation_id, caller.actor, body.reason, claim)
    return _changed(svc, conversation_id, records, caller)


@router.post("/{conversation_id}/survey", status_code=201)
def answer_survey(
    conversation_id: str,
    body: AnswerSurvey,
    caller: Principal = Depends(principal),
    svc: Services = Depends(services),
    claim: IdempotencyClaim | None = Depends(idempotency),
) -> dict[str, Any]:
    caller.require("customer")
    caller.may_read(conversation_id)
    records = actions.do_answer_survey(svc, conversation_id, body.score, body.comment, claim)
    return _changed(svc, conversation_id, records, caller)


@router.get("/{conversation_id}")
def read_conversation(
    conversation_id: str, caller: Principal = Depends(principal), svc: Services = Depends(services)
) -> dict[str, Any]:
    caller.may_read(conversation_id)
    return {"state": present_state(svc.store.load_state(conversation_id), caller)}


@router.get("/{conversation_id}/events")
def read_events(
    conversation_id: str,
    after: int = Query(0, ge=0),
    limit: int = Query(200, ge=1, le=1000),
    caller: Principal = Depends(principal),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    caller.may_read(conversation_id)
    state = svc.store.load_state(conversation_id)  # 404 for an unknown conversation
    records = svc.store.load_events(conversation_id, after, limit)
    return {
        "events": present_events(records, caller),
        "last_seq": records[-1].seq if records else after,
        "more": bool(records) and records[-1].seq < state.last_seq,
    }


@router.get("")
def list_conversations(
    status: Status | None = None,
    team: str | None = Query(None, max_length=64),
    limit: int = Query(50, ge=1, le=500),
    caller: Principal = Depends(staff),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    states = svc.store.list_states(status=status, team=team, limit=limit)
    return {"conversations": [present_state(s, caller) for s in states]}


def _changed(svc: Services, conversation_id: str, records: list[Any], caller: Principal) -> dict[str, Any]:
    state = svc.store.load_state(conversation_id)
    return {"events": present_events(records, caller), "state": present_state(state, caller)}
