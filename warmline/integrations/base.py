"""The shape every support-desk integration has.

A desk module defines a ``Desk``: its typed configuration, the plan of HTTP requests it sends for
each outbound kind (``handoff``, ``transfer``, ``handback``, ``closed``, ``message``), how it
verifies a webhook, and a table mapping its webhook event types to Warmline inbound events.
Registering a desk is one line in ``warmline.integrations.registry``.

A plan is re-computed after every step that succeeds, from what the desk has told us so far (the
conversation's *links*: the ticket id, the case's sys_id, ...), so a step can use what an earlier
one learned, and a retry skips every step already done.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from html import unescape
from typing import Any, ClassVar, Literal

import httpx
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from warmline.errors import WarmlineError

InboundKind = Literal["agent_replied", "assigned", "closed", "handed_back", "customer_message"]
OUTBOUND_KINDS = ("handoff", "transfer", "handback", "closed", "message")
MAX_SKEW_S = 300  # webhooks older (or newer) than this are refused as stale
PANEL_LIMIT = 131072  # a Salesforce Long Text Area's maximum length


class WebhookRejected(WarmlineError):
    """A webhook that is not provably from the desk, or too old. Nothing is changed."""

    code = "webhook_rejected"
    status = 401


class UnsupportedEvent(WarmlineError):
    """A webhook event type this integration does not handle (logged, nothing changed)."""

    code = "unsupported_event"
    status = 422


class Ignored(Exception):
    """A verified webhook that needs no action on purpose (an internal note, the bot's own
    message, a status that changes nothing). Answered 2xx so the desk does not count it as a
    failed delivery (Zendesk's webhook circuit breaker counts 4xx and 5xx answers)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class DeskUnavailable(WarmlineError):
    """The desk could not be asked what a webhook refers to: the desk should deliver it again."""

    code = "desk_unavailable"
    status = 503


class NotYet(Exception):
    """A plan step needs a record the desk has not made yet (e.g. the messaging ticket Zendesk
    creates after a control pass): retry later."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Lookup(Exception):
    """Raised while planning: this lookup must run before the rest of the plan can be known."""

    def __init__(self, request: DeskRequest):
        super().__init__(request.step)
        self.request = request


class DeskConfig(BaseSettings):
    """A desk's settings; each desk sets ``env_prefix`` (``WARMLINE_ZENDESK_`` ...), so they are
    read from the environment once, at start-up, and can be passed in explicitly in tests."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")
    enabled: bool = False
    base_url: str = ""
    webhook_secret: SecretStr = SecretStr("")


Links = dict[str, str]  # what the desk told us about one conversation: ticket_id, sys_id, ...


