"""The shape every support-desk integration has.

A desk module defines a ``Desk``: its typed configuration, the HTTP requests it sends for each
outbound kind (``handoff``, ``handback``, ``closed``), how it verifies a webhook, and a table
mapping its webhook event types to Warmline inbound events. Registering a desk is one line in
``warmline.integrations.registry``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from warmline.errors import WarmlineError

InboundKind = Literal["agent_replied", "assigned", "closed", "handed_back"]
OUTBOUND_KINDS = ("handoff", "handback", "closed")
MAX_SKEW_S = 300  # webhooks older (or newer) than this are refused as stale


class WebhookRejected(WarmlineError):
    """A webhook that is not provably from the desk, or too old. Nothing is changed."""

    code = "webhook_rejected"
    status = 401


class UnsupportedEvent(WarmlineError):
    """A webhook event type this integration does not handle (logged, nothing changed)."""

    code = "unsupported_event"
    status = 422


class DeskConfig(BaseSettings):
    """A desk's settings; each desk sets ``env_prefix`` (``WARMLINE_ZENDESK_`` ...), so they are
    read from the environment once, at start-up, and can be passed in explicitly in tests."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")
    enabled: bool = False
    base_url: str = ""
    webhook_secret: SecretStr = SecretStr("")


@dataclass(frozen=True)
class DeskRequest:
    method: str
    path: str
    json: dict[str, Any] | None = None
    # A 409 answer means "already done" (e.g. a create with the same external id).
    conflict_is_success: bool = False


@dataclass(frozen=True)
class InboundEvent:
    kind: InboundKind
    conversation_id: str
    delivery_id: str
    agent_ref: str = ""  # the desk's id of the agent
    agent_name: str = ""
    text: str = ""


@dataclass(frozen=True)
class Webhook:
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    payload: dict[str, Any]
    now: datetime


Parser = Callable[[dict[str, Any], str], InboundEvent]


@dataclass
class Desk:
    name: ClassVar[str]
    config_class: ClassVar[type[DeskConfig]]
    # webhook event type -> parser of that event into an InboundEvent
    events: ClassVar[dict[str, Parser]]
    probe: ClassVar[str]  # a cheap authenticated GET that proves the credentials work
    config: DeskConfig = field(default_factory=DeskConfig)

    def headers(self) -> dict[str, str]:
        """Authentication and content headers for outbound calls."""
        raise NotImplementedError

    def outbound(self, kind: str, body: dict[str, Any]) -> list[DeskRequest]:
        raise NotImplementedError

    def verify(self, webhook: Webhook) -> str:
        """Check the signature and freshness; return the delivery id used against replays."""
        raise NotImplementedError

    def event_type(self, payload: dict[str, Any]) -> str:
        raise NotImplementedError

    def parse(self, webhook: Webhook) -> InboundEvent:
        delivery_id = self.verify(webhook)
        kind = self.event_type(webhook.payload)
        parser = self.events.get(kind)
        if parser is None:
            raise UnsupportedEvent(f"{self.name} event {kind!r} is not handled", details={"event": kind})
        try:
            return parser(webhook.payload, delivery_id)
        except (KeyError, TypeError, ValueError) as exc:
            raise UnsupportedEvent(f"malformed {self.name} {kind} event: {exc}", code="malformed_webhook") from exc

    def missing(self) -> list[str]:
        """Configuration a working integration still needs."""
        problems = [] if self.config.base_url else ["base_url"]
        if not self.config.webhook_secret.get_secret_value():
            problems.append("webhook_secret")
        return problems


def hmac_digest(secret: str, message: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(secret.encode(), message, getattr(hashlib, algorithm)).digest()


def same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def fresh(timestamp: str, now: datetime) -> None:
    try:
        sent = float(timestamp)
    except ValueError as exc:
        raise WebhookRejected("the webhook timestamp is not a number", code="stale_webhook") from exc
    if abs(now.timestamp() - sent) > MAX_SKEW_S:
        raise WebhookRejected("the webhook timestamp is outside the 5 minute window", code="stale_webhook")


def case_title(body: dict[str, Any]) -> str:
    """A ticket/case title: who, and what they need."""
    return f"{body.get('customer_name') or 'Customer'}: {body.get('intent_label') or body.get('team', '')}"


def summary_note(body: dict[str, Any]) -> str:
    """The payload as an internal note formatted for scanning: summary, facts, draft, next step."""
    payload = body.get("payload", {})
    lines = [f"Warmline handoff — {body.get('team', '')} (priority {body.get('priority', '')})", ""]
    if payload.get("summary"):
        lines += ["SUMMARY", str(payload["summary"]), ""]
    facts = payload.get("key_facts") or []
    if facts:
        lines += ["KEY FACTS"] + [f"• {f.get('kind')}: {f.get('value')}" for f in facts] + [""]
    next_action = payload.get("next_action") or {}
    if next_action:
        lines += ["NEXT ACTION", f"{next_action.get('action', '')} — {next_action.get('reasoning', '')}", ""]
    draft = payload.get("draft") or {}
    if draft.get("text"):
        lines += ["DRAFT REPLY", str(draft["text"]), ""]
    lines.append(f"Full payload: {body.get('sidebar_url', '')}")
    return "\n".join(lines)


def verify_signed_post(webhook: Webhook, secret: str) -> str:
    """Warmline's own webhook signature, used where the desk posts through a configured flow
    (Salesforce Flow/Apex, ServiceNow business rule): ``X-Warmline-Timestamp`` (epoch seconds),
    ``X-Warmline-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))`` and
    ``X-Warmline-Delivery`` (unique per delivery)."""
    timestamp = webhook.headers.get("x-warmline-timestamp", "")
    signature = webhook.headers.get("x-warmline-signature", "")
    delivery = webhook.headers.get("x-warmline-delivery", "")
    if not secret or not timestamp or not signature or not delivery:
        raise WebhookRejected("missing X-Warmline-Timestamp, -Signature or -Delivery", code="bad_signature")
    expected = "sha256=" + hmac_digest(secret, timestamp.encode() + b"." + webhook.body).hex()
    if not same(expected, signature):
        raise WebhookRejected("the webhook signature does not match", code="bad_signature")
    fresh(timestamp, webhook.now)
    return delivery


def flow_event(payload: dict[str, Any], delivery_id: str) -> InboundEvent:
    """The event a desk-side flow posts: {"event", "conversation_id", "agent": {"id", "name"}, "text"}."""
    agent = payload.get("agent") or {}
    return InboundEvent(
        kind=payload["event"],
        conversation_id=str(payload["conversation_id"]),
        delivery_id=delivery_id,
        agent_ref=str(agent.get("id", "")),
        agent_name=str(agent.get("name", "")),
        text=str(payload.get("text", "")),
    )


FLOW_EVENTS: dict[str, Parser] = {kind: flow_event for kind in ("agent_replied", "assigned", "closed", "handed_back")}
