"""Intercom: assign to the team's inbox, a note with the payload, attributes for assignment rules.

Outbound (REST API 2.x): ``POST /conversations/{id}/parts`` with ``message_type`` ``assignment``
(to the team inbox) and ``note``; ``PUT /conversations/{id}`` with ``custom_attributes``.
Inbound: webhook notifications signed ``sha1=hex(HMAC-SHA1(client_secret, body))`` in
``X-Hub-Signature``; topics ``conversation.admin.replied``, ``.assigned``, ``.closed``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from warmline.integrations.base import (
    Desk,
    DeskConfig,
    DeskRequest,
    InboundEvent,
    Webhook,
    WebhookRejected,
    fresh,
    hmac_digest,
    same,
    summary_note,
)


class IntercomConfig(DeskConfig):
    model_config = SettingsConfigDict(env_prefix="WARMLINE_INTERCOM_", frozen=True, extra="ignore")
    base_url: str = "https://api.intercom.io"
    access_token: SecretStr = SecretStr("")
    admin_id: str = ""  # the admin (bot user) that writes notes and assignments
    team_ids: dict[str, str] = {}  # Warmline team -> Intercom team inbox id
    api_version: str = "2.11"


def _conversation_id(payload: dict[str, Any]) -> str:
    attributes = payload["data"]["item"].get("custom_attributes") or {}
    return str(attributes["warmline_conversation_id"])


def _author(payload: dict[str, Any]) -> dict[str, Any]:
    parts = payload["data"]["item"]["conversation_parts"]["conversation_parts"]
    return parts[-1] if parts else {}


def _replied(payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    part = _author(payload)
    return InboundEvent(
        kind="agent_replied",
        conversation_id=_conversation_id(payload),
        delivery_id=delivery_id,
        agent_ref=str(part["author"]["id"]),
        agent_name=str(part["author"].get("name", "")),
        text=str(part["body"]),
    )


def _assigned(payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    item = payload["data"]["item"]
    return InboundEvent(
        kind="assigned",
        conversation_id=_conversation_id(payload),
        delivery_id=delivery_id,
        agent_ref=str(item["admin_assignee_id"]),
    )


def _closed(payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    part = _author(payload)
    return InboundEvent(
        kind="closed",
        conversation_id=_conversation_id(payload),
        delivery_id=delivery_id,
        agent_ref=str(part.get("author", {}).get("id", "")),
    )


class Intercom(Desk):
    name: ClassVar[str] = "intercom"
    config_class: ClassVar[type[DeskConfig]] = IntercomConfig
    probe: ClassVar[str] = "/me"
    events: ClassVar = {
        "conversation.admin.replied": _replied,
        "conversation.admin.assigned": _assigned,
        "conversation.admin.closed": _closed,
    }
    config: IntercomConfig

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.config.access_token.get_secret_value()}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Intercom-Version": self.config.api_version,
        }

    def outbound(self, kind: str, body: dict[str, Any]) -> list[DeskRequest]:
        intercom_id = body.get("external", {}).get("intercom_conversation_id")
        if not intercom_id or kind != "handoff":
            return []
        path = f"/conversations/{intercom_id}"
        requests = [
            DeskRequest(
                "PUT",
                path,
                {
                    "custom_attributes": {
                        "warmline_conversation_id": body["conversation_id"],
                        "warmline_team": body.get("team", ""),
                        "warmline_priority": int(body.get("priority", 3)),
                        "warmline_trigger": body.get("trigger", ""),
                    }
                },
            ),
            DeskRequest(
                "POST",
                f"{path}/parts",
                {"message_type": "note", "type": "admin", "admin_id": self.config.admin_id, "body": summary_note(body)},
            ),
        ]
        team_inbox = self.config.team_ids.get(str(body.get("team")))
        if team_inbox:
            requests.append(
                DeskRequest(
                    "POST",
                    f"{path}/parts",
                    {
                        "message_type": "assignment",
                        "type": "team",
                        "admin_id": self.config.admin_id,
                        "assignee_id": team_inbox,
                    },
                )
            )
        return requests

    def verify(self, webhook: Webhook) -> str:
        secret = self.config.webhook_secret.get_secret_value()
        signature = webhook.headers.get("x-hub-signature", "")
        if not secret or not signature:
            raise WebhookRejected("missing X-Hub-Signature", code="bad_signature")
        expected = "sha1=" + hmac_digest(secret, webhook.body, "sha1").hex()
        if not same(expected, signature):
            raise WebhookRejected("the Intercom webhook signature does not match", code="bad_signature")
        fresh(str(webhook.payload.get("created_at", "")), webhook.now)
        return str(webhook.payload.get("id", ""))

    def event_type(self, payload: dict[str, Any]) -> str:
        return str(payload.get("topic", ""))

    def missing(self) -> list[str]:
        problems = [p for p in super().missing() if p != "base_url"]
        if not self.config.access_token.get_secret_value():
            problems.append("access_token")
        if not self.config.admin_id:
            problems.append("admin_id")
        return problems
