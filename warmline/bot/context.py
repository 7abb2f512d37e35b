"""What the bot knows at one point of a conversation, read once and passed along.

``TurnSnapshot`` holds the locked writer (the history, read once and grown by what the bot
appends), the turn's analysis, the account, the clock reading and the team load; the decision and
the handoff assembly take it instead of each reading the log, the account or the clock again.
``model_context`` is the model's read-only view of the same memory for one customer message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from warmline.conversation import views
from warmline.conversation.events import (
    AgentMessage,
    BotMessage,
    CustomerMessage,
    EventRecord,
    HandedBack,
    NoteAdded,
    TurnAnalysed,
    actor_kind,
)
from warmline.conversation.state import ConversationState
from warmline.model import EscalationRecommendation, Fact, Turn, TurnAnalysis, TurnContext
from warmline.model.conversation_intent import asks_customer
from warmline.model.facts import extract_facts, merge_facts
from warmline.routing import Routing, RoutingRules, route

if TYPE_CHECKING:
    from warmline.storage.sql.store import Writer

# A team-load snapshot is a few aggregate queries; under a burst of turns one snapshot a second
# is as good as a fresh one for a wait estimate.
TEAM_LOAD_TTL_S = 1.0

TeamLoadTable = Mapping[str, Mapping[str, Any]]


@dataclass
class TeamLoadCache:
    load: Callable[[], dict[str, dict[str, Any]]]
    ttl_s: float = TEAM_LOAD_TTL_S

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._at = float("-inf")
        self._value: dict[str, dict[str, Any]] = {}

    def __call__(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            if time.monotonic() - self._at > self.ttl_s:
                self._value = self.load()
                self._at = time.monotonic()
            return self._value

    def invalidate(self) -> None:
        with self._lock:
            self._at = float("-inf")


@dataclass
class TurnSnapshot:
    """One turn of the bot's work on a locked conversation."""

    writer: Writer
    analysis: TurnAnalysis | None  # the turn's analysis (or the latest one, outside a turn)
    account: dict[str, Any] | None
    now: datetime
    load_team: Callable[[], TeamLoadTable] = field(default=dict, repr=False)

    @property
    def conversation_id(self) -> str:
        return self.writer.conversation_id

    @property
    def state(self) -> ConversationState:
        return self.writer.state

    def history(self) -> list[EventRecord]:
        """The log so far, including what the bot appended in this turn (read from storage once)."""
        return self.writer.history()

    @cached_property
    def team_load(self) -> TeamLoadTable:
        return self.load_team()

    def route(self, rules: RoutingRules, trigger: str | None, team_hint: str | None = None) -> Routing:
        texts = views.customer_texts(self.history())
        return route(
            self.analysis or no_analysis(),
            self.account,
            rules,
            now=self.now,
            trigger=trigger,
            team_hint=team_hint,
            texts=texts,
        )


def model_context(
    conversation_id: str,
    history: Sequence[EventRecord],
    message_seq: int,
    text: str,
    account: dict[str, Any] | None,
) -> TurnContext:
    """The model's read-only view of the shared memory for one customer message: every visible
    turn (agents' turns and handback notes included), earlier analyses, and every fact known."""
    turns: list[Turn] = []
    analyses: list[TurnAnalysis] = []
    known: list[Fact] = []
    for record in history:
        if record.seq >= message_seq:
            continue
        body = record.event
        if isinstance(body, CustomerMessage | BotMessage | AgentMessage):
            kind = actor_kind(record.actor)
            speaker = "bot" if kind == "system" else kind
            answered = isinstance(body, BotMessage) and body.kind == "answer" and not asks_customer(body.text)
            turns.append(Turn(seq=record.seq, speaker=speaker, text=body.text, answered=answered))
            if kind == "agent":
                known = merge_facts(known, extract_facts(body.text, record.seq, "agent"))
        elif isinstance(body, NoteAdded | HandedBack):
            note = body.text if isinstance(body, NoteAdded) else body.note
            turns.append(Turn(seq=record.seq, speaker="note", text=note))
            known = merge_facts(known, extract_facts(note, record.seq, "note"))
        elif isinstance(body, TurnAnalysed):
            analysis = body.analysis
            analyses.append(analysis)
            known = merge_facts(known, list(analysis.facts))
    return TurnContext(
        conversation_id=conversation_id,
        message_seq=message_seq,
        text=text,
        history=turns,
        analyses=analyses,
        known_facts=known,
        account=account,
    )


# What an agent's transfer is handed off for when no policy decision escalated before.
TRANSFER_ESCALATION: dict[str, Any] = {
    "outcome": "escalate",
    "trigger": "transfer",
    "reason": "transferred by an agent",
}


def escalation_of(history: Sequence[EventRecord]) -> dict[str, Any]:
    """The decision behind the conversation's latest handoff, as the payload builder reads it."""
    decision = views.last_escalation(history)
    return decision.model_dump(mode="json") if decision is not None else dict(TRANSFER_ESCALATION)


def no_analysis() -> TurnAnalysis:
    """The analysis of nothing: routing's input before the customer has said anything."""
    return TurnAnalysis(
        model="none",
        message_seq=0,
        flow=None,
        subflow=None,
        confidence=0.0,
        out_of_scope=False,
        oos_score=0.0,
        human_request=0.0,
        sentiment=0.0,
        frustration=0.0,
        reply="",
        reply_kind="answer",
        recommendation=EscalationRecommendation(escalate=False),
    )
