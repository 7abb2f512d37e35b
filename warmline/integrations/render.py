"""`warmline integrations render`: the exact requests a desk would receive for one conversation.

From a stored payload (the JSON ``GET /v1/conversations/{id}/payload`` returns) this plans a
handoff, then a transfer, a handback and a close through the desk's own ``plan`` (the code the
dispatcher runs), without sending anything: each answer the desk would give is stood in for by
placeholders (``<ticket_id>``, ``<sys_id>``), a lookup is taken to find nothing, settings that are
not configured show as ``<name>``, and credentials are masked.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import ValidationError

from warmline.errors import InvalidInput
from warmline.handoff.schema import Payload
from warmline.integrations.base import Desk, DeskRequest, Lookup, NotYet, Outbound

STEPS = (("handoff", "handoff"), ("transfer", "transfer"), ("handback", "handback"), ("close", "closed"))
BASE_URLS: dict[str, str] = {
    "zendesk": "https://<subdomain>.zendesk.com",
    "salesforce": "https://<my-domain>.my.salesforce.com",
    "servicenow": "https://<instance>.service-now.com",
}
SECRET_HEADERS = ("authorization",)


def body_from_payload(document: dict[str, Any], public_url: str, desk_conversation: dict[str, str]) -> dict[str, Any]:
    """The outbound body the dispatcher would build, from a payload document."""
    found = document.get("payload", document)
    if not isinstance(found, dict) or "conversation_id" not in found:
        raise InvalidInput("the file is not a Warmline handoff payload", code="malformed_payload")
    try:  # read as the dispatcher reads a stored one: typed text masked (cards, one-time codes)
        payload = Payload.model_validate(found).model_dump(mode="json")
    except ValidationError as exc:
        raise InvalidInput(
            f"the file is not a valid handoff payload: {exc.errors()[0]['msg']}",
            code="malformed_payload",
            details={"at": ".".join(str(p) for p in exc.errors()[0]["loc"])},
        ) from exc
    routing = payload.get("routing") or {}
    intent = payload.get("intent") or {}
    escalation = payload.get("escalation") or {}
    cid = str(payload["conversation_id"])
    return {
        "conversation_id": cid,
        "event": "escalated",
        "team": routing.get("team", ""),
        "priority": routing.get("priority", 3),
        "sla_due_at": routing.get("sla_due_at"),
        "skills": routing.get("skills", []),
        "trigger": escalation.get("trigger") or "",
        "customer_name": payload.get("customer_name"),
        "intent_label": " / ".join(str(v) for v in (intent.get("flow"), intent.get("subflow")) if v),
        "payload": payload,
        "note": "",
        "text": "",
        "sidebar_url": f"{public_url.rstrip('/')}/sidebar?conversation={cid}",
        "external": desk_conversation,
        "origin": "",
    }


def mask(headers: dict[str, str]) -> dict[str, str]:
    masked = {}
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0]
            value = f"{scheme} ****"
        masked[name] = value
    return masked


def render(
    desk: Desk,
    document: dict[str, Any],
    *,
    public_url: str = "<public_url>",
    origin: str = "desk",
    to_team: str = "<team>",
    note: str = "<handback note>",
) -> list[dict[str, Any]]:
    """The requests for handoff, transfer, handback and close, in the order they are sent."""
    desk.placeholders = True
    if not desk.config.base_url:
        desk.config = desk.config.model_copy(update={"base_url": BASE_URLS.get(desk.name, "<base_url>")})
    native = (
        {"desk": desk.name, "conversation_id": "<desk_conversation_id>"} if desk.messaging and origin == "desk" else {}
    )
    body = body_from_payload(document, public_url, native)
    links: dict[str, str] = {}
    rendered: list[dict[str, Any]] = []
    for n, (step, kind) in enumerate(STEPS):
        item_body = {**body, "event": kind}
        if kind == "transfer":
            item_body["team"] = to_team
        if kind == "handback":
            item_body["note"] = note
        done: set[str] = set()
        looked: set[str] = set()
        for _ in range(50):
            outbound = Outbound(kind, item_body, links, key=f"warmline-{body['conversation_id']}-<outbox_id:{n + 1}>")
            outbound = replace(outbound, looked=frozenset(looked))
            try:
                request = next((r for r in desk.plan(outbound) if r.step not in done and r.step not in looked), None)
            except Lookup as first:
                request = first.request
            except NotYet:
                # the desk makes the record later (Zendesk's messaging ticket): show it as known
                links = {**links, "ticket_id": "<ticket_id>"}
                continue
            if request is None:
                break
            rendered.append(_shown(desk, step, request))
            if request.lookup:
                looked.add(request.step)  # assume nothing is there yet: the plan shows the create
                continue
            done.add(request.step)
            links = {**links, **{name: f"<{name.split(':')[0]}>" for name in request.learns}}
    return rendered


def _shown(desk: Desk, step: str, request: DeskRequest) -> dict[str, Any]:
    return {
        "step": step,
        "method": request.method,
        "url": desk.config.base_url.rstrip("/") + request.path,
        "headers": mask({**desk.auth_headers(request.api), **request.headers}),
        "json": request.json,
    }
