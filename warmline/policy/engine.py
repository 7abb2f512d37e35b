"""The escalation decision: pure, deterministic, explained.

``decide(policy, inputs, now) -> Decision`` does no I/O and reads no clock: everything it uses is
in ``inputs`` (a JSON round-trippable snapshot recorded with the decision) and ``now``. Replaying
a stored decision with the same policy therefore gives the same decision.

Order of evaluation: the enabled triggers sorted by ``priority`` (1 first). The first trigger that
matches *and* is not held back by a guard fires and names the rule; triggers that matched but were
held back (bot effort not yet made, cooldown after a handback) are listed in ``held_back``.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from warmline.model.analysis import TurnAnalysis
from warmline.policy.rules import (
    BotRequestedRule,
    FrustrationRule,
    HumanRequestRule,
    LoopingRule,
    LowConfidenceRule,
    NoticeWords,
    OutOfScopeRule,
    Policy,
    Rule,
)

Mode = Literal["live", "callback", "ticket"]


class TeamLoad(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    waiting: int = 0
    agents_online: int = 0
    free_capacity: int = 0
    oldest_waiting_since: datetime | None = None


class BotSignals(BaseModel):
    """What an outside bot said about the turn (the ingestion API), and its source's thresholds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    intent: str | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    out_of_scope: bool | None = None
    handoff_requested: str | None = None  # the bot's reason, when it asks for a person
    confidence_threshold: float | None = Field(default=None, ge=0.0, le=1.0)  # the source's


