"""Derive the policy's counters from a conversation's event log (pure).

``conversation_inputs(history, analysis, team, team_load)``: ``history`` is the conversation's
events up to and including the current customer message; earlier analyses are read from its
``turn_analysed`` events. The *bot window* starts at the beginning of the conversation or at the
last ``handed_back`` event: customer turns and bot replies are counted inside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from warmline.conversation import views
from warmline.conversation.events import BotMessage, CustomerMessage, Escalated, EventRecord, HandedBack, TurnAnalysed
from warmline.model.analysis import TurnAnalysis
from warmline.policy.engine import PolicyInputs, TeamLoad
from warmline.shop.language import conversation_language

BOT_REPLY_KINDS = frozenset({"answer", "clarify", "refuse"})
RESOLVED_SENTIMENT = 0.3  # a clearly positive turn ("thanks, that worked") ends a same-need streak


def _own_intent(analysis: TurnAnalysis) -> str | None:
    top = analysis.alternatives[0] if analysis.alternatives else None
    return f"{top.flow}/{top.subflow}" if top else None


def same_need_turns(analyses: Sequence[TurnAnalysis]) -> int:
    """Consecutive customer turns, ending with the last one, spent on the same unresolved need.

    A turn continues the streak when the conversation's intent is unchanged and the turn either
    restates that intent or carries no intent of its own (a bare order number, "hello???"); a
    change of intent or a clearly positive turn ends it.
    """
    if not analyses:
        return 0
    current = analyses[-1]
    need = (current.flow, current.subflow)
    if current.flow is None:
        return 1
    count = 0
    for analysis in reversed(analyses):
        own = _own_intent(analysis)
        if (
            (analysis.flow, analysis.subflow) != need
            or (own is not None and own != f"{need[0]}/{need[1]}")
            or (analysis.sentiment >= RESOLVED_SENTIMENT and analysis is not current)
        ):
            break
        count += 1
    return max(count, 1)


def consecutive_oos(analyses: Sequence[TurnAnalysis]) -> int:
    count = 0
    for analysis in reversed(analyses):
        if not analysis.out_of_scope:
            break
        count += 1
    return count


def window_counters(analyses: Sequence[TurnAnalysis]) -> dict[str, int]:
    return {"same_need_turns": same_need_turns(analyses), "consecutive_oos_turns": consecutive_oos(analyses)}


def conversation_inputs(
    history: Sequence[EventRecord],
    analysis: TurnAnalysis,
    team: str,
    team_load: Mapping[str, Mapping[str, Any] | TeamLoad],
    store_answers: bool = False,
) -> PolicyInputs:
    """The :class:`PolicyInputs` for the customer turn ``analysis`` is about."""
    handback_index = max((i for i, r in enumerate(history) if isinstance(r.event, HandedBack)), default=None)
    window = history[handback_index + 1 :] if handback_index is not None else history
    customer_turns = sum(1 for r in window if isinstance(r.event, CustomerMessage))
    bot_replies = sum(
        1
        for r in window
        if isinstance(r.event, BotMessage) and r.event.kind in BOT_REPLY_KINDS and r.seq < analysis.message_seq
    )
    earlier = [b.analysis for b in views.bodies(window, TurnAnalysed) if b.message_seq != analysis.message_seq]
    all_analyses = [b.analysis for b in views.bodies(history, TurnAnalysed) if b.message_seq != analysis.message_seq]
    facts = [f for a in [*all_analyses, analysis] for f in a.facts]
    turns_since = minutes_since = None
    if handback_index is not None:
        handback = history[handback_index]
        turns_since = customer_turns
        current = next((r for r in reversed(history) if isinstance(r.event, CustomerMessage)), history[-1])
        minutes_since = round(max(0.0, (current.at - handback.at).total_seconds() / 60), 2)
    loads = {
        name: value if isinstance(value, TeamLoad) else TeamLoad.model_validate(dict(value))
        for name, value in team_load.items()
        if name == team  # only the chosen team's snapshot is recorded with the decision
    }
    said = next(
        (r.event.text for r in history if isinstance(r.event, CustomerMessage) and r.seq == analysis.message_seq), ""
    )
    return PolicyInputs(
        analysis=analysis,
        team=team,
        team_load=loads,
        customer_turns=customer_turns,
        bot_replies=bot_replies,
        escalations_before=sum(1 for r in history if isinstance(r.event, Escalated)),
        turns_since_handback=turns_since,
        minutes_since_handback=minutes_since,
        has_phone=any(f.kind == "phone" for f in facts),
        has_email=any(f.kind == "email" for f in facts),
        store_answers=store_answers,
        message_words=len(said.split()),
        language=conversation_language([r.event.text for r in history if isinstance(r.event, CustomerMessage)]),
        **window_counters([*earlier, analysis]),
    )
