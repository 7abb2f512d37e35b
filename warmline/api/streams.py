"""Server-sent event streams that resume from ``Last-Event-ID`` with no gap and no duplicate.

A stream subscribes to the bus first, then reads committed events from the store after the last
id it sent; the bus only wakes it. So an event committed while the stream reads is either in that
read or causes a wake-up for the next one, and the id cursor makes duplicates impossible.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from warmline.access import readable_state
from warmline.api.deps import MAX_CURSOR, dump, services
from warmline.api.schemas import present_event
from warmline.api.tickets import stream_caller
from warmline.auth import Principal
from warmline.bus.base import FEED_CHANNEL, conversation_channel
from warmline.conversation.actions import Services
from warmline.errors import InvalidInput

router = APIRouter(prefix="/v1", tags=["streams"])
BATCH = 500
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class EventStream(StreamingResponse):
    """Server-sent events: documented in the OpenAPI document as ``text/event-stream``."""

    media_type = "text/event-stream"


# Reads what came after a cursor: a list of (id, event name, data or None when hidden).
Reader = Callable[[int], Awaitable[list[tuple[int, str, dict[str, Any] | None]]]]


def last_event_id(request: Request) -> int:
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id") or "0"
    # isdecimal() also accepts other scripts' digits; a cursor is ASCII digits, at most 19 of them.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19) or int(raw) > MAX_CURSOR:
        raise InvalidInput(f"Last-Event-ID must be an integer from 0 to {MAX_CURSOR}", code="invalid_last_event_id")
    return int(raw)


async def sse(request: Request, svc: Services, channel: str, cursor: int, read: Reader) -> AsyncIterator[str]:
    yield "retry: 1000\n\n"
    async with svc.bus.subscribe(channel) as subscription:
        while True:
            batch = await read(cursor)
            for event_id, name, data in batch:
                cursor = event_id
                if data is not None:
                    yield f"id: {event_id}\nevent: {name}\ndata: {dump(data)}\n\n"
            if len(batch) == BATCH:
                continue
            if await request.is_disconnected():
                return
            if not await subscription.wait(svc.settings.stream_keepalive_s):
                # Also re-reads the store: a safety net should a wake-up ever be lost.
                yield ": keep-alive\n\n"


@router.get("/conversations/{conversation_id}/stream", response_class=EventStream)
async def conversation_stream(
    conversation_id: str,
    request: Request,
    caller: Principal = Depends(stream_caller),
    svc: Services = Depends(services),
) -> EventStream:
    """Every event of one conversation the caller may see; the SSE id is the event's seq."""
    cursor = last_event_id(request)
    await run_in_threadpool(readable_state, svc.store, caller, conversation_id)  # 404/403 before streaming

    async def read(after: int) -> list[tuple[int, str, dict[str, Any] | None]]:
        records = await run_in_threadpool(svc.store.load_events, conversation_id, after, BATCH)
        return [(r.seq, r.type, present_event(r, caller)) for r in records]

    channel = conversation_channel(conversation_id)
    return EventStream(sse(request, svc, channel, cursor, read), headers=HEADERS)


@router.get("/inbox/stream", response_class=EventStream)
async def inbox_stream(
    request: Request, caller: Principal = Depends(stream_caller), svc: Services = Depends(services)
) -> EventStream:
    """Queue changes for the caller's teams and activity on conversations they hold; leads and
    admins see every team. The SSE id is the inbox feed position."""
    caller.require("agent", "lead", "admin")
    cursor = last_event_id(request)
    teams = None if caller.role in ("lead", "admin") else list(caller.teams)

    async def read(after: int) -> list[tuple[int, str, dict[str, Any] | None]]:
        entries = await run_in_threadpool(svc.store.read_feed, after, teams, caller.id, BATCH)
        return [
            (
                e.position,
                e.type,
                {
                    "position": e.position,
                    "conversation_id": e.conversation_id,
                    "seq": e.seq,
                    "type": e.type,
                    "team": e.team,
                    "agent_id": e.agent_id,
                    "at": e.at.isoformat(),
                },
            )
            for e in entries
        ]

    return EventStream(sse(request, svc, FEED_CHANNEL, cursor, read), headers=HEADERS)
