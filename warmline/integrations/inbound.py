"""Inbound: a desk's webhook, verified, mapped to the same actions the web workspace uses.

A webhook that needs no action on purpose (an internal note, the bot's own message) is answered
200 ``{"status": "ignored"}``: desks count 4xx answers as failed deliveries. A delivery is applied
exactly once: its delivery id is the Idempotency-Key of the action, so a
retried or replayed delivery appends nothing; signatures and a 5 minute window refuse forgeries
and stale replays before anything is read.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from warmline.auth import Principal
from warmline.conversation.actions import (
    Outcome,
    Services,
    do_agent_message,
    do_post_customer_message,
    do_start_conversation,
)
from warmline.conversation.state import Status
from warmline.errors import InvalidInput
from warmline.integrations.base import Desk, DeskRequest, Ignored, InboundEvent, UnsupportedEvent, Webhook
from warmline.integrations.outbound import DESK_AGENT_PREFIX
from warmline.queue import actions
from warmline.staffing import do_register_desk_agent
from warmline.storage.sql.outbox import OutboxStore
from warmline.storage.sql.store import IdempotencyClaim

log = logging.getLogger("warmline.integrations")


DESK_CONVERSATION = "desk_conversation_id"  # the link naming the desk's own conversation


def desk_agent(svc: Services, desk: Desk, event: InboundEvent, conversation_id: str) -> Principal:
    """The Warmline staff member standing for a desk's agent, created on first sight. Its id
    names the desk (``dk_<desk>_<hash>``) so that what it does is not echoed back to that desk."""
    digest = hashlib.sha256(f"{desk.name}:{event.agent_ref}".encode()).hexdigest()[:12]
    staff_id = f"{DESK_AGENT_PREFIX}{desk.name}_{digest}"
    teams = tuple(sorted(svc.teams())) or ("triage",)
    if svc.store.get_staff(staff_id) is None:
        do_register_desk_agent(
            svc.store, staff_id, event.agent_name or f"{desk.name} agent {event.agent_ref}", list(teams)
        )
    row = svc.store.get_staff(staff_id) or {}
    # The desk decides who works on what: its agent may take the conversation in its queue.
    queue = svc.store.load_state(conversation_id).team
    return Principal(
        "agent", staff_id, row.get("name", ""), tuple({*row.get("teams", teams), *([queue] if queue else [])})
    )


Fetch = Callable[[Desk, DeskRequest], dict[str, str]]


def do_receive_webhook(
    svc: Services,
    outbox: OutboxStore,
    desk: Desk,
    headers: dict[str, str],
    body: bytes,
    now: datetime,
    fetch: Fetch | None = None,
) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("the webhook body is not valid JSON", code="malformed_json") from exc
    if not isinstance(payload, dict):
        raise InvalidInput("the webhook body must be a JSON object", code="malformed_webhook")
    results = [receive_event(svc, outbox, desk, headers, body, part, now, fetch) for part in desk.split(payload)]
    if len(results) == 1:
        return results[0]
    applied = any(r["status"] == "applied" for r in results)
    return {"status": "applied" if applied else results[0]["status"], "events": results}


def receive_event(
    svc: Services,
    outbox: OutboxStore,
    desk: Desk,
    headers: dict[str, str],
    body: bytes,
    payload: dict[str, Any],
    now: datetime,
    fetch: Fetch | None,
) -> dict[str, Any]:
    """One event of a delivery: verified, filtered, applied once."""
    try:
        event = desk.parse(Webhook(headers=headers, body=body, payload=payload, now=now))
    except UnsupportedEvent as exc:
        log.warning("%s webhook refused: %s", desk.name, exc.message)
        raise
    except Ignored as ignored:
        log.info("%s webhook ignored: %s", desk.name, ignored.reason)
        return {"status": "ignored", "reason": ignored.reason}
    if not event.delivery_id:
        raise InvalidInput("the webhook has no delivery id", code="malformed_webhook")
    fingerprint = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    claim = IdempotencyClaim(scope=f"desk:{desk.name}", key=event.delivery_id, fingerprint=fingerprint)
    if event.kind == "customer_message":
        cid, outcome = customer_turn(svc, outbox, desk, event, claim)
    else:
        found = conversation_of(outbox, desk, event) or ask_desk(outbox, desk, event, fetch)
        if found is None:
            reason = f"{desk.name} record {event.desk_ref!r} is not a Warmline conversation"
            log.info("%s webhook ignored: %s", desk.name, reason)
            return {"status": "ignored", "reason": reason}
        cid = found
        outbox.link(desk.name, cid, event.links)
        outcome = apply_event(svc, cid, event, desk_agent(svc, desk, event, cid), claim)
    first = outbox.remember_delivery(desk.name, event.delivery_id)
    return {
        "status": "applied" if first and not outcome.replayed else "duplicate",
        "event": event.kind,
        "conversation_id": cid,
        "conversation_status": outcome.state.status.value,
    }


def conversation_of(outbox: OutboxStore, desk: Desk, event: InboundEvent) -> str | None:
    """The Warmline conversation a desk event is about: named in it, or linked to its record."""
    if event.conversation_id:
        return event.conversation_id
    for name in ("ticket_id", DESK_CONVERSATION):
        if event.desk_ref and (found := outbox.conversation_for(desk.name, name, event.desk_ref)):
            return found
    return None


def ask_desk(outbox: OutboxStore, desk: Desk, event: InboundEvent, fetch: Fetch | None) -> str | None:
    """Ask the desk which conversation its record belongs to (a Zendesk messaging ticket names
    it in a ticket field, not in the webhook), and remember the answer."""
    request = desk.find_conversation(event.desk_ref) if event.desk_ref and fetch else None
    if request is None or fetch is None:
        return None
    cid = fetch(desk, request).get("conversation_id")
    if cid:
        outbox.link(desk.name, cid, event.links)
    return cid or None


def customer_turn(
    svc: Services, outbox: OutboxStore, desk: Desk, event: InboundEvent, claim: IdempotencyClaim
) -> tuple[str, Outcome]:
    """A customer's message in the desk's own messaging: the conversation lives in the desk, so
    its first message starts a Warmline conversation (once, whatever the races) that carries the
    desk's conversation id in its log; the bot's answers go back through the desk's API."""
    cid = conversation_of(outbox, desk, event)
    if cid is None:
        if not desk.messaging or not event.desk_ref:
            raise InvalidInput(f"{desk.name} has no messaging Warmline answers", code="unsupported_event")
        once = IdempotencyClaim(
            scope=f"desk:{desk.name}:conversation",
            key=event.desk_ref,
            fingerprint=hashlib.sha256(event.desk_ref.encode()).hexdigest(),
        )
        started = do_start_conversation(
            svc,
            channel=desk.name,
            customer_name=event.customer_name[:120] or None,
            idempotency=once,
            desk_conversation_id=event.desk_ref,
        )
        cid = started.state.id
        outbox.link(desk.name, cid, {DESK_CONVERSATION: event.desk_ref})
    return cid, do_post_customer_message(svc, cid, event.text, claim)


def apply_event(svc: Services, cid: str, event: InboundEvent, agent: Principal, claim: IdempotencyClaim) -> Outcome:
    if event.kind == "assigned":
        return actions.do_claim(svc, cid, agent, claim)
    if event.kind == "agent_replied":
        if svc.store.load_state(cid).status == Status.WAITING_FOR_AGENT:
            actions.do_claim(svc, cid, agent)  # replying in the desk is taking the conversation
        return do_agent_message(svc, cid, agent, event.text, idem=claim)
    if event.kind == "closed":
        return actions.do_resolve(svc, cid, agent, "resolved in desk", claim)
    return actions.do_hand_back(svc, cid, agent, event.text or "Handed back from the support desk.", claim)
