"""Inbound: a desk's webhook, verified, mapped to the same actions the web workspace uses.

A delivery is applied exactly once: its delivery id is the Idempotency-Key of the action, so a
retried or replayed delivery appends nothing; signatures and a 5 minute window refuse forgeries
and stale replays before anything is read.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from warmline.auth import Principal
from warmline.conversation.actions import Outcome, Services
from warmline.conversation.state import Status
from warmline.errors import InvalidInput
from warmline.integrations.base import Desk, InboundEvent, UnsupportedEvent, Webhook
from warmline.queue import actions
from warmline.storage.sql.outbox import OutboxStore
from warmline.storage.sql.store import IdempotencyClaim

log = logging.getLogger("warmline.integrations")


def desk_agent(svc: Services, desk: Desk, event: InboundEvent) -> Principal:
    """The Warmline staff member standing for a desk's agent, created on first sight."""
    staff_id = "dk_" + hashlib.sha256(f"{desk.name}:{event.agent_ref}".encode()).hexdigest()[:12]
    teams = tuple(sorted(svc.teams())) or ("triage",)
    if svc.store.get_staff(staff_id) is None:
        name = event.agent_name or f"{desk.name} agent {event.agent_ref}"
        unusable = hashlib.sha256(f"desk-agent-no-login:{staff_id}".encode()).hexdigest()
        svc.store.add_staff(staff_id, name[:120], "agent", list(teams), 50, unusable)
    row = svc.store.get_staff(staff_id) or {}
    # The desk decides who works on what: its agent may take the conversation in its queue.
    queue = svc.store.load_state(event.conversation_id).team
    return Principal(
        "agent", staff_id, row.get("name", ""), tuple({*row.get("teams", teams), *([queue] if queue else [])})
    )


def do_receive_webhook(
    svc: Services, outbox: OutboxStore, desk: Desk, headers: dict[str, str], body: bytes, now: datetime
) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("the webhook body is not valid JSON", code="malformed_json") from exc
    if not isinstance(payload, dict):
        raise InvalidInput("the webhook body must be a JSON object", code="malformed_webhook")
    try:
        event = desk.parse(Webhook(headers=headers, body=body, payload=payload, now=now))
    except UnsupportedEvent as exc:
        log.warning("%s webhook refused: %s", desk.name, exc.message)
        raise
    if not event.delivery_id:
        raise InvalidInput("the webhook has no delivery id", code="malformed_webhook")
    claim = IdempotencyClaim(
        scope=f"desk:{desk.name}", key=event.delivery_id, fingerprint=hashlib.sha256(body).hexdigest()
    )
    agent = desk_agent(svc, desk, event)
    outcome = apply_event(svc, event, agent, claim)
    first = outbox.remember_delivery(desk.name, event.delivery_id)
    return {
        "status": "applied" if first and not outcome.replayed else "duplicate",
        "event": event.kind,
        "conversation_id": event.conversation_id,
        "conversation_status": outcome.state.status.value,
    }


def apply_event(svc: Services, event: InboundEvent, agent: Principal, claim: IdempotencyClaim) -> Outcome:
    cid = event.conversation_id
    if event.kind == "assigned":
        return actions.do_claim(svc, cid, agent, claim)
    if event.kind == "agent_replied":
        if svc.store.load_state(cid).status == Status.WAITING_FOR_AGENT:
            actions.do_claim(svc, cid, agent)  # replying in the desk is taking the conversation
        return actions.do_agent_message(svc, cid, agent, event.text, idem=claim)
    if event.kind == "closed":
        return actions.do_resolve(svc, cid, agent, "resolved in desk", claim)
    return actions.do_hand_back(svc, cid, agent, event.text or "Handed back from the support desk.", claim)
