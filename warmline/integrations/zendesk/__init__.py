"""Zendesk: Sunshine Conversations switchboard for control, a ticket with the payload for agents.

Outbound (Support API and Sunshine Conversations v2):
- handoff: ``passControl`` to the agent workspace with flat metadata (at most 4 KB), then a
  ticket with the routing fields, tags and an internal note formatted for scanning;
- handback: ``passControl`` back to the bot's switchboard integration.
Inbound: Zendesk webhooks signed ``base64(HMAC-SHA256(timestamp + body))`` in
``X-Zendesk-Webhook-Signature`` with ``X-Zendesk-Webhook-Signature-Timestamp``.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any, ClassVar

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from warmline.integrations.base import (
    Desk,
    DeskConfig,
    DeskRequest,
    InboundEvent,
    UnsupportedEvent,
    Webhook,
    WebhookRejected,
    case_title,
    fresh,
    hmac_digest,
    same,
    summary_note,
)

METADATA_LIMIT = 4096  # Sunshine Conversations switchboard metadata limit, in bytes
PRIORITIES = {1: "urgent", 2: "high", 3: "normal", 4: "low"}


class ZendeskConfig(DeskConfig):
    model_config = SettingsConfigDict(env_prefix="WARMLINE_ZENDESK_", frozen=True, extra="ignore")
    email: str = ""
    api_token: SecretStr = SecretStr("")
    sunco_app_id: str = ""
    sunco_key_id: str = ""
    sunco_secret: SecretStr = SecretStr("")
    bot_integration: str = "bot"  # switchboard integration that takes control back on handback
    group_ids: dict[str, int] = {}  # team -> Zendesk group id
    team_field_id: int | None = None  # custom ticket field holding the team


def _flat_metadata(body: dict[str, Any]) -> dict[str, Any]:
    payload = body.get("payload", {})
    metadata: dict[str, Any] = {
        "warmline_conversation_id": body["conversation_id"],
        "warmline_team": body.get("team", ""),
        "warmline_priority": body.get("priority", 3),
        "warmline_sidebar_url": body.get("sidebar_url", ""),
        "warmline_summary": payload.get("summary", ""),
    }
    while len(json.dumps(metadata).encode()) > METADATA_LIMIT and metadata["warmline_summary"]:
        metadata["warmline_summary"] = metadata["warmline_summary"][: len(metadata["warmline_summary"]) // 2]
    return metadata


def _comment(payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    return InboundEvent(
        kind="agent_replied",
        conversation_id=payload["detail"]["external_id"],
        delivery_id=delivery_id,
        agent_ref=str(payload["event"]["comment"]["author"]["id"]),
        agent_name=str(payload["event"]["comment"]["author"].get("name", "")),
        text=payload["event"]["comment"]["body"],
    )


def _assigned(payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    return InboundEvent(
        kind="assigned",
        conversation_id=payload["detail"]["external_id"],
        delivery_id=delivery_id,
        agent_ref=str(payload["event"]["current"]),
        agent_name=str(payload["detail"].get("assignee_name", "")),
    )


def _status(payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    status = str(payload["event"]["current"]).lower()
    if status not in ("solved", "closed"):
        raise UnsupportedEvent(f"Zendesk status {status!r} needs no action", details={"status": status})
    return InboundEvent(
        kind="closed",
        conversation_id=payload["detail"]["external_id"],
        delivery_id=delivery_id,
        agent_ref=str(payload["detail"].get("assignee_id", "")),
        text=str(payload["event"].get("note", "")),
    )


class Zendesk(Desk):
    name: ClassVar[str] = "zendesk"
    config_class: ClassVar[type[DeskConfig]] = ZendeskConfig
    probe: ClassVar[str] = "/api/v2/users/me.json"
    events: ClassVar = {
        "zen:event-type:ticket.comment_added": _comment,
        "zen:event-type:ticket.agent_assignment_changed": _assigned,
        "zen:event-type:ticket.status_changed": _status,
    }
    config: ZendeskConfig

    def headers(self) -> dict[str, str]:
        token = f"{self.config.email}/token:{self.config.api_token.get_secret_value()}"
        return {
            "Authorization": "Basic " + base64.b64encode(token.encode()).decode(),
            "Content-Type": "application/json",
        }

    def _sunco(self, path: str) -> str:
        return f"/sc/v2/apps/{self.config.sunco_app_id}/conversations/{path}"

    def outbound(self, kind: str, body: dict[str, Any]) -> list[DeskRequest]:
        sunco_id = body.get("external", {}).get("sunco_conversation_id")
        if kind == "handback":
            if not sunco_id:
                return []
            return [
                DeskRequest(
                    "POST",
                    self._sunco(f"{sunco_id}/passControl"),
                    {
                        "switchboardIntegration": self.config.bot_integration,
                        "metadata": {"warmline_conversation_id": body["conversation_id"]},
                    },
                )
            ]
        if kind != "handoff":
            return []
        requests = []
        if sunco_id:
            requests.append(
                DeskRequest(
                    "POST",
                    self._sunco(f"{sunco_id}/passControl"),
                    {"switchboardIntegration": "next", "metadata": _flat_metadata(body)},
                )
            )
        ticket: dict[str, Any] = {
            "subject": case_title(body),
            "external_id": body["conversation_id"],
            "priority": PRIORITIES.get(int(body.get("priority", 3)), "normal"),
            "tags": ["warmline", f"team_{body.get('team', '')}", f"trigger_{body.get('trigger', '')}"],
            "comment": {"body": summary_note(body), "public": False},
        }
        group = self.config.group_ids.get(str(body.get("team")))
        if group:
            ticket["group_id"] = group
        if self.config.team_field_id:
            ticket["custom_fields"] = [{"id": self.config.team_field_id, "value": body.get("team")}]
        requests.append(DeskRequest("POST", "/api/v2/tickets.json", {"ticket": ticket}))
        return requests

    def verify(self, webhook: Webhook) -> str:
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

    def event_type(self, payload: dict[str, Any]) -> str:
        return str(payload.get("type", ""))

    def missing(self) -> list[str]:
        problems = super().missing()
        problems += [k for k in ("email", "sunco_app_id", "sunco_key_id") if not getattr(self.config, k)]
        if not self.config.api_token.get_secret_value():
            problems.append("api_token")
        return problems


def _epoch(timestamp: str) -> float:
    """Zendesk sends an ISO 8601 timestamp; tests and proxies may send epoch seconds."""
    try:
        return float(timestamp)
    except ValueError:
        return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