class PolicyInputs(BaseModel):
    """Everything a decision depends on, recorded with it (``model_dump(mode="json")``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    analysis: TurnAnalysis
    team: str  # the team routing chose
    team_load: dict[str, TeamLoad] = {}
    customer_turns: int = Field(default=1, ge=0)  # since the bot (re)took over, this one included
    bot_replies: int = Field(default=0, ge=0)  # bot answers in that window, before this turn
    escalations_before: int = Field(default=0, ge=0)
    turns_since_handback: int | None = None  # None: never handed back
    minutes_since_handback: float | None = None
    same_need_turns: int = Field(default=1, ge=0)  # consecutive turns on the same unresolved need
    consecutive_oos_turns: int = Field(default=0, ge=0)  # out-of-scope turns in a row, this one included
    # Words of the customer's message (0 when not recorded: decisions stored before it was, which
    # replay as follow-ups, as they were decided).
    message_words: int = Field(default=0, ge=0)
    has_phone: bool = False
    has_email: bool = False
    bot: BotSignals | None = None  # set when an outside bot holds the conversation
    # The bot reads the turn as a question about the customer's own records that the store's
    # systems answer ("how long do I have on my Plus renewal?"): it knows what is asked, whatever
    # the intent classifier's confidence, so low confidence alone is no reason to hand off.
    store_answers: bool = False
    # The language the customer writes in ("en", "es", ...): the notice is written in it.
    language: str = "en"


class HeldBack(BaseModel):
    model_config = ConfigDict(frozen=True)

    trigger: str
    why: str


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Literal["escalate", "continue"]
    trigger: str | None = None
    rule: str | None = None
    priority: int | None = None
    mode: Mode | None = None
    wait_minutes: int | None = None
    customer_message: str | None = None
    reason: str
    held_back: list[HeldBack] = []
    model_recommendation: dict[str, Any] = {}
    policy_version: str
    inputs: dict[str, Any]
    decided_at: datetime

    @property
    def escalates(self) -> bool:
        return self.outcome == "escalate"


class RecordedDecision(Decision):
    """A decision as the ``policy_decided`` event keeps it: with how long ``decide`` took, and,
    for a handoff forced outside the policy (``trigger`` "forced"), without the inputs."""

    inputs: dict[str, Any] = {}
    decide_ms: float | None = None
    # On an outside bot's conversation (warmline/bots): which bot, and whether Warmline only watched.
    source: str | None = None
    shadow: bool | None = None


# ---- trigger matchers: (reason, critical) when the trigger matches, else None --------------------


def _intent(analysis: TurnAnalysis) -> str | None:
    return f"{analysis.flow}/{analysis.subflow}" if analysis.flow and analysis.subflow else None


def is_critical(rule: LowConfidenceRule, analysis: TurnAnalysis) -> bool:
    intent = _intent(analysis)
    return bool(analysis.flow and (analysis.flow in rule.critical or (intent and intent in rule.critical)))


def _human_request(rule: HumanRequestRule, inputs: PolicyInputs) -> str | None:
    score = inputs.analysis.human_request
    if score >= rule.threshold:
        return f"the customer asks for a person (score {score:.2f} >= {rule.threshold:.2f})"
    return None


def _low_confidence(rule: LowConfidenceRule, inputs: PolicyInputs) -> str | None:
    bot = inputs.bot
    if bot is not None and bot.confidence is not None and bot.confidence_threshold is not None:
        if bot.confidence < bot.confidence_threshold and not bot.out_of_scope:
            return (
                f"the {bot.source} bot understood {bot.intent or 'the turn'} with confidence "
                f"{bot.confidence:.2f} < {bot.confidence_threshold:.2f} (its source's threshold)"
            )
    a = inputs.analysis
    intent = _intent(a)
    if intent is None or a.out_of_scope or not is_critical(rule, a) or inputs.store_answers:
        return None
    threshold = rule.per_intent.get(intent, rule.per_intent.get(a.flow or "", rule.threshold))
    if a.confidence < threshold:
        return f"critical intent {intent} understood with confidence {a.confidence:.2f} < {threshold:.2f}"
    return None


def _out_of_scope(rule: OutOfScopeRule, inputs: PolicyInputs) -> str | None:
    a = inputs.analysis
    if not a.out_of_scope or a.oos_score < rule.threshold:
        return None
    if rule.ignore_during_need and a.flow is not None:
        # A short follow-up to the need the conversation holds never counts; a request of its own
        # counts when the model is sure enough.
        own_request = inputs.message_words > rule.follow_up_words
        if not own_request or rule.during_need_above is None or a.oos_score < rule.during_need_above:
            return None
        return f"off-topic request during a {a.flow} need (score {a.oos_score:.2f} >= {rule.during_need_above:.2f})"
    if inputs.consecutive_oos_turns >= rule.consecutive_turns:
        return (
            f"out of scope {inputs.consecutive_oos_turns} turn(s) in a row "
            f"(score {a.oos_score:.2f} >= {rule.threshold:.2f})"
        )
    if rule.immediate_above is not None and a.oos_score >= rule.immediate_above:
        return f"clearly out of scope (score {a.oos_score:.2f} >= {rule.immediate_above:.2f})"
    return None


def _frustration(rule: FrustrationRule, inputs: PolicyInputs) -> str | None:
    a = inputs.analysis
    if a.frustration >= rule.threshold:
        cues = f" ({', '.join(a.frustration_cues)})" if a.frustration_cues else ""
        return f"frustration {a.frustration:.2f} >= {rule.threshold:.2f}{cues}"
    return None


def _looping(rule: LoopingRule, inputs: PolicyInputs) -> str | None:
    if inputs.same_need_turns >= rule.same_need_turns:
        return f"the same need is unresolved after {inputs.same_need_turns} customer turns"
    if rule.on_repetition and "repetition" in inputs.analysis.frustration_cues:
        return "the customer repeats an earlier message"
    return None


def _bot_requested(rule: BotRequestedRule, inputs: PolicyInputs) -> str | None:
    bot = inputs.bot
    if bot is not None and bot.handoff_requested is not None:
        return f"the {bot.source} bot asks for a person: {bot.handoff_requested}"
    return None


MATCHERS: dict[str, Any] = {
    "human_request": _human_request,
    "low_confidence": _low_confidence,
    "out_of_scope": _out_of_scope,
    "frustration": _frustration,
    "looping": _looping,
    "bot_requested": _bot_requested,
}
# Explicit requests for a person: no guard (bot effort, cooldown) holds them back.
UNGUARDED = frozenset({"human_request", "bot_requested"})


# ---- availability ----------------------------------------------------------------------------------


def estimate_wait_minutes(load: TeamLoad, handle_minutes: float) -> int | None:
    """Minutes until an agent of the team can take a new conversation (None: nobody online).

    Free capacity beyond the queue: no wait. Otherwise the conversations ahead (the queue minus
    the free slots, plus this one) are served by the online agents in parallel, each taking
    ``handle_minutes`` on average.
    """
    if load.agents_online <= 0:
        return None
    ahead = load.waiting - load.free_capacity
    if ahead < 0:
        return 0
    return max(1, math.ceil((ahead + 1) * handle_minutes / load.agents_online))


def _opens_at(words: NoticeWords, opening: datetime) -> str:
    """The next opening as a notice says it: "Thu 08:00 EST" in ``words``' weekday names."""
    return f"{words.weekdays[opening.weekday()]} {opening:%H:%M %Z}"


