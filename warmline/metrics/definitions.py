"""The handoff metrics of DESIGN.md §7, computed from conversation event logs only.

Every report, dashboard and test uses these definitions.

A *handoff* starts at an ``escalated`` event and ends at the next ``handed_back`` or ``closed``;
it is *picked up* at its first ``claimed``. Its cohort (warm payload or cold transfer) and first
team are recorded on the ``escalated`` event.

- repeat-context rate = picked-up handoffs in which, after pickup, the agent asks for a fact the
  customer gave before the handoff, or the customer states such a fact again
  / picked-up handoffs. "Gave" means a fact in a ``turn_analysed`` event of a customer turn
  before the handoff; "asks for" means an agent message that requests that kind of fact
  (ASKS below); "states again" means a later analysis of a customer turn extracting the same
  value (compared normalised: case, spacing, punctuation; phones by digits).
- draft-usage rate = picked-up handoffs whose payload showed a draft and in which the agent
  sent it unedited or with a normalised edit distance of at most 0.2 / picked-up handoffs whose
  payload showed a draft.
- handle time = seconds from pickup to the handback or resolution (mean over ended handoffs).
- routing accuracy = ended handoffs finished by the first team routed to, with no transfer
  / ended handoffs.
- CSAT = surveys scoring 4 or 5 (of 5) / surveys; post-escalation CSAT counts conversations with
  a handoff (by the cohort of their first handoff), non-escalated CSAT the others.
- bot first-contact resolution = closed conversations that never escalated / closed conversations.
- refusal accuracy = bot refusals whose analysed turn was out of scope and after which the
  customer did not escalate within the next two turns / bot refusals.
- escalation rate by trigger = handoffs with that trigger / conversations with a customer turn.
- time to pickup = seconds from escalation to the first claim (mean over picked-up handoffs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from warmline.conversation.events import (
    AgentMessage,
    BotMessage,
    Claimed,
    Closed,
    CustomerMessage,
    Escalated,
    EventRecord,
    HandedBack,
    PayloadBuilt,
    SurveyAnswered,
    Transferred,
    TurnAnalysed,
)

DRAFT_USED_DISTANCE = 0.2

# What an agent says when asking for a kind of fact (paired with a request cue below).
ASKS: dict[str, str] = {
    "order_id": r"\border (?:id|number|#)",
    "email": r"\be-?mail\b(?! address)|\bemail address\b",
    "phone": r"\bphone(?: number)?\b",
    "name": r"\b(?:full |your |first |last )name\b",
    "username": r"\buser ?name\b",
    "zip_code": r"\b(?:zip|postal) ?code\b",
    "address": r"\b(?:shipping |street |home |mailing )address\b|\byour address\b",
    "account_id": r"\baccount (?:id|number)\b",
    "pin": r"\bpin\b",
}
REQUEST = re.compile(
    r"\b(?:could|can|would) you (?:please )?(?:give|provide|tell|share|confirm|send)|"
    r"\bwhat(?:'s| is) (?:your|the)\b|\bplease (?:provide|give|share|confirm|send)\b|\bmay i (?:have|get)\b|"
    r"\bi(?:'ll| will)? need (?:your|the)\b",
    re.IGNORECASE,
)
SENTENCE = re.compile(r"(?<=[.!?])\s+")
ASK_PATTERNS = {kind: re.compile(pattern, re.IGNORECASE) for kind, pattern in ASKS.items()}


def normalise(kind: str, value: str) -> str:
    if kind == "phone":
        return re.sub(r"\D", "", value)
    return re.sub(r"[\W_]+", "", value.lower())


def asks_for(text: str, kinds: set[str]) -> set[str]:
    """The kinds of fact among ``kinds`` that an agent message asks the customer for: only
    sentences that are requests count ("I have your phone number here" asks for nothing)."""
    asked: set[str] = set()
    for sentence in SENTENCE.split(text):
        if REQUEST.search(sentence) or sentence.rstrip().endswith("?"):
            asked |= {kind for kind in kinds if kind in ASK_PATTERNS and ASK_PATTERNS[kind].search(sentence)}
    return asked


@dataclass
class Handoff:
    conversation_id: str
    escalated_at: datetime
    team: str
    trigger: str
    cohort: str
    claimed_at: datetime | None = None
    ended_at: datetime | None = None
    end: str | None = None  # handed_back | closed
    transferred: bool = False
    repeat_context: bool = False
    draft_shown: bool = False
    draft_used: bool = False


@dataclass
class Refusal:
    customer_turns: int  # customer turns so far when the bot refused
    out_of_scope: bool  # the refused turn was analysed as out of scope
    followed_by_escalation: bool = False


@dataclass
class ConversationFacts:
    """What one conversation contributes to the metrics."""

    id: str
    started_at: datetime
    customer_turns: int = 0
    handoffs: list[Handoff] = field(default_factory=list)
    closed: bool = False
    survey_score: int | None = None
    refusals: int = 0
    accurate_refusals: int = 0


def _customer_facts(record: EventRecord) -> list[tuple[str, str, int]]:
    assert isinstance(record.event, TurnAnalysed)
    return [
        (f.kind, normalise(f.kind, f.value), f.source_seq)
        for f in record.event.analysis.facts
        if f.speaker == "customer" and normalise(f.kind, f.value)
    ]


def read_conversation(history: list[EventRecord]) -> ConversationFacts:
    """Walk one conversation's log once and collect its handoffs and outcomes."""
    conversation = ConversationFacts(id=history[0].conversation_id, started_at=history[0].at)
    known: set[tuple[str, str]] = set()  # facts the customer gave while no agent held it
    current: Handoff | None = None
    shown_drafts: set[str] = set()
    oos_turns: set[int] = set()
    refusals: list[Refusal] = []
    for record in history:
        match record.event:
            case CustomerMessage():
                conversation.customer_turns += 1
            case TurnAnalysed(analysis=analysis, message_seq=message_seq):
                facts = _customer_facts(record)
                if analysis.out_of_scope:
                    oos_turns.add(message_seq)
                if current is not None and current.claimed_at is not None:
                    if any((k, v) in known for k, v, _ in facts):
                        current.repeat_context = True
                else:
                    known.update((k, v) for k, v, _ in facts)
            case BotMessage(kind="refuse", in_reply_to=in_reply_to):
                refusals.append(Refusal(conversation.customer_turns, in_reply_to in oos_turns))
            case PayloadBuilt(payload=payload):
                if payload.draft is not None and payload.draft.id:
                    shown_drafts.add(payload.draft.id)
            case Escalated() as escalated:
                current = Handoff(
                    conversation_id=conversation.id,
                    escalated_at=record.at,
                    team=escalated.team,
                    trigger=escalated.trigger,
                    cohort=escalated.cohort,
                    draft_shown=bool(shown_drafts),
                )
                conversation.handoffs.append(current)
                for refusal in refusals:
                    if conversation.customer_turns - refusal.customer_turns <= 2:
                        refusal.followed_by_escalation = True
            case Claimed() if current is not None and current.claimed_at is None:
                current.claimed_at = record.at
            case Transferred() if current is not None:
                current.transferred = True
            case AgentMessage() as message if current is not None:
                if asks_for(message.text, {k for k, _ in known}):
                    current.repeat_context = True
                distance = message.draft_distance
                if message.draft_id in shown_drafts and distance is not None and distance <= DRAFT_USED_DISTANCE:
                    current.draft_used = True
            case HandedBack() | Closed() if current is not None:
                current.ended_at, current.end = record.at, record.type
                current = None
                shown_drafts = set()
            case SurveyAnswered(score=score):
                conversation.survey_score = score
        if isinstance(record.event, Closed):
            conversation.closed = True
    conversation.refusals = len(refusals)
    conversation.accurate_refusals = sum(r.out_of_scope and not r.followed_by_escalation for r in refusals)
    return conversation


def read_conversations(histories: Iterable[list[EventRecord]]) -> list[ConversationFacts]:
    return [read_conversation(history) for history in histories if history]
