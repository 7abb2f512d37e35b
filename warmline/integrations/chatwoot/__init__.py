"""Chatwoot: Warmline is the conversation's Agent Bot; Chatwoot keeps the channels and the agents.

Chatwoot's own channels (web widget, WhatsApp, SMS, email) reach Warmline this way. Inbound: the
Agent Bot's ``message_created`` webhooks (a customer's ``incoming`` message is a turn Warmline's
bot answers; a human agent's ``outgoing`` message, sender type ``user``, is the agent's reply;
the bot's own messages, sender type ``agent_bot``, and private notes are ignored), and
``conversation_status_changed`` from an account webhook: back to ``pending`` is the agent's
handback (the bot owns pending conversations in Chatwoot), ``resolved`` closes. Outbound
(Chatwoot's application API, ``api_access_token``): the bot's replies as ``outgoing`` messages;
on escalation the payload as a private note, Warmline's custom attributes (a user token: the
endpoint does not take an agent bot's), the status toggled to ``open`` and the conversation
assigned to the team that owns it; a transfer re-assigns, a close resolves. A Dashboard App
(``/chatwoot/app``, an iframe panel in the conversation view) shows the payload.

Shapes: Chatwoot's swagger (``swagger/paths/application/conversation/``) and its models'
``webhook_data`` (chatwoot/chatwoot); recorded in ``tests/integrations/fixtures/chatwoot``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from warmline.integrations.base import (
    Desk,
    DeskConfig,
    DeskRequest,
    Ignored,
    InboundEvent,
    InboundKind,
    Outbound,
    Webhook,
    WebhookRejected,
    fresh,
    handback_note,
    hmac_digest,
    ignore,
    same,
    summary_note,
    transfer_note,
)


class ChatwootConfig(DeskConfig):
    model_config = SettingsConfigDict(env_prefix="WARMLINE_CHATWOOT_", frozen=True, extra="ignore")
    # base_url: the Chatwoot installation, e.g. https://app.chatwoot.com
    account_id: str = ""
    bot_token: SecretStr = SecretStr("")  # the Agent Bot's access token: messages, status, assignment
    user_token: SecretStr = SecretStr("")  # an agent's or admin's token: custom attributes
    team_ids: dict[str, str] = {}  # Warmline team -> Chatwoot team id


class Chatwoot(Desk):
    name: ClassVar[str] = "chatwoot"
    config_class: ClassVar[type[DeskConfig]] = ChatwootConfig
    probe: ClassVar[str] = "/api/v1/profile"
    messaging: ClassVar[bool] = True
    messaging_only: ClassVar[bool] = True
    config: ChatwootConfig

    def auth_headers(self, api: str = "default") -> dict[str, str]:
        token = self.config.user_token if api == "user" else self.config.bot_token
        return {"api_access_token": token.get_secret_value(), "Content-Type": "application/json"}

    def plan(self, outbound: Outbound) -> list[DeskRequest]:
        body, kind = outbound.body, outbound.kind
        external = body.get("external") or {}
        if external.get("desk") != self.name or not external.get("conversation_id"):
            return []
        account = self.setting(self.config.account_id, "account_id") or ""
        path = f"/api/v1/accounts/{account}/conversations/{external['conversation_id']}"
        if kind == "message":
            reply = {"content": body["text"], "message_type": "outgoing", "private": False}
            return [DeskRequest("reply", "POST", f"{path}/messages", reply)]
        if kind == "closed":
            return [DeskRequest("resolve", "POST", f"{path}/toggle_status", {"status": "resolved"})]
        attributes = {
            "custom_attributes": {
                "warmline_conversation_id": body["conversation_id"],
                "warmline_team": body.get("team") or "",
                "warmline_priority": int(body.get("priority") or 3),
                "warmline_trigger": body.get("trigger") or "",
                "warmline_status": "with_bot" if kind == "handback" else "with_agent",
                "warmline_sidebar_url": body.get("sidebar_url") or "",
            }
        }
        notes = {"handoff": summary_note, "transfer": transfer_note, "handback": handback_note}
        note = {"content": notes[kind](body), "message_type": "outgoing", "private": True}
        steps = [
            DeskRequest("attributes", "POST", f"{path}/custom_attributes", attributes, api="user"),
            DeskRequest("note", "POST", f"{path}/messages", note),
        ]
        if kind == "handoff":
            steps.append(DeskRequest("open", "POST", f"{path}/toggle_status", {"status": "open"}))
        if kind in ("handoff", "transfer"):
            team = self.setting(self.config.team_ids.get(str(body.get("team"))), "team_id")
            if team:
                steps.append(DeskRequest("assign", "POST", f"{path}/assignments", {"team_id": _number(team)}))
        return steps

    def verify(self, webhook: Webhook) -> str:
        """``X-Chatwoot-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))`` with
        ``X-Chatwoot-Timestamp`` (epoch seconds); the delivery id is ``X-Chatwoot-Delivery``, else
        derived from the event (a retried delivery carries the same)."""
        secret = self.config.webhook_secret.get_secret_value()
        timestamp = webhook.headers.get("x-chatwoot-timestamp", "")
        signature = webhook.headers.get("x-chatwoot-signature", "")
        if not secret or not timestamp or not signature:
            raise WebhookRejected("missing X-Chatwoot-Signature or -Timestamp", code="bad_signature")
        expected = "sha256=" + hmac_digest(secret, timestamp.encode() + b"." + webhook.body).hex()
        if not same(expected, signature):
            raise WebhookRejected("the Chatwoot webhook signature does not match", code="bad_signature")
        fresh(timestamp, webhook.now)
        delivery = webhook.headers.get("x-chatwoot-delivery", "")
        if delivery:
            return delivery
        payload = webhook.payload
        conversation = payload.get("conversation") or payload
        return ":".join(
            str(v)
            for v in (payload.get("event"), payload.get("id"), conversation.get("status"), payload.get("updated_at"))
        )

    def event_type(self, payload: dict[str, Any]) -> str:
        return str(payload.get("event", ""))

    def missing(self) -> list[str]:
        problems = super().missing()
        for name in ("account_id", "bot_token", "user_token"):
            value = getattr(self.config, name)
            if not (value.get_secret_value() if isinstance(value, SecretStr) else value):
                problems.append(name)
        return problems


def _number(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def _conversation(payload: dict[str, Any]) -> dict[str, Any]:
    conversation = payload.get("conversation") or {}
    if not isinstance(conversation, dict):
        raise TypeError("conversation is not an object")
    return conversation


def _desk_ref(conversation: dict[str, Any]) -> str:
    """The id Chatwoot's API takes: the conversation's display id."""
    return str(conversation.get("display_id") or conversation["id"])


def _warmline_id(conversation: dict[str, Any]) -> str:
    attributes = conversation.get("custom_attributes") or {}
    return str(attributes.get("warmline_conversation_id") or "")


def _message(desk: Chatwoot, payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    if payload.get("private"):
        raise Ignored("a private note stays in Chatwoot")
    conversation = _conversation(payload)
    sender = payload.get("sender") or {}
    text = str(payload.get("content") or "").strip()
    if not text:
        raise Ignored("a message without text (an attachment only)")
    kind = payload.get("message_type")
    if kind == "incoming":
        return InboundEvent(
            kind="customer_message",
            conversation_id=_warmline_id(conversation),
            delivery_id=delivery_id,
            text=text,
            desk_ref=_desk_ref(conversation),
            customer_name=str(sender.get("name") or ""),
        )
    if kind == "outgoing" and sender.get("type") == "user":
        return InboundEvent(
            kind="agent_replied",
            conversation_id=_warmline_id(conversation),
            delivery_id=delivery_id,
            agent_ref=str(sender["id"]),
            agent_name=str(sender.get("name") or ""),
            text=text,
            desk_ref=_desk_ref(conversation),
        )
    raise Ignored(f"a {kind} message from a {sender.get('type') or 'system'} (the bot's own, or an activity)")


def _status(desk: Chatwoot, payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    """conversation_status_changed (account webhook; the payload is the conversation itself)."""
    conversation = payload
    status = conversation.get("status")
    meta = conversation.get("meta") or {}
    assignee = meta.get("assignee") or {}

    def event(kind: InboundKind, text: str = "") -> InboundEvent:
        return InboundEvent(
            kind=kind,
            conversation_id=_warmline_id(conversation),
            delivery_id=delivery_id,
            desk_ref=_desk_ref(conversation),
            agent_ref=str(assignee.get("id") or "chatwoot"),
            agent_name=str(assignee.get("name") or ""),
            text=text,
        )

    if status == "pending":
        return event("handed_back", "Set back to pending in Chatwoot: the bot takes over.")
    if status == "resolved":
        return event("closed")
    raise Ignored(f"status {status!r} changes nothing in Warmline (open: Warmline's own handoff)")


def _resolved(desk: Chatwoot, payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    return _status(desk, {**payload, "status": "resolved"}, delivery_id)


Chatwoot.events = {
    "message_created": _message,
    "conversation_status_changed": _status,
    "conversation_resolved": _resolved,  # the Agent Bot's own event for the same change
    "conversation_opened": ignore("opening is Warmline's own handoff"),
    "message_updated": ignore("an edited message changes nothing already said"),
    "webwidget_triggered": ignore("the widget opened: the customer has not written yet"),
}
