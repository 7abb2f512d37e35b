"""Conversation state is a fold over its events, and the lifecycle says which events may come next.

    BOT -> WAITING_FOR_AGENT -> WITH_AGENT -> (BOT via handback | CLOSED)

``check`` is the one place that refuses an illegal transition; ``apply`` is the one place that
computes state. Both are pure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from warmline.conversation.events import (
    AgentMessage,
    Claimed,
    Closed,
    ConversationStarted,
    Escalated,
    EventBody,
    EventRecord,
    HandedBack,
    Released,
    Transferred,
)
from warmline.errors import IllegalTransition


class Status(StrEnum):
    BOT = "BOT"
    WAITING_FOR_AGENT = "WAITING_FOR_AGENT"
    WITH_AGENT = "WITH_AGENT"
    CLOSED = "CLOSED"


OPEN = frozenset({Status.BOT, Status.WAITING_FOR_AGENT, Status.WITH_AGENT})
HUMAN = frozenset({Status.WAITING_FOR_AGENT, Status.WITH_AGENT})

# Event type -> statuses in which it may be appended. conversation_started is only ever first.
ALLOWED_IN: dict[str, frozenset[Status]] = {
    "customer_message": OPEN,
    "bot_message": frozenset({Status.BOT}),  # never while a person owns the conversation
    "agent_message": frozenset({Status.WITH_AGENT}),
    "note_added": OPEN,
    "turn_analysed": OPEN,
    "policy_decided": frozenset({Status.BOT}),
    "routed": OPEN,
    "payload_built": OPEN,
    "escalated": frozenset({Status.BOT}),
    "claimed": frozenset({Status.WAITING_FOR_AGENT}),
    "released": frozenset({Status.WITH_AGENT}),
    "transferred": HUMAN,
    "handed_back": frozenset({Status.WITH_AGENT}),
    "closed": OPEN,
    "survey_answered": frozenset({Status.CLOSED}),
    # What the bot looked up and did in the store's systems: only while it owns the conversation.
    "identity_verified": frozenset({Status.BOT}),
    "store_looked_up": frozenset({Status.BOT}),
    "store_action": frozenset({Status.BOT}),
}

# How a refused event is named in error messages.
ACTION_NAMES: dict[str, str] = {
    "customer_message": "post a message",
    "bot_message": "let the bot reply",
    "agent_message": "send an agent message",
    "escalated": "escalate",
    "claimed": "claim",
    "released": "release",
    "transferred": "transfer",
    "handed_back": "hand back",
    "closed": "close",
    "survey_answered": "answer the survey",
}

MOVES_TO: dict[str, Status] = {
    "escalated": Status.WAITING_FOR_AGENT,
    "claimed": Status.WITH_AGENT,
    "released": Status.WAITING_FOR_AGENT,
    "transferred": Status.WAITING_FOR_AGENT,
    "handed_back": Status.BOT,
    "closed": Status.CLOSED,
}


@dataclass(frozen=True)
class ConversationState:
    id: str
    status: Status
    channel: str
    created_at: datetime
    updated_at: datetime
    last_seq: int
    customer_name: str | None = None
    account_id: str | None = None
    team: str | None = None
    agent_id: str | None = None
    priority: int = 3
    sla_due_at: datetime | None = None
    waiting_since: datetime | None = None
    cohort: str | None = None
    customer_messages: int = 0
    escalations: int = 0
    handbacks: int = 0
    transfers: int = 0
    surveyed: bool = False
    source: str | None = None  # the outside bot that holds the conversation, if any

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "channel": self.channel,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "last_seq": self.last_seq,
            "customer_name": self.customer_name,
            "account_id": self.account_id,
            "team": self.team,
            "agent_id": self.agent_id,
            "priority": self.priority,
            "sla_due_at": self.sla_due_at.isoformat() if self.sla_due_at else None,
            "waiting_since": self.waiting_since.isoformat() if self.waiting_since else None,
            "customer_messages": self.customer_messages,
            "escalations": self.escalations,
            "handbacks": self.handbacks,
            "transfers": self.transfers,
            "cohort": self.cohort,
            "surveyed": self.surveyed,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ConversationState:
        def when(value: object) -> datetime | None:
            return datetime.fromisoformat(value) if isinstance(value, str) else None

        return cls(
            id=data["id"],
            status=Status(data["status"]),
            channel=data["channel"],
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            last_seq=data["last_seq"],
            customer_name=data.get("customer_name"),
            account_id=data.get("account_id"),
            team=data.get("team"),
            agent_id=data.get("agent_id"),
            priority=data.get("priority", 3),
            sla_due_at=when(data.get("sla_due_at")),
            waiting_since=when(data.get("waiting_since")),
            cohort=data.get("cohort"),
            customer_messages=data.get("customer_messages", 0),
            escalations=data.get("escalations", 0),
            handbacks=data.get("handbacks", 0),
            transfers=data.get("transfers", 0),
            surveyed=data.get("surveyed", False),
            source=data.get("source"),
        )


def check(state: ConversationState, event: EventBody, actor: str) -> None:
    """Refuse an event the lifecycle does not allow now. Changes nothing."""
    allowed = ALLOWED_IN.get(event.type)
    if allowed is None:
        raise IllegalTransition(f"{event.type} cannot be appended to an existing conversation")
    if state.status not in allowed:
        raise IllegalTransition(
            f"cannot {ACTION_NAMES.get(event.type, event.type)} while the conversation is {state.status.value}",
            details={"status": state.status.value, "event": event.type},
        )
    holder = getattr(event, "agent_id", None) if isinstance(event, AgentMessage | Released | HandedBack) else None
    if isinstance(event, Transferred | Closed) and state.status == Status.WITH_AGENT and event.agent_id:
        holder = event.agent_id
    if holder is not None and holder != state.agent_id:
        raise IllegalTransition(
            "only the agent who holds the conversation can do that",
            details={"status": state.status.value, "event": event.type, "agent_id": state.agent_id},
            code="not_assigned",
        )
    if event.type == "survey_answered" and state.surveyed:
        raise IllegalTransition("the survey was already answered", code="already_surveyed")


def start(record: EventRecord) -> ConversationState:
    body = record.event
    if not isinstance(body, ConversationStarted) or record.seq != 1:
        raise ValueError("a conversation's log must begin with conversation_started at seq 1")
    return ConversationState(
        id=record.conversation_id,
        status=Status.BOT,
        channel=body.channel,
        created_at=record.at,
        updated_at=record.at,
        last_seq=1,
        customer_name=body.customer_name,
        account_id=body.account_id,
        source=body.source,
    )


def apply(state: ConversationState, record: EventRecord) -> ConversationState:
    body = record.event
    changes: dict[str, object] = {"last_seq": record.seq, "updated_at": record.at}
    if body.type in MOVES_TO:
        changes["status"] = MOVES_TO[body.type]
    if body.type == "customer_message":
        changes["customer_messages"] = state.customer_messages + 1
    elif isinstance(body, Escalated):
        changes.update(
            team=body.team,
            priority=body.priority,
            sla_due_at=body.sla_due_at,
            waiting_since=record.at,
            cohort=body.cohort,
            escalations=state.escalations + 1,
            agent_id=None,
        )
    elif isinstance(body, Claimed):
        changes.update(agent_id=body.agent_id, waiting_since=None)
    elif isinstance(body, Released):
        changes.update(agent_id=None, waiting_since=record.at)
    elif isinstance(body, Transferred):
        changes.update(team=body.to_team, agent_id=None, waiting_since=record.at, transfers=state.transfers + 1)
    elif body.type == "handed_back":
        changes.update(agent_id=None, handbacks=state.handbacks + 1)
    elif body.type == "closed":
        changes.update(agent_id=None, waiting_since=None)
    elif body.type == "survey_answered":
        changes["surveyed"] = True
    return replace(state, **changes)  # type: ignore[arg-type]


def fold(records: list[EventRecord]) -> ConversationState:
    state = start(records[0])
    for record in records[1:]:
        state = apply(state, record)
    return state
