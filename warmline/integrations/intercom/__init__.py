"""Intercom: the conversation lives in the Messenger; Warmline is the bot admin that answers it.

Inbound customer turns come from the webhook topics ``conversation.user.created`` and
``conversation.user.replied``; Warmline answers with ``POST /conversations/{id}/reply``
(``message_type: comment``, as the bot admin). On escalation (REST API 2.11, validated against
Intercom's OpenAPI description): ``PUT /conversations/{id}`` with ``custom_attributes``, the payload
as a note (``POST /conversations/{id}/reply`` with ``message_type: note``; ``/parts`` takes only
close, snoozed, open and assignment) and ``POST /conversations/{id}/parts`` assigning the team
inbox. A transfer re-assigns, a handback assigns the bot admin again, a close closes.
Inbound: webhook notifications signed ``sha1=hex(HMAC-SHA1(client_secret, body))`` in
``X-Hub-Signature``; an assignment with no admin (Warmline's own team assignment) or by the bot,
and the bot's own replies, are ignored.
"""

from __future__ import annotations

from html import escape
from typing import Any, ClassVar

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from warmline.integrations.base import (
    Desk,
    DeskConfig,
    DeskRequest,
    Ignored,
    InboundEvent,
    Outbound,
    Webhook,
    WebhookRejected,
    fresh,
    handback_note,
    hmac_digest,
    html_to_text,
    ignore,
    same,
    summary_note,
    transfer_note,
)


class IntercomConfig(DeskConfig):
    model_config = SettingsConfigDict(env_prefix="WARMLINE_INTERCOM_", frozen=True, extra="ignore")
    base_url: str = "https://api.intercom.io"
    access_token: SecretStr = SecretStr("")
    admin_id: str = ""  # the bot admin that answers, writes notes and assigns
    team_ids: dict[str, str] = {}  # Warmline team -> Intercom team inbox id
    api_version: str = "2.11"


def note_html(text: str) -> str:
    """A plain-text note as the HTML Intercom renders: one paragraph per block, line breaks kept."""
    blocks = [b for b in text.split("\n\n") if b.strip()]
    return "".join(f"<p>{escape(b).replace(chr(10), '<br>')}</p>" for b in blocks)


class Intercom(Desk):
    name: ClassVar[str] = "intercom"
    config_class: ClassVar[type[DeskConfig]] = IntercomConfig
    probe: ClassVar[str] = "/me"
    messaging: ClassVar[bool] = True
    messaging_only: ClassVar[bool] = True
    config: IntercomConfig

    def auth_headers(self, api: str = "default") -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.config.access_token.get_secret_value()}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Intercom-Version": self.config.api_version,
        }

    def plan(self, outbound: Outbound) -> list[DeskRequest]:
        body, kind = outbound.body, outbound.kind
        external = body.get("external") or {}
        if external.get("desk") != self.name or not external.get("conversation_id"):
            return []
        path = f"/conversations/{external['conversation_id']}"
        admin = self.setting(self.config.admin_id, "admin_id") or ""
        if kind == "message":
            reply = {"message_type": "comment", "type": "admin", "admin_id": admin, "body": note_html(body["text"])}
            return [DeskRequest("reply", "POST", f"{path}/reply", reply)]
        if kind == "closed":
            return [
                DeskRequest(
                    "close", "POST", f"{path}/parts", {"message_type": "close", "type": "admin", "admin_id": admin}
                )
            ]
        attributes = {
            "custom_attributes": {
                "warmline_conversation_id": body["conversation_id"],
                "warmline_team": body.get("team") or "",
                "warmline_priority": int(body.get("priority") or 3),
                "warmline_trigger": body.get("trigger") or "",
                "warmline_status": "with_bot" if kind == "handback" else "with_agent",
            }
        }
        notes = {"handoff": summary_note, "transfer": transfer_note, "handback": handback_note}
        note = {"message_type": "note", "type": "admin", "admin_id": admin, "body": note_html(notes[kind](body))}
        steps = [
            DeskRequest("attributes", "PUT", path, attributes),
            DeskRequest("note", "POST", f"{path}/reply", note),
        ]
        if kind == "handback":
            assignee, assignee_type = admin, "admin"
        else:
            assignee, assignee_type = (
                self.setting(self.config.team_ids.get(str(body.get("team"))), "team_id") or "",
                "team",
            )
        if assignee:
            assignment = {
                "message_type": "assignment",
                "type": assignee_type,
                "admin_id": admin,
                "assignee_id": assignee,
            }
            steps.append(DeskRequest("assign", "POST", f"{path}/parts", assignment))
        return steps

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


