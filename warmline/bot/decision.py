"""The turn decision, for a turn the bot owns: analysis -> routing -> policy (pure given the
snapshot; the caller appends what it returns).

Routing runs first with the trigger the model recommends, because the policy weighs the
availability of the team that would own the handoff. Routing rules may read the trigger
(``trigger_in``), so when the policy escalates for another trigger than the model's, the handoff
is routed for the policy's trigger.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from warmline.bot.context import TurnSnapshot
from warmline.model import TurnAnalysis
from warmline.policy.engine import Decision, RecordedDecision, decide
from warmline.policy.inputs import conversation_inputs
from warmline.policy.rules import Policy
from warmline.routing import Routing, RoutingRules


@dataclass(frozen=True)
class TurnDecision:
    decision: Decision
    routing: Routing  # where the handoff goes if the decision escalates
    decide_ms: float  # how long the policy took, recorded with the decision

    def recorded(self) -> RecordedDecision:
        """The decision as the ``policy_decided`` event stores it."""
        return RecordedDecision(**dict(self.decision), decide_ms=round(self.decide_ms, 4))


def decide_turn(
    snapshot: TurnSnapshot,
    analysis: TurnAnalysis,
    policy: Policy,
    rules: RoutingRules,
    *,
    store_answers: bool = False,
) -> TurnDecision:
    recommended = analysis.recommendation.trigger
    routing = snapshot.route(rules, recommended)
    inputs = conversation_inputs(snapshot.history(), analysis, routing.team, snapshot.team_load, store_answers)
    started = time.perf_counter()
    decision = decide(policy, inputs, snapshot.now)
    decide_ms = (time.perf_counter() - started) * 1000
    if decision.escalates and decision.trigger != recommended and rules.reads_trigger(recommended, decision.trigger):
        routing = snapshot.route(rules, decision.trigger)
    return TurnDecision(decision=decision, routing=routing, decide_ms=decide_ms)