def _availability(
    policy: Policy, inputs: PolicyInputs, now: datetime
) -> tuple[Mode, int | None, str, dict[str, str], bool]:
    team = inputs.team
    availability = policy.availability
    hours = availability.hours_for(team)
    load = inputs.team_load.get(team, TeamLoad())
    opening = hours.next_opening(now)
    words = policy.messages.in_language(inputs.language).words
    fields = {
        "team": policy.messages.team_name(team, inputs.language),
        "wait_minutes": "",
        "wait": words.wait_few,
        "opens_at": _opens_at(words, opening) if opening else "",
        "contact": words.by_phone if inputs.has_phone else (words.by_email if inputs.has_email else words.by_chat),
    }
    offline: Mode = "callback" if inputs.has_phone else "ticket"
    if not hours.is_open(now):
        # The audit reason is read by the team: the pack's own weekday names, not the customer's.
        opens = _opens_at(policy.messages.words, opening) if opening else "later"
        return offline, None, f"{team} is closed now (opens {opens})", fields, False
    if availability.require_agent_online and load.agents_online <= 0:
        return offline, None, f"no {team} agent is online", fields, True
    wait = estimate_wait_minutes(load, availability.handle_minutes(team))
    if wait is None:  # presence not required and nobody online: the queue will wait for one
        wait_text = f"{team} is open, no agent online yet"
        return "live", None, wait_text, fields, True
    fields["wait_minutes"] = str(wait)
    fields["wait"] = words.wait_none if wait == 0 else (words.wait_one if wait == 1 else words.wait_many.format(n=wait))
    limit = availability.callback_above_wait_minutes
    if limit is not None and wait > limit:
        return offline, wait, f"the {team} wait (~{wait} min) is above {limit:g} min", fields, True
    return "live", wait, f"{team} is open, {load.agents_online} agent(s) online, ~{wait} min wait", fields, True


def _sure_enough_to_skip_the_bot(rule: Rule, inputs: PolicyInputs) -> bool:
    """A frustration at least the rule's ``immediate_above`` is not held back by ``min_bot_turns``."""
    if not isinstance(rule, FrustrationRule) or rule.immediate_above is None:
        return False
    return inputs.analysis.frustration >= rule.immediate_above


# ---- the decision ------------------------------------------------------------------------------------


def decide(policy: Policy, inputs: PolicyInputs, now: datetime) -> Decision:
    """The escalation decision for one customer turn. Pure: same arguments, same decision."""
    analysis = inputs.analysis
    guards = policy.guards
    cooldown = guards.cooldown.active(inputs.turns_since_handback, inputs.minutes_since_handback)
    critical = is_critical(policy.triggers.low_confidence, analysis)
    held: list[HeldBack] = []
    fired: tuple[str, Rule, str] | None = None
    for name, rule in policy.triggers.ordered():
        if not rule.enabled:
            continue
        reason = MATCHERS[name](rule, inputs)
        if reason is None:
            continue
        if name not in UNGUARDED:
            if cooldown:
                held.append(
                    HeldBack(
                        trigger=name,
                        why=f"cooldown after a handback ({inputs.turns_since_handback} turn(s), "
                        f"{_minutes(inputs.minutes_since_handback)}): only an explicit request escalates",
                    )
                )
                continue
            needed = guards.min_bot_turns if rule.min_bot_turns is None else rule.min_bot_turns
            if not critical and inputs.bot_replies < needed and not _sure_enough_to_skip_the_bot(rule, inputs):
                held.append(
                    HeldBack(
                        trigger=name,
                        why=f"the bot has answered {inputs.bot_replies} time(s), {needed} needed first",
                    )
                )
                continue
        fired = (name, rule, reason)
        break

    recommendation = analysis.recommendation.model_dump(mode="json")
    recorded = inputs.model_dump(mode="json")
    if fired is None:
        reason = "no trigger matched" if not held else "held back: " + "; ".join(f"{h.trigger} ({h.why})" for h in held)
        return Decision(
            outcome="continue",
            reason=reason,
            held_back=held,
            model_recommendation=recommendation,
            policy_version=policy.version,
            inputs=recorded,
            decided_at=now,
        )
    name, rule, reason = fired
    mode, wait, availability_note, fields, team_open = _availability(policy, inputs, now)
    # Closed: the notice gives the next opening; open with nobody free to chat: it must not.
    message = policy.messages.in_language(inputs.language).template(mode, team_open).format(**fields)
    if critical and name != "low_confidence":
        reason += f" [critical intent {_intent(analysis)}]"
    return Decision(
        outcome="escalate",
        trigger=name,
        rule=name,
        priority=rule.priority,
        mode=mode,
        wait_minutes=wait,
        customer_message=message,
        reason=f"{reason}; {availability_note} -> {mode}",
        held_back=held,
        model_recommendation=recommendation,
        policy_version=policy.version,
        inputs=recorded,
        decided_at=now,
    )


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} min"