def _item(payload: dict[str, Any]) -> dict[str, Any]:
    item = payload["data"]["item"]
    if not isinstance(item, dict):
        raise TypeError("data.item is not an object")
    return item


def _conversation_id(item: dict[str, Any]) -> str:
    """Warmline's id when the conversation carries it already (after a handoff), else ""."""
    attributes = item.get("custom_attributes") or {}
    return str(attributes.get("warmline_conversation_id") or "")


def _last_part(item: dict[str, Any]) -> dict[str, Any]:
    parts = (item.get("conversation_parts") or {}).get("conversation_parts") or []
    return parts[-1] if parts else {}


def _replied(desk: Intercom, payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    item = _item(payload)
    part = _last_part(item)
    author = part.get("author") or {}
    if part.get("part_type") != "comment":
        raise Ignored(f"a {part.get('part_type')!r} part is not a reply to the customer")
    if str(author.get("id")) == desk.config.admin_id:
        raise Ignored("the bot's own reply")
    return InboundEvent(
        kind="agent_replied",
        conversation_id=_conversation_id(item),
        delivery_id=delivery_id,
        agent_ref=str(author["id"]),
        agent_name=str(author.get("name") or ""),
        text=html_to_text(str(part.get("body") or "")),
        desk_ref=str(item["id"]),
    )


def _assigned(desk: Intercom, payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    item = _item(payload)
    admin = item.get("admin_assignee_id")
    if admin in (None, "", 0) or str(admin) == desk.config.admin_id:
        raise Ignored("a team assignment (Warmline's own) or one to the bot is not an agent claiming it")
    return InboundEvent(
        kind="assigned",
        conversation_id=_conversation_id(item),
        delivery_id=delivery_id,
        agent_ref=str(admin),
        desk_ref=str(item["id"]),
    )


def _closed(desk: Intercom, payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    item = _item(payload)
    author = _last_part(item).get("author") or {}
    if str(author.get("id")) == desk.config.admin_id:
        raise Ignored("closed by the bot (Warmline itself)")
    return InboundEvent(
        kind="closed",
        conversation_id=_conversation_id(item),
        delivery_id=delivery_id,
        agent_ref=str(author.get("id") or item.get("admin_assignee_id") or ""),
        desk_ref=str(item["id"]),
    )


def _customer(desk: Intercom, payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    """A customer's turn: the conversation's first message (``source``) or its newest part."""
    item = _item(payload)
    part = _last_part(item) if payload["topic"] == "conversation.user.replied" else item.get("source") or {}
    author = part.get("author") or {}
    if author.get("type") not in ("user", "lead", "contact"):
        raise Ignored("not a customer's message")
    text = html_to_text(str(part.get("body") or ""))
    if not text:
        raise Ignored("a message without text (an attachment only)")
    return InboundEvent(
        kind="customer_message",
        conversation_id=_conversation_id(item),
        delivery_id=delivery_id,
        text=text,
        desk_ref=str(item["id"]),
        customer_name=str(author.get("name") or ""),
    )


Intercom.events = {
    "conversation.admin.replied": _replied,
    "conversation.admin.assigned": _assigned,
    "conversation.admin.closed": _closed,
    "conversation.user.created": _customer,
    "conversation.user.replied": _customer,
    "conversation.admin.noted": ignore("an internal note stays in Intercom"),
    "ping": ignore("Intercom's test notification"),
}
