"""Routing: analysis + account -> team, priority, skills, SLA due time, and why (DESIGN §5).

Pure: no I/O, the clock is passed in. The rules are data (``<pack>/routing.yaml``, loaded by
:func:`load_routing`); every result names the rule that chose the team and the rules version, so
routing is audited like the policy decision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from warmline.model.analysis import TurnAnalysis
from warmline.routing.rules import (
    Condition,
    RoutingRules,
    RoutingRulesError,
    load_routing,
    parse_routing,
    routable_teams,
)

__all__ = [
    "Routing",
    "RoutingRules",
    "RoutingRulesError",
    "explain_routing",
    "load_routing",
    "parse_routing",
    "routable_teams",
    "route",
]

RULE_TEAM_HINT = "transfer.team_hint"
RULE_TEAM_MAP = "intent.team_map"
RULE_OOS_FLOW = "out_of_scope.flow_owner"
RULE_TRIAGE = "triage.unknown_intent"


class Routing(BaseModel):
    """Where a handoff goes. ``model_dump(mode="json")`` / ``model_validate`` round-trip."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    team: str
    priority: int = Field(ge=1, le=4)  # 1 urgent .. 4 low
    skills: list[str] = []
    sla_due_at: datetime
    reason: str
    rule: str  # id of the rule that chose the team
    rules_version: str
    intent: str | None = None  # "flow/subflow"
    raised_by: list[str] = []  # ids of the priority raises that applied


def route(
    analysis: TurnAnalysis,
    account: dict[str, Any] | None,
    rules: RoutingRules,
    *,
    now: datetime,
    trigger: str | None = None,
    team_hint: str | None = None,
    texts: Sequence[str] = (),
) -> Routing:
    """Route a handoff. ``texts`` are the customer's messages (optional; read by ``words_any``
    conditions, as are the stated facts); ``team_hint`` (an agent transfer) wins over every rule."""
    spec = rules.spec
    intent = f"{analysis.flow}/{analysis.subflow}" if analysis.flow and analysis.subflow else None
    evidence = [*texts, *(f.value for f in analysis.facts)]

    rule_priority: int | None = None
    rule_skills: list[str] = []
    if team_hint:
        team, rule_id = team_hint, RULE_TEAM_HINT
        reason = f"transferred to {team_hint} by an agent"
    else:
        matched = next((r for r in spec.rules if _holds(r.when, analysis, account, trigger, evidence)), None)
        if matched is not None:
            team, rule_id, reason = matched.team, matched.id, matched.reason
            rule_priority, rule_skills = matched.priority, list(matched.skills)
            detail = _detail(matched.when, analysis, account)
            if detail:
                reason = f"{reason} ({detail})"
        else:
            team, rule_id, reason = _default_team(analysis, rules, intent)

    priority = rule_priority or spec.priority.teams.get(team, spec.priority.default)
    raised: list[str] = []
    for entry in spec.priority.raise_:
        if entry.frustration_at_least is not None and analysis.frustration < entry.frustration_at_least:
            continue
        if not entry.when.is_empty() and not _holds(entry.when, analysis, account, trigger, evidence):
            continue
        priority -= entry.by
        raised.append(entry.id)
    priority = max(1, min(4, priority))

    minutes = spec.sla_minutes.teams.get(team, {}).get(priority) or spec.sla_minutes.default[priority]
    skills = _skills(rules, team, analysis, rule_skills)
    if raised:
        reason = f"{reason}; priority raised by {', '.join(raised)}"
    return Routing(
        team=team,
        priority=priority,
        skills=skills,
        sla_due_at=now + timedelta(minutes=minutes),
        reason=reason,
        rule=rule_id,
        rules_version=rules.version,
        intent=intent,
        raised_by=raised,
    )


