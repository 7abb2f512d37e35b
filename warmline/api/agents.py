"""Agent routes: queues, claim, reply, transfer, resolve, hand back, presence, payload."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from warmline import staffing
from warmline.access import check_may_read_queue, readable_state
from warmline.api.conversations import changed
from warmline.api.deps import Write, run_action, services, staff, staff_writing
from warmline.api.schemas import (
    AddNote,
    ConversationChange,
    HandBack,
    ReleaseConversation,
    ResolveConversation,
    SendAgentMessage,
    SetPresence,
    TransferConversation,
    present_state,
)
from warmline.auth import Principal
from warmline.conversation import actions as conversation_actions
from warmline.conversation.actions import Services
from warmline.conversation.events import PayloadBuilt
from warmline.errors import NotFound
from warmline.queue import actions

router = APIRouter(prefix="/v1", tags=["agents"])


@router.get("/queues")
async def list_queues(caller: Principal = Depends(staff), svc: Services = Depends(services)) -> dict[str, Any]:
    """Every team's queue: waiting count, the longest wait, agents online and free capacity."""
    load = await run_in_threadpool(svc.store.team_load)
    now = datetime.now(UTC)
    teams = sorted(set(load) | set(svc.teams()))
    queues = []
    for team in teams:
        entry = load.get(team, {"waiting": 0, "oldest_waiting_since": None, "agents_online": 0, "free_capacity": 0})
        oldest = entry["oldest_waiting_since"]
        queues.append(
            {
                "team": team,
                "waiting": entry["waiting"],
                "longest_wait_s": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
                "agents_online": entry["agents_online"],
                "free_capacity": entry["free_capacity"],
                "mine": caller.role != "agent" or team in caller.teams,
            }
        )
    return {"queues": queues}


@router.get("/queues/{team}")
async def read_queue(
    team: str,
    limit: int = Query(100, ge=1, le=500),
    caller: Principal = Depends(staff),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Conversations waiting in one team's queue, most urgent first."""
    conversation_actions.check_team(svc, team)
    check_may_read_queue(caller, team)
    states = await run_in_threadpool(svc.store.queue, team, limit)
    return {"team": team, "conversations": [present_state(s, caller) for s in states]}


@router.post(
    "/queues/{team}/next", response_model=ConversationChange, responses={204: {"description": "the queue is empty"}}
)
async def claim_next(team: str, caller: Principal = Depends(staff), svc: Services = Depends(services)) -> Response:
    """Claim the most urgent waiting conversation of the team (204 when the queue is empty)."""
    conversation_actions.check_team(svc, team)
    outcome = await run_action(svc, actions.do_claim_next, team, caller)
    if outcome is None:
        return Response(status_code=204)
    return changed(outcome, caller)


@router.post("/conversations/{conversation_id}/claim", response_model=ConversationChange)
async def claim(conversation_id: str, call: Write = Depends(staff_writing)) -> JSONResponse:
    """Take a waiting conversation. Of agents claiming at once, exactly one wins; the others get
    409 ``already_claimed``."""
    return changed(await call.run(actions.do_claim, conversation_id, call.caller, call.claim), call.caller)


@router.post("/conversations/{conversation_id}/release", response_model=ConversationChange)
async def release(
    conversation_id: str, body: ReleaseConversation | None = None, call: Write = Depends(staff_writing)
) -> JSONResponse:
    reason = body.reason if body else ""
    return changed(await call.run(actions.do_release, conversation_id, call.caller, reason, call.claim), call.caller)


@router.post("/conversations/{conversation_id}/transfer", response_model=ConversationChange)
async def transfer(
    conversation_id: str, body: TransferConversation, call: Write = Depends(staff_writing)
) -> JSONResponse:
    outcome = await call.run(actions.do_transfer, conversation_id, call.caller, body.team, body.reason, call.claim)
    return changed(outcome, call.caller)


@router.post("/conversations/{conversation_id}/agent-messages", status_code=201, response_model=ConversationChange)
async def agent_message(
    conversation_id: str, body: SendAgentMessage, call: Write = Depends(staff_writing)
) -> JSONResponse:
    """Reply to the customer. Pass the payload draft's ``draft_id`` when sending (an edit of) it."""
    outcome = await call.run(
        conversation_actions.do_agent_message, conversation_id, call.caller, body.text, body.draft_id, call.claim
    )
    return changed(outcome, call.caller, 201)


@router.post("/conversations/{conversation_id}/notes", status_code=201, response_model=ConversationChange)
async def add_note(conversation_id: str, body: AddNote, call: Write = Depends(staff_writing)) -> JSONResponse:
    outcome = await call.run(conversation_actions.do_add_note, conversation_id, call.caller, body.text, call.claim)
    return changed(outcome, call.caller, 201)


@router.post("/conversations/{conversation_id}/resolve", response_model=ConversationChange)
async def resolve(
    conversation_id: str, body: ResolveConversation | None = None, call: Write = Depends(staff_writing)
) -> JSONResponse:
    reason = body.reason if body else "resolved"
    return changed(await call.run(actions.do_resolve, conversation_id, call.caller, reason, call.claim), call.caller)


@router.post("/conversations/{conversation_id}/handback", response_model=ConversationChange)
async def hand_back(conversation_id: str, body: HandBack, call: Write = Depends(staff_writing)) -> JSONResponse:
    """Hand the conversation back to the bot with a short note; the bot resumes with it."""
    return changed(
        await call.run(actions.do_hand_back, conversation_id, call.caller, body.note, call.claim), call.caller
    )


@router.get("/conversations/{conversation_id}/payload")
async def read_payload(
    conversation_id: str, caller: Principal = Depends(staff), svc: Services = Depends(services)
) -> dict[str, Any]:
    """The newest handoff payload of the conversation."""
    await run_in_threadpool(readable_state, svc.store, caller, conversation_id)  # 404 when unknown
    payload = await run_in_threadpool(svc.store.latest_event, conversation_id, "payload_built")
    if payload is None:
        raise NotFound("this conversation has not been handed off", code="no_payload")
    assert isinstance(payload.event, PayloadBuilt)
    return {"seq": payload.seq, "at": payload.at.isoformat(), "payload": payload.event.payload.model_dump(mode="json")}


@router.get("/schemas/handoff-payload", tags=["schemas"])
async def handoff_payload_schema() -> dict[str, Any]:
    """The JSON Schema of the handoff payload (its ``version`` field names the schema version)."""
    from warmline.handoff.payload import payload_json_schema

    return payload_json_schema()


@router.put("/agents/me/presence")
async def set_presence(
    body: SetPresence, caller: Principal = Depends(staff), svc: Services = Depends(services)
) -> dict[str, Any]:
    return await run_in_threadpool(staffing.do_set_presence, svc.store, caller, body.presence)
