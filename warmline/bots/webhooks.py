"""Signed events to an outside bot's webhook URL, through the durable outbox.

When a conversation held by an outside bot changes hands, the bot is told:
``conversation.escalated`` (a team's queue has it), ``.claimed`` (a person took it),
``.agent_message`` (what the person wrote; a bot platform relays it to the customer),
``.handed_back`` (the note and the turns of the human part, so the bot resumes at once) and
``.closed``. Events are queued in the change's own transaction (a before-commit hook) and sent by
the outbox dispatcher in order per conversation, with its retries and dead-letter view.

Signatures follow Standard Webhooks (https://www.standardwebhooks.com/): ``webhook-id`` (the
same on every retry, so the bot can drop duplicates), ``webhook-timestamp`` (epoch seconds of
this attempt) and ``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` keyed
with the source's ``whsec_`` secret; the body is signed and sent byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from warmline.bots.sources import BotSources, SourceNotFound, secret_key
from warmline.conversation.events import (
    AgentMessage,
    Claimed,
    Closed,
    ConversationStarted,
    CustomerMessage,
    Escalated,
    EventRecord,
    HandedBack,
    PayloadBuilt,
    actor_kind,
)
from warmline.integrations.base import Desk, DeskConfig, DeskRequest, Outbound, Webhook
from warmline.integrations.outbound import GiveUp
from warmline.storage.sql.store import Writer

OUTBOX_DESK = "bot_webhooks"  # the outbox's ``desk`` column for these deliveries
EventType = Literal[
    "conversation.escalated",
    "conversation.claimed",
    "conversation.agent_message",
    "conversation.handed_back",
    "conversation.closed",
]
# "/intent_name" in a handback note asks the bot to resume with that intent (Rasa's syntax for
# triggering an intent from a message); only after whitespace, so URLs do not count.
NAMED_INTENT = re.compile(r"(?:^|\s)/([A-Za-z_][A-Za-z0-9_-]{0,63})\b")


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    conversation_id: str
    source: str
    external_id: str
    seq: int
    status: str
    team: str | None


class EscalatedData(_Data):
    trigger: str
    reason: str
    priority: int
    mode: str
    summary: str = ""


class ClaimedData(_Data):
    agent_id: str


class AgentMessageData(_Data):
    agent_id: str
    text: str


class HumanTurn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    seq: int
    role: Literal["customer", "agent"]
    text: str
    at: datetime
    external_id: str | None = None


class HandedBackData(_Data):
    agent_id: str
    note: str
    trigger_intent: str | None  # named in the note as "/intent_name"
    turns: list[HumanTurn]  # the customer's and the agents' turns since the escalation


class ClosedData(_Data):
    reason: str
    agent_id: str | None


class BotEvent(BaseModel):
    """The webhook body (Standard Webhooks' recommended ``type``/``timestamp``/``data`` shape)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    type: EventType
    timestamp: datetime
    data: EscalatedData | ClaimedData | AgentMessageData | HandedBackData | ClosedData


def named_intent(note: str) -> str | None:
    found = NAMED_INTENT.search(note)
    return found.group(1) if found else None


def human_turns(history: list[EventRecord]) -> list[HumanTurn]:
    """The customer's and agents' turns since the last escalation."""
    start = max((i for i, r in enumerate(history) if isinstance(r.event, Escalated)), default=len(history))
    turns = []
    for record in history[start + 1 :]:
        body = record.event
        if isinstance(body, CustomerMessage):
            turns.append(
                HumanTurn(seq=record.seq, role="customer", text=body.text, at=record.at, external_id=body.external_id)
            )
        elif isinstance(body, AgentMessage):
            turns.append(HumanTurn(seq=record.seq, role="agent", text=body.text, at=record.at))
    return turns


def bot_event(writer: Writer, record: EventRecord) -> BotEvent | None:
    """The event an outside bot hears about ``record``, or None for events it does not."""
    started = writer.history()[0].event
    assert isinstance(started, ConversationStarted)
    state = writer.state
    common = {
        "conversation_id": state.id,
        "source": state.source or "",
        "external_id": started.external_id or "",
        "seq": record.seq,
        "status": state.status.value,
        "team": state.team,
    }
    body = record.event
    data: Any
    if isinstance(body, Escalated):
        built = [r.event for r in writer.history() if isinstance(r.event, PayloadBuilt)]
        payload: dict[str, Any] = built[-1].payload.model_dump(mode="json") if built else {}
        data = EscalatedData(
            **common,
            trigger=body.trigger,
            reason=body.reason,
            priority=body.priority,
            mode=body.mode,
            summary=str(payload.get("summary", "")),
        )
        kind = "conversation.escalated"
    elif isinstance(body, Claimed):
        data, kind = ClaimedData(**common, agent_id=body.agent_id), "conversation.claimed"
    elif isinstance(body, AgentMessage):
        data, kind = AgentMessageData(**common, agent_id=body.agent_id, text=body.text), "conversation.agent_message"
    elif isinstance(body, HandedBack):
        data = HandedBackData(
            **common,
            agent_id=body.agent_id,
            note=body.note,
            trigger_intent=named_intent(body.note),
            turns=human_turns([r for r in writer.history() if r.seq <= record.seq]),
        )
        kind = "conversation.handed_back"
    elif isinstance(body, Closed):
        agent = body.agent_id or (record.actor.split(":", 1)[1] if actor_kind(record.actor) == "agent" else None)
        data, kind = ClosedData(**common, reason=body.reason, agent_id=agent), "conversation.closed"
    else:
        return None
    return BotEvent(type=kind, timestamp=record.at, data=data)


def queue_bot_events(writer: Writer) -> None:
    """Before-commit hook: queue the events an outside bot hears about, in this transaction."""
    if writer.state.source is None:
        return
    for record in writer.pending:
        event = bot_event(writer, record)
        if event is not None:
            writer.enqueue(OUTBOX_DESK, event.type, {"webhook_id": webhook_id(record), **event.model_dump(mode="json")})


def webhook_id(record: EventRecord) -> str:
    return f"msg_{record.conversation_id}_{record.seq}"


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one delivery."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


@dataclass
class BotWebhooks(Desk):
    """The outbox delivery kind for outside bots: one signed POST per event to the source's URL."""

    name: ClassVar[str] = OUTBOX_DESK
    config_class: ClassVar[type[DeskConfig]] = DeskConfig
    events: ClassVar[dict[str, Any]] = {}
    probe: ClassVar[str] = ""
    sources: BotSources | None = None
    clock: Callable[[], datetime] | None = None

    def __post_init__(self) -> None:
        self.config = DeskConfig(enabled=True)

    def auth_headers(self, api: str = "default") -> dict[str, str]:
        return {}  # each request carries its own signature

    def plan(self, outbound: Outbound) -> list[DeskRequest]:
        """One step: the signed POST, signed anew on each attempt (a fresh timestamp)."""
        assert self.sources is not None and self.clock is not None
        body = outbound.body
        try:
            source = self.sources.get(str(body["data"]["source"]))
        except SourceNotFound as exc:
            raise GiveUp(f"bot {body['data']['source']!r} no longer exists") from exc
        msg_id = str(body["webhook_id"])
        event = {k: v for k, v in body.items() if k != "webhook_id"}
        content = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(self.clock().timestamp())
        headers = {
            "content-type": "application/json",
            "user-agent": "Warmline-Webhooks/1",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self.sources.secret(source), msg_id, timestamp, content),
        }
        return [DeskRequest("deliver", "POST", "", content=content, headers=headers, url=source.webhook_url)]

    def verify(self, webhook: Webhook) -> str:
        raise NotImplementedError("outside bots are sent events; they post turns through the ingestion API")

    def event_type(self, payload: dict[str, Any]) -> str:
        raise NotImplementedError

    def missing(self) -> list[str]:
        return []
