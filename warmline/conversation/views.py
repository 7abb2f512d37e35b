"""Reading a conversation's log: the views the bot, the policy, the payload, the queue, the
metrics and the web take from it, in one place.

Each view reads the typed bodies (``turn_analysed`` carries a ``TurnAnalysis``,
``policy_decided`` a ``RecordedDecision``, ``routed`` a ``Routing``, ``payload_built`` a
``Payload``), so a new field on one of them is read where it is needed, not re-parsed here and
there. Pure: a list of records in, values out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from warmline.conversation.events import (
    CustomerMessage,
    EventBody,
    EventRecord,
    PayloadBuilt,
    PolicyDecided,
    Routed,
    TurnAnalysed,
)
from warmline.handoff.schema import Payload
from warmline.model.analysis import TurnAnalysis
from warmline.policy.engine import RecordedDecision
from warmline.routing import Routing

Body = TypeVar("Body", bound=EventBody)


def bodies(history: Sequence[EventRecord], kind: type[Body]) -> list[Body]:
    """Every body of one event type, oldest first."""
    return [r.event for r in history if isinstance(r.event, kind)]


def latest(history: Sequence[EventRecord], kind: type[Body]) -> Body | None:
    """The newest body of one event type, or None."""
    return next((r.event for r in reversed(history) if isinstance(r.event, kind)), None)


def analyses(history: Sequence[EventRecord]) -> list[TurnAnalysis]:
    return [body.analysis for body in bodies(history, TurnAnalysed)]


def latest_analysis(history: Sequence[EventRecord]) -> TurnAnalysis | None:
    analysed = latest(history, TurnAnalysed)
    return analysed.analysis if analysed else None


def last_escalation(history: Sequence[EventRecord]) -> RecordedDecision | None:
    """The decision behind the conversation's latest handoff, or None."""
    return next(
        (
            r.event.decision
            for r in reversed(history)
            if isinstance(r.event, PolicyDecided) and r.event.decision.escalates
        ),
        None,
    )


def decision_times_ms(history: Sequence[EventRecord]) -> list[float]:
    """How long each recorded policy decision took (decisions without a timing are left out)."""
    return [d.decision.decide_ms for d in bodies(history, PolicyDecided) if d.decision.decide_ms is not None]


def latest_routing(history: Sequence[EventRecord]) -> Routing | None:
    routed = latest(history, Routed)
    return routed.routing if routed else None


def latest_payload(history: Sequence[EventRecord]) -> Payload | None:
    built = latest(history, PayloadBuilt)
    return built.payload if built else None


def find_draft(history: Sequence[EventRecord], draft_id: str) -> str | None:
    """The text of the draft ``draft_id`` if a payload of this conversation showed it."""
    for built in reversed(bodies(history, PayloadBuilt)):
        draft = built.payload.draft
        if draft is not None and draft.id == draft_id:
            return draft.text
    return None


def customer_texts(history: Sequence[EventRecord]) -> list[str]:
    return [body.text for body in bodies(history, CustomerMessage)]