def explain_routing(routing: Routing) -> str:
    """A few lines a supervisor can read: team, why, urgency, deadline, skills, rules version."""
    lines = [
        f"team {routing.team} (rule {routing.rule}): {routing.reason}",
        f"priority P{routing.priority}" + (f", raised by {', '.join(routing.raised_by)}" if routing.raised_by else ""),
        f"due by {routing.sla_due_at.isoformat()}",
    ]
    if routing.intent:
        lines.append(f"intent {routing.intent}")
    if routing.skills:
        lines.append(f"skills {', '.join(routing.skills)}")
    lines.append(f"rules version {routing.rules_version}")
    return "\n".join(lines)


# ---- helpers ---------------------------------------------------------------------------------


def _default_team(analysis: TurnAnalysis, rules: RoutingRules, intent: str | None) -> tuple[str, str, str]:
    triage = rules.spec.triage_team
    if analysis.flow is None:
        return triage, RULE_TRIAGE, "no intent recognised yet: triage takes a first look"
    owner = rules.team_for(analysis.flow, analysis.subflow) or rules.flow_team(analysis.flow)
    if owner is None:
        return triage, RULE_TRIAGE, f"intent {intent or analysis.flow} has no owning team: triage takes a first look"
    if analysis.out_of_scope:
        return (
            owner,
            RULE_OOS_FLOW,
            (f"the last request is out of scope; {owner} owns the conversation's {analysis.flow} request"),
        )
    return owner, RULE_TEAM_MAP, f"{owner} owns {intent} (team map)"


def _intents(analysis: TurnAnalysis, min_confidence: float) -> set[str]:
    found = set()
    if analysis.flow and analysis.subflow and analysis.confidence >= min_confidence:
        found.add(f"{analysis.flow}/{analysis.subflow}")
    found |= {f"{a.flow}/{a.subflow}" for a in analysis.alternatives if a.confidence >= min_confidence}
    return found


def _account_values(account: dict[str, Any] | None, field: str) -> set[str]:
    if not account:
        return set()
    value = account.get(field)
    if value is None and isinstance(account.get("profile"), dict):
        value = account["profile"].get(field)
    if isinstance(value, list | tuple | set):
        return {str(v).lower() for v in value}
    return {str(value).lower()} if value is not None else set()


def _holds(
    when: Condition,
    analysis: TurnAnalysis,
    account: dict[str, Any] | None,
    trigger: str | None,
    evidence: Sequence[str],
) -> bool:
    if when.account_flags_any and not _account_values(account, "flags") & {f.lower() for f in when.account_flags_any}:
        return False
    if when.account_any and not any(
        _account_values(account, field) & {v.lower() for v in values} for field, values in when.account_any.items()
    ):
        return False
    if when.intent_in and not _intents(analysis, when.min_confidence) & set(when.intent_in):
        return False
    if when.words_any and not any(re.search(p, text, re.I) for p in when.words_any for text in evidence):
        return False
    return not (when.trigger_in and trigger not in when.trigger_in)


def _detail(when: Condition, analysis: TurnAnalysis, account: dict[str, Any] | None) -> str:
    parts = []
    if when.account_flags_any:
        flags = sorted(_account_values(account, "flags") & {f.lower() for f in when.account_flags_any})
        parts.append("flags " + ", ".join(flags))
    if when.intent_in:
        hits = sorted(_intents(analysis, when.min_confidence) & set(when.intent_in))
        parts.append("intent " + ", ".join(hits))
    for field, values in when.account_any.items():
        hits = sorted(_account_values(account, field) & {v.lower() for v in values})
        if hits:
            parts.append(f"{field} {', '.join(hits)}")
    return "; ".join(parts)


def _skills(rules: RoutingRules, team: str, analysis: TurnAnalysis, extra: list[str]) -> list[str]:
    table = rules.spec.skills
    skills = [*table.teams.get(team, []), *extra]
    if analysis.flow:
        skills += table.intents.get(analysis.flow, [])
        if analysis.subflow:
            skills += table.intents.get(f"{analysis.flow}/{analysis.subflow}", [])
    return list(dict.fromkeys(skills))
