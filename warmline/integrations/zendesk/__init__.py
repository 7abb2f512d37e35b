"""Zendesk: messaging conversations through Sunshine Conversations, tickets for the rest.

A conversation that starts in Zendesk messaging (a Sunshine Conversations webhook
``conversation:message`` from the customer) lives there: Warmline is the switchboard's bot,
answers through ``POST /sc/v2/apps/{app}/conversations/{id}/messages``, and on escalation passes
control to the agent workspace (``passControl`` to ``next``) with ``dataCapture`` metadata that
Zendesk copies into the messaging ticket it creates itself (requester name, tags, ticket fields:
the Warmline conversation id, team, summary). A conversation from elsewhere gets one ticket,
created with an ``Idempotency-Key``; a transfer, handback or close updates that ticket.

Credentials: the Support API takes ``email/token:api_token`` (basic auth); the Conversations API
takes the app's key id and secret (basic auth), never the Support token.
Inbound: Support webhooks signed ``base64(HMAC-SHA256(secret, timestamp + body))``
(``X-Zendesk-Webhook-Signature`` + ``-Timestamp``); only a public comment by staff becomes an agent
message, so an internal note never reaches the customer. Conversations webhooks carry the
webhook's secret in ``X-API-Key``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from warmline.integrations.base import (
    Desk,
    DeskConfig,
    DeskRequest,
    Ignored,
    InboundEvent,
    NotYet,
    Outbound,
    UnsupportedEvent,
    Webhook,
    WebhookRejected,
    case_title,
    fresh,
    handback_note,
    hmac_digest,
    ignore,
    json_links,
    same,
    summary_note,
    transfer_note,
)

METADATA_LIMIT = 4096  # Sunshine Conversations switchboard metadata limit, in bytes
PRIORITIES = {1: "urgent", 2: "high", 3: "normal", 4: "low"}
SUNCO = "sunco"


class ZendeskConfig(DeskConfig):
    model_config = SettingsConfigDict(env_prefix="WARMLINE_ZENDESK_", frozen=True, extra="ignore")
    email: str = ""
    api_token: SecretStr = SecretStr("")
    sunco_app_id: str = ""
    sunco_key_id: str = ""
    sunco_secret: SecretStr = SecretStr("")
    sunco_webhook_secret: SecretStr = SecretStr("")  # the Conversations webhook's X-API-Key
    bot_integration: str = "bot"  # Warmline's switchboard integration (takes control back)
    agent_integration: str = "next"  # where a handoff passes control (the agent workspace)
    bot_name: str = "Warmline assistant"
    group_ids: dict[str, str] = {}  # team -> Zendesk group id
    conversation_field_id: str = ""  # custom ticket field holding the Warmline conversation id
    team_field_id: str = ""  # custom ticket field holding the team
    summary_field_id: str = ""  # custom ticket field (multi-line) holding the payload summary


def _number(value: str) -> int | str:
    """Zendesk ids are integers; a placeholder (``<group_id>``) stays visible as text."""
    return int(value) if value.isdigit() else value


def _tags(body: dict[str, Any]) -> list[str]:
    return ["warmline", f"team_{body.get('team', '')}", f"trigger_{body.get('trigger', '') or 'none'}"]


class Zendesk(Desk):
    name: ClassVar[str] = "zendesk"
    config_class: ClassVar[type[DeskConfig]] = ZendeskConfig
    probe: ClassVar[str] = "/api/v2/users/me.json"
    messaging: ClassVar[bool] = True
    config: ZendeskConfig

    def auth_headers(self, api: str = "default") -> dict[str, str]:
        if api == SUNCO:
            user, secret = self.config.sunco_key_id, self.config.sunco_secret.get_secret_value()
        else:
            user, secret = f"{self.config.email}/token", self.config.api_token.get_secret_value()
        basic = base64.b64encode(f"{user}:{secret}".encode()).decode()
        return {"Authorization": f"Basic {basic}", "Content-Type": "application/json", "Accept": "application/json"}

    # --- outbound ---------------------------------------------------------------------------

    def plan(self, outbound: Outbound) -> list[DeskRequest]:
        body = outbound.body
        external = body.get("external") or {}
        sunco_id = external.get("conversation_id") if external.get("desk") == self.name else None
        if outbound.kind == "message":
            return [self._post_message(sunco_id, body)] if sunco_id else []
        if sunco_id:
            return self._messaging_plan(outbound, sunco_id)
        return self._ticket_plan(outbound)

    def _sunco(self, conversation_id: str, action: str) -> str:
        app = self.setting(self.config.sunco_app_id, "sunco_app_id")
        return f"/sc/v2/apps/{app}/conversations/{conversation_id}/{action}"

    def _post_message(self, sunco_id: str, body: dict[str, Any]) -> DeskRequest:
        message = {
            "author": {"type": "business", "displayName": self.config.bot_name},
            "content": {"type": "text", "text": body.get("text", "")},
        }
        return DeskRequest("post_message", "POST", self._sunco(sunco_id, "messages"), message, api=SUNCO)

    def _messaging_plan(self, outbound: Outbound, sunco_id: str) -> list[DeskRequest]:
        body, kind = outbound.body, outbound.kind
        if kind == "handoff":
            # Zendesk makes the messaging ticket itself on this pass: no ticket is created here.
            control = {"switchboardIntegration": self.config.agent_integration, "metadata": self.metadata(body)}
            return [DeskRequest("pass_control", "POST", self._sunco(sunco_id, "passControl"), control, api=SUNCO)]
        steps: list[DeskRequest] = []
        if kind == "handback":
            control = {
                "switchboardIntegration": self.config.bot_integration,
                "metadata": {"warmline_conversation_id": body["conversation_id"]},
            }
            steps.append(DeskRequest("pass_control", "POST", self._sunco(sunco_id, "passControl"), control, api=SUNCO))
        ticket_id = outbound.find("ticket_id", self._find_messaging_ticket(body))
        if ticket_id is None:
            if kind == "transfer":
                raise NotYet("the messaging ticket is not there yet (Zendesk creates it after the control pass)")
            return steps  # nothing to annotate: control is back with the bot anyway
        return [*steps, self._update_ticket(kind, body, ticket_id)]

    def _find_messaging_ticket(self, body: dict[str, Any]) -> DeskRequest:
        field_id = self.setting(self.config.conversation_field_id, "conversation_field_id")
        query = quote(f"type:ticket custom_field_{field_id}:{body['conversation_id']}")
        return DeskRequest(
            "find_ticket",
            "GET",
            f"/api/v2/search.json?query={query}",
            learn=json_links("results", "0", "id", name="ticket_id"),
            learns=("ticket_id",),
            lookup=True,
        )

    def _ticket_plan(self, outbound: Outbound) -> list[DeskRequest]:
        body, kind = outbound.body, outbound.kind
        lookup = DeskRequest(
            "find_ticket",
            "GET",
            f"/api/v2/tickets.json?external_id={quote(body['conversation_id'])}",
            learn=json_links("tickets", "0", "id", name="ticket_id"),
            learns=("ticket_id",),
            lookup=True,
        )
        if kind == "handoff" and "ticket_id" not in outbound.links:
            return [self._create_ticket(body, outbound.key)]
        ticket_id = outbound.find("ticket_id", lookup)
        if ticket_id is None:
            if kind in ("handoff", "transfer"):
                return [self._create_ticket(body, outbound.key)]
            return []  # no ticket was ever made: nothing to update
        return [self._update_ticket(kind, body, ticket_id)]

    def _create_ticket(self, body: dict[str, Any], key: str) -> DeskRequest:
        ticket: dict[str, Any] = {
            "subject": case_title(body),
            "external_id": body["conversation_id"],
            "priority": PRIORITIES.get(int(body.get("priority") or 3), "normal"),
            "tags": _tags(body),
            "comment": {"body": summary_note(body), "public": False},
            **self._routing(body),
        }
        return DeskRequest(
            "ticket",  # the same step as the update: a retry after the create does not update
            "POST",
            "/api/v2/tickets.json",
            {"ticket": ticket},
            headers={"Idempotency-Key": key},
            learn=json_links("ticket", "id", name="ticket_id"),
            learns=("ticket_id",),
        )

    def _routing(self, body: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        group = self.setting(self.config.group_ids.get(str(body.get("team"))), "group_id")
        if group:
            fields["group_id"] = _number(group)
        team_field = self.setting(self.config.team_field_id, "team_field_id")
        if team_field:
            fields["custom_fields"] = [{"id": _number(team_field), "value": body.get("team")}]
        return fields

    def _update_ticket(self, kind: str, body: dict[str, Any], ticket_id: str) -> DeskRequest:
        ticket: dict[str, Any]
        if kind in ("transfer", "handoff"):
            ticket = {
                "priority": PRIORITIES.get(int(body.get("priority") or 3), "normal"),
                "additional_tags": _tags(body),
                "comment": {"body": transfer_note(body) if kind == "transfer" else summary_note(body), "public": False},
                **self._routing(body),
            }
            if kind == "handoff":
                ticket["status"] = "open"  # a second escalation reopens the conversation's ticket
        elif kind == "handback":
            ticket = {
                "additional_tags": ["warmline_handed_back"],
                "comment": {"body": handback_note(body), "public": False},
            }
        else:
            ticket = {"status": "solved", "comment": {"body": "Resolved in Warmline.", "public": False}}
        return DeskRequest("ticket", "PUT", f"/api/v2/tickets/{ticket_id}.json", {"ticket": ticket})

    def metadata(self, body: dict[str, Any]) -> dict[str, str | int | bool]:
        """``passControl`` metadata: the ``dataCapture`` keys the agent workspace copies into
        the messaging ticket, flat, within the 4 KB limit (the summary is cut first)."""
        metadata: dict[str, str | int | bool] = {
            "dataCapture.systemField.tags": ",".join(_tags(body)),
        }
        if body.get("customer_name"):
            metadata["dataCapture.systemField.requester.name"] = str(body["customer_name"])
        fields = (
            ("conversation_field_id", body["conversation_id"]),
            ("team_field_id", body.get("team") or ""),
            ("summary_field_id", str((body.get("payload") or {}).get("summary", ""))),
        )
        for setting, value in fields:
            field_id = self.setting(getattr(self.config, setting), setting)
            if field_id:
                metadata[f"dataCapture.ticketField.{field_id}"] = value
        summary_key = next((k for k, v in metadata.items() if k.endswith(f".{self.config.summary_field_id}")), None)
        while len(json.dumps(metadata).encode()) > METADATA_LIMIT and summary_key and metadata[summary_key]:
            text = str(metadata[summary_key])
            metadata[summary_key] = text[: len(text) // 2]
        return metadata

    # --- inbound ----------------------------------------------------------------------------

    def find_conversation(self, desk_ref: str) -> DeskRequest | None:
        """A messaging ticket names its Warmline conversation only in the conversation field."""
        field_id = self.config.conversation_field_id
        if not field_id or not desk_ref.isdigit():
            return None
        return DeskRequest(
            "find_conversation", "GET", f"/api/v2/tickets/{desk_ref}.json", learn=_field_value(field_id), lookup=True
        )

    def verify(self, webhook: Webhook) -> str:
        if "events" in webhook.payload:
            return self._verify_sunco(webhook)
        secret = self.config.webhook_secret.get_secret_value()
        signature = webhook.headers.get("x-zendesk-webhook-signature", "")
        timestamp = webhook.headers.get("x-zendesk-webhook-signature-timestamp", "")
        if not secret or not signature or not timestamp:
            raise WebhookRejected("missing Zendesk webhook signature headers", code="bad_signature")
        expected = base64.b64encode(hmac_digest(secret, timestamp.encode() + webhook.body)).decode()
        if not same(expected, signature):
            raise WebhookRejected("the Zendesk webhook signature does not match", code="bad_signature")
        fresh(str(_epoch(timestamp)), webhook.now)
        return str(webhook.payload.get("id", ""))

    def _verify_sunco(self, webhook: Webhook) -> str:
        secret = self.config.sunco_webhook_secret.get_secret_value()
        given = webhook.headers.get("x-api-key", "")
        if not secret or not given or not same(secret, given):
            raise WebhookRejected("the Conversations webhook X-API-Key does not match", code="bad_signature")
        event = webhook.payload["events"][0] if webhook.payload.get("events") else {}
        fresh(str(_epoch(str(event.get("createdAt", "")) or "0")), webhook.now)
        return str(event.get("id", ""))

    def split(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """A Conversations webhook may carry several events; each is its own delivery."""
        events = payload.get("events")
        if not isinstance(events, list) or len(events) < 2:
            return [payload]
        return [{**payload, "events": [event]} for event in events]

    def event_type(self, payload: dict[str, Any]) -> str:
        if "events" in payload:
            events = payload.get("events") or [{}]
            return f"sunco:{events[0].get('type', '')}"
        return str(payload.get("type", ""))

    def missing(self) -> list[str]:
        problems = super().missing()
        problems += [
            k for k in ("email", "sunco_app_id", "sunco_key_id", "conversation_field_id") if not getattr(self.config, k)
        ]
        for secret in ("api_token", "sunco_secret", "sunco_webhook_secret"):
            if not getattr(self.config, secret).get_secret_value():
                problems.append(secret)
        return problems


def _field_value(field_id: str) -> Callable[[httpx.Response], dict[str, str]]:
    """A ``learn`` reading the conversation field of a Show Ticket answer."""

    def learn(response: httpx.Response) -> dict[str, str]:
        fields = (response.json().get("ticket") or {}).get("custom_fields") or []
        value = next((f.get("value") for f in fields if str(f.get("id")) == field_id), None)
        return {"conversation_id": str(value)} if value else {}

    return learn


def _ticket_event(payload: dict[str, Any]) -> tuple[str, str]:
    """(Warmline conversation id if the ticket carries it, Zendesk ticket id)."""
    detail = payload["detail"]
    return str(detail.get("external_id") or ""), str(detail["id"])


def _comment(desk: Zendesk, payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    comment = payload["event"]["comment"]
    author = comment.get("author") or {}
    if comment.get("is_public") is not True:
        raise Ignored("an internal note stays in Zendesk")
    if author.get("is_staff") is not True:
        raise Ignored("a comment by the end user is not an agent reply")
    conversation_id, ticket_id = _ticket_event(payload)
    return InboundEvent(
        kind="agent_replied",
        conversation_id=conversation_id,
        delivery_id=delivery_id,
        agent_ref=str(author["id"]),
        agent_name=str(author.get("name", "")),
        text=str(comment["body"]),
        desk_ref=ticket_id,
        links={"ticket_id": ticket_id},
    )


def _assigned(desk: Zendesk, payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    current = payload["event"].get("current")
    if not current:
        raise Ignored("the ticket was unassigned")
    conversation_id, ticket_id = _ticket_event(payload)
    return InboundEvent(
        kind="assigned",
        conversation_id=conversation_id,
        delivery_id=delivery_id,
        agent_ref=str(current),
        desk_ref=ticket_id,
        links={"ticket_id": ticket_id},
    )


def _status(desk: Zendesk, payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    status = str(payload["event"]["current"]).lower()
    if status not in ("solved", "closed"):
        raise Ignored(f"Zendesk status {status!r} needs no action")
    conversation_id, ticket_id = _ticket_event(payload)
    return InboundEvent(
        kind="closed",
        conversation_id=conversation_id,
        delivery_id=delivery_id,
        agent_ref=str(payload["detail"].get("assignee_id") or ""),
        desk_ref=ticket_id,
        links={"ticket_id": ticket_id},
    )


def _sunco_message(desk: Zendesk, payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    event = payload["events"][0]["payload"]
    message = event["message"]
    author = message.get("author") or {}
    if author.get("type") != "user":
        raise Ignored("a business message (the bot's or an agent's) is already in the conversation")
    content = message.get("content") or {}
    text = str(content.get("text") or content.get("altText") or "").strip()
    if not text:
        raise UnsupportedEvent(f"a {content.get('type')!r} message has no text", details={"type": content.get("type")})
    sunco_id = str(event["conversation"]["id"])
    return InboundEvent(
        kind="customer_message",
        conversation_id="",
        delivery_id=delivery_id,
        text=text,
        desk_ref=sunco_id,
        customer_name=str(author.get("displayName") or ""),
    )


Zendesk.events = {
    "zen:event-type:ticket.comment_added": _comment,
    "zen:event-type:ticket.agent_assignment_changed": _assigned,
    "zen:event-type:ticket.status_changed": _status,
    "sunco:conversation:message": _sunco_message,
    "sunco:switchboard:passControl": ignore("a control pass needs no action"),
    "sunco:conversation:read": ignore("a read receipt needs no action"),
    "sunco:conversation:typing": ignore("a typing indicator needs no action"),
}


def _epoch(timestamp: str) -> float:
    """Zendesk sends an ISO 8601 timestamp; tests and proxies may send epoch seconds."""
    try:
        return float(timestamp)
    except ValueError:
        return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