@dataclass(frozen=True)
class DeskRequest:
    """One step of a plan. ``step`` names it uniquely within one outbox item: the outbox records
    each step that succeeded, and a retry of the item skips them."""

    step: str
    method: str
    path: str  # relative to the desk's base URL
    json: dict[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. Idempotency-Key
    api: str = "default"  # which credentials sign it (Zendesk: Support API or Conversations API)
    # links learned from a successful answer (e.g. the created case's sys_id)
    learn: Callable[[httpx.Response], Links] | None = None
    learns: tuple[str, ...] = ()  # the names ``learn`` fills, for `warmline integrations render`
    # a read that looks a record up: a 404 means "nothing there", and it is recorded as done
    # only when it learned something (so a later retry looks again)
    lookup: bool = False
    # A request signed over its exact bytes (the webhooks to outside bots): ``content`` is sent
    # as is, to ``url`` (absolute) instead of the desk's base URL + ``path``.
    content: bytes | None = None
    url: str | None = None


@dataclass(frozen=True)
class Outbound:
    """What a plan is computed from: the outbox item and the links known now."""

    kind: str
    body: dict[str, Any]
    links: Links
    key: str  # stable per outbox item: idempotency keys are derived from it
    looked: frozenset[str] = frozenset()  # lookup steps that found nothing on this attempt

    def find(self, name: str, lookup: DeskRequest) -> str | None:
        """The link ``name``; when unknown, raise ``Lookup`` so the plan looks it up first, or
        return None once the lookup has found nothing."""
        if name in self.links:
            return self.links[name]
        if lookup.step in self.looked:
            return None
        raise Lookup(lookup)


@dataclass(frozen=True)
class InboundEvent:
    kind: InboundKind
    conversation_id: str  # Warmline's id, or "" when only the desk's id is known (``desk_ref``)
    delivery_id: str
    agent_ref: str = ""  # the desk's id of the agent
    agent_name: str = ""
    text: str = ""
    desk_ref: str = ""  # the desk's conversation (or ticket) id
    customer_name: str = ""
    links: Links = field(default_factory=dict)  # links to remember for the conversation


@dataclass(frozen=True)
class Webhook:
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    payload: dict[str, Any]
    now: datetime


Parser = Callable[[Any, dict[str, Any], str], InboundEvent]


@dataclass
class Desk:
    name: ClassVar[str]
    config_class: ClassVar[type[DeskConfig]]
    # webhook event type -> parser of that event into an InboundEvent (raises Ignored on purpose)
    events: ClassVar[dict[str, Parser]]
    probe: ClassVar[str]  # a cheap authenticated GET that proves the credentials work
    # the desk's own messaging: conversations that start there are answered there
    messaging: ClassVar[bool] = False
    # only conversations that started in the desk reach it (it has no tickets of its own)
    messaging_only: ClassVar[bool] = False
    config: DeskConfig = field(default_factory=DeskConfig)
    # `warmline integrations render`: a setting that is not configured shows as ``<name>``
    placeholders: bool = False

    def setting(self, value: str | None, name: str) -> str | None:
        """A configured value, else a visible placeholder when rendering, else None."""
        if value:
            return value
        return f"<{name}>" if self.placeholders else None

    def auth_headers(self, api: str = "default") -> dict[str, str]:
        """Authentication and content headers for outbound calls through ``api``."""
        raise NotImplementedError

    def plan(self, outbound: Outbound) -> list[DeskRequest]:
        """Every request of this outbound item, in order, given the links known now."""
        raise NotImplementedError

    def find_conversation(self, desk_ref: str) -> DeskRequest | None:
        """A read that learns ``conversation_id`` for a desk record a webhook names but Warmline
        has not linked yet (a messaging ticket Zendesk made itself), or None."""
        return None

    def refresh(self, client: httpx.Client) -> bool:
        """Renew expired credentials after a 401; True when a retry may now succeed."""
        return False

    def verify(self, webhook: Webhook) -> str:
        """Check the signature and freshness; return the delivery id used against replays."""
        raise NotImplementedError

    def event_type(self, payload: dict[str, Any]) -> str:
        raise NotImplementedError

    def split(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        """The events of one delivery, each parsed on its own (most desks send one)."""
        return [payload]

    def parse(self, webhook: Webhook) -> InboundEvent:
        """Verify, then map the event; raises ``Ignored`` for an event that needs no action."""
        delivery_id = self.verify(webhook)
        kind = self.event_type(webhook.payload)
        parser = self.events.get(kind)
        if parser is None:
            raise UnsupportedEvent(f"{self.name} event {kind!r} is not handled", details={"event": kind})
        try:
            return parser(self, webhook.payload, delivery_id)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
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


def json_links(*path: str, name: str) -> Callable[[httpx.Response], Links]:
    """A ``learn`` that reads one value at ``path`` of a JSON answer (absent: nothing learned)."""

    def learn(response: httpx.Response) -> Links:
        value: Any = response.json() if response.content else {}
        for key in path:
            if isinstance(value, list):
                value = value[int(key)] if len(value) > int(key) else None
            elif isinstance(value, dict):
                value = value.get(key)
            if value is None:
                return {}
        return {name: str(value)}

    return learn


def case_title(body: dict[str, Any]) -> str:
    """A ticket/case title: who, and what they need."""
    return f"{body.get('customer_name') or 'Customer'}: {body.get('intent_label') or body.get('team', '')}"


def summary_note(body: dict[str, Any]) -> str:
    """The payload as an internal note formatted for scanning: summary, facts, next step, draft,
    citations."""
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
    citations = payload.get("citations") or []
    if citations:
        lines += ["CITATIONS"] + [f"• {c.get('article_id', '')}: {c.get('title') or ''}".rstrip() for c in citations]
        lines.append("")
    lines.append(f"Full payload: {body.get('sidebar_url', '')}")
    return "\n".join(lines)


def transfer_note(body: dict[str, Any]) -> str:
    return f"Warmline transfer to {body.get('team', '')} (priority {body.get('priority', '')}).\n\n" + summary_note(
        body
    )


def handback_note(body: dict[str, Any]) -> str:
    return f"Handed back to the Warmline assistant: {body.get('note') or '(no note)'}"


def panel_document(body: dict[str, Any], limit: int = PANEL_LIMIT) -> str:
    """What a desk panel shows (summary, draft, next action, citations, key facts), as the JSON a
    desk field holds (Salesforce ``Warmline_Payload__c``, ServiceNow ``u_warmline_payload``)."""
    payload = body.get("payload") or {}
    document = {
        "conversation_id": body["conversation_id"],
        "team": body.get("team"),
        "summary": payload.get("summary", ""),
        "draft": (payload.get("draft") or {}).get("text", ""),
        "next_action": payload.get("next_action") or {},
        "citations": [
            {k: c.get(k) for k in ("article_id", "title", "passage", "score")} for c in payload.get("citations") or []
        ],
        "key_facts": [{"kind": f.get("kind"), "value": f.get("value")} for f in payload.get("key_facts") or []],
        "sidebar_url": body.get("sidebar_url", ""),
    }
    text = json.dumps(document, ensure_ascii=False)
    while len(text) > limit and document["citations"]:
        document["citations"] = document["citations"][:-1]
        text = json.dumps(document, ensure_ascii=False)
    while len(text) > limit and document["key_facts"]:
        document["key_facts"] = document["key_facts"][:-1]
        text = json.dumps(document, ensure_ascii=False)
    return text if len(text) <= limit else json.dumps({**document, "summary": document["summary"][:2000]})


def cap_utf8(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, on a character boundary."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "..."


_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)


def html_to_text(html: str) -> str:
    """An agent's HTML reply as the plain text Warmline stores (tags dropped, entities decoded)."""
    text = _TAG.sub("", _BREAK.sub("\n", html))
    return "\n".join(line.strip() for line in unescape(text).splitlines()).strip()


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


def flow_event(desk: Desk, payload: dict[str, Any], delivery_id: str) -> InboundEvent:
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


def ignore(reason: str) -> Parser:
    """A parser for an event type that is verified and answered 2xx, but needs no action."""

    def parser(desk: Desk, payload: dict[str, Any], delivery_id: str) -> InboundEvent:
        raise Ignored(reason)

    return parser


FLOW_EVENTS: dict[str, Parser] = {kind: flow_event for kind in ("agent_replied", "assigned", "closed", "handed_back")}
