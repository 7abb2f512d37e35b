"""Aggregate the metric definitions by cohort and team, with 95% intervals.

The JSON form is a stable interface: ``cohorts.warm`` and ``cohorts.cold`` each hold
``handoffs``, ``repeat_context_rate``, ``draft_usage_rate``, ``handle_time_s`` (mean),
``routing_accuracy`` and ``csat``, each with a ``<name>_ci`` pair [low, high] (null when there is
nothing to measure), and ``teams.<team>.cohorts`` holds the same per team.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime
from statistics import fmean
from typing import Any

from warmline.metrics.definitions import ConversationFacts, Handoff
from warmline.metrics.intervals import mean_interval, wilson

COHORTS = ("warm", "cold")
SATISFIED = 4  # a survey score of 4 or 5 out of 5 counts as satisfied


def _rate(name: str, hits: int, n: int) -> dict[str, Any]:
    return {name: round(hits / n, 4) if n else None, f"{name}_ci": wilson(hits, n), f"{name}_n": n}


def _mean(name: str, values: list[float]) -> dict[str, Any]:
    return {
        name: round(fmean(values), 2) if values else None,
        f"{name}_ci": mean_interval(values),
        f"{name}_n": len(values),
    }


def cohort_metrics(handoffs: list[Handoff], surveys: list[int]) -> dict[str, Any]:
    picked = [h for h in handoffs if h.claimed_at is not None]
    ended = [h for h in picked if h.ended_at is not None]
    with_draft = [h for h in picked if h.draft_shown]
    result: dict[str, Any] = {"handoffs": len(handoffs), "picked_up": len(picked)}
    result.update(_rate("repeat_context_rate", sum(h.repeat_context for h in picked), len(picked)))
    result.update(_rate("draft_usage_rate", sum(h.draft_used for h in with_draft), len(with_draft)))
    result.update(
        _mean(
            "handle_time_s", [(h.ended_at - h.claimed_at).total_seconds() for h in ended if h.ended_at and h.claimed_at]
        )
    )
    result.update(_rate("routing_accuracy", sum(not h.transferred for h in ended), len(ended)))
    result.update(_rate("csat", sum(s >= SATISFIED for s in surveys), len(surveys)))
    result.update(
        _mean("time_to_pickup_s", [(h.claimed_at - h.escalated_at).total_seconds() for h in picked if h.claimed_at])
    )
    return result


def _by_cohort(handoffs: list[Handoff], surveys: dict[str, list[int]]) -> dict[str, Any]:
    return {c: cohort_metrics([h for h in handoffs if h.cohort == c], surveys.get(c, [])) for c in COHORTS}


def build_report(
    conversations: list[ConversationFacts],
    *,
    team: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """All metrics over ``conversations`` (already read from their event logs)."""
    handoffs = [h for c in conversations for h in c.handoffs if team is None or h.team == team]
    surveys: dict[str, list[int]] = defaultdict(list)
    team_surveys: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for conversation in conversations:
        if conversation.survey_score is None:
            continue
        first = conversation.handoffs[0] if conversation.handoffs else None
        surveys[first.cohort if first else "none"].append(conversation.survey_score)
        if first is not None:
            team_surveys[first.team][first.cohort].append(conversation.survey_score)
    cohorts = _by_cohort(handoffs, surveys)
    teams = {
        name: {"cohorts": _by_cohort([h for h in handoffs if h.team == name], team_surveys[name])}
        for name in sorted({h.team for h in handoffs})
    }
    closed = [c for c in conversations if c.closed]
    active = [c for c in conversations if c.customer_turns]
    triggers = Counter(h.trigger for h in handoffs)
    warm, cold = cohorts["warm"]["handle_time_s"], cohorts["cold"]["handle_time_s"]
    overall: dict[str, Any] = {
        "conversations": len(conversations),
        "handoffs": len(handoffs),
        "escalation_rate_by_trigger": {t: round(n / len(active), 4) for t, n in sorted(triggers.items())}
        if active
        else {},
        "handle_time_reduction": round(1 - warm / cold, 4) if warm is not None and cold else None,
    }
    overall.update(_rate("bot_first_contact_resolution", sum(not c.handoffs for c in closed), len(closed)))
    overall.update(
        _rate(
            "refusal_accuracy", sum(c.accurate_refusals for c in conversations), sum(c.refusals for c in conversations)
        )
    )
    none = surveys.get("none", [])
    overall.update(_rate("non_escalated_csat", sum(s >= SATISFIED for s in none), len(none)))
    escalated = [s for c in COHORTS for s in surveys.get(c, [])]
    overall.update(_rate("post_escalation_csat", sum(s >= SATISFIED for s in escalated), len(escalated)))
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "team": team,
        "cohorts": cohorts,
        "teams": teams,
        "overall": overall,
    }


def report_from_store(
    store: Any,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    team: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Read the conversations started in [since, until) from the event store and report."""
    from warmline.metrics.definitions import read_conversation

    conversations = []
    for conversation_id in store.conversation_ids(since, until):
        conversations.append(read_conversation(store.load_events(conversation_id)))
        if progress is not None:
            progress(1)
    return build_report(conversations, team=team, since=since, until=until)
