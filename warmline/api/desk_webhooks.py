"""Support-desk webhooks: one endpoint per desk, verified before anything is read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from warmline.api.deps import services
from warmline.conversation.actions import Services
from warmline.conversation.events import PayloadBuilt
from warmline.errors import NotFound
from warmline.integrations.inbound import DESK_CONVERSATION, do_receive_webhook

router = APIRouter(prefix="/v1/integrations", tags=["integrations"])


@router.post("/{desk}/webhook")
async def receive_webhook(desk: str, request: Request, svc: Services = Depends(services)) -> dict[str, Any]:
    """A desk reports a customer message, an agent reply, assignment, close or handback. Signed;
    replays and duplicates change nothing; an event that needs no action on purpose answers 200
    ``{"status": "ignored"}``; an event type that is not handled gets 422 ``unsupported_event``."""
    integrations = request.app.state.integrations
    target = integrations.desks.get(desk)
    if target is None or not target.config.enabled:
        raise NotFound(f"no enabled desk {desk!r}", code="unknown_desk")
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    return await run_in_threadpool(
        do_receive_webhook,
        svc,
        integrations.outbox,
        target,
        headers,
        body,
        datetime.now(UTC),
        integrations.dispatcher.fetch,
    )


@router.post("/intercom/canvas/initialize")
async def intercom_canvas(request: Request, svc: Services = Depends(services)) -> dict[str, Any]:
    """Intercom Canvas Kit: the payload panel in Intercom's conversation sidebar."""
    import json

    from warmline.errors import InvalidInput
    from warmline.integrations.intercom.canvas import payload_canvas, verify_canvas_request

    desk = request.app.state.integrations.desks.get("intercom")
    if desk is None or not desk.config.enabled:
        raise NotFound("the Intercom integration is not enabled", code="unknown_desk")
    body = await request.body()
    verify_canvas_request(
        desk.config.webhook_secret.get_secret_value(), body, request.headers.get("x-body-signature", "")
    )
    try:
        data = json.loads(body)
        conversation = data["conversation"]
        attributes = conversation.get("custom_attributes") or {}
        intercom_id = str(conversation["id"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput("the request names no conversation", code="malformed_webhook") from exc
    outbox = request.app.state.integrations.outbox
    conversation_id = attributes.get("warmline_conversation_id") or await run_in_threadpool(
        outbox.conversation_for, "intercom", DESK_CONVERSATION, intercom_id
    )
    if not conversation_id:
        return payload_canvas(None, "")
    record = await run_in_threadpool(svc.store.latest_event, str(conversation_id), "payload_built")
    payload = (
        record.event.payload.model_dump(mode="json") if record and isinstance(record.event, PayloadBuilt) else None
    )
    return payload_canvas(payload, f"{svc.settings.public_url.rstrip('/')}/sidebar?conversation={conversation_id}")
