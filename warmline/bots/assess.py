"""Warmline's judgement on an outside bot's conversation: analysis, policy, and the handoff.

The outside bot answers the customer; Warmline still reads every customer turn (facts and
signals: a request for a person, frustration, sentiment), folds in what the bot said about it
(its intent, confidence, out-of-scope flag and entities), and decides with the pack's policy
whether a person should take over - the bot's intent and confidence are policy inputs
(``BotSignals``), recorded with the decision like every other input. On escalation the routing,
payload and queue are Warmline's own; the customer notice is returned to the bot to deliver
(Warmline does not speak in another bot's channel).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from warmline.bot.context import TurnSnapshot, model_context
from warmline.bot.model_bot import ModelBot
from warmline.bots.sources import BotSource
from warmline.conversation.events import BOT, CustomerMessage, EventRecord, PolicyDecided, TurnAnalysed
from warmline.conversation.state import Status
from warmline.model import Fact, TurnAnalysis
from warmline.model.analysis import FactKind
from warmline.model.facts import merge_facts
from warmline.policy.engine import BotSignals, Decision, RecordedDecision, decide
from warmline.policy.inputs import conversation_inputs
from warmline.routing import Routing
from warmline.storage.sql.store import Writer

FACT_KINDS: frozenset[str] = frozenset(FactKind.__args__)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class BotTurnAnalysis:
    """What the bot sent with a customer turn (all optional)."""

    intent: str | None = None
    confidence: float | None = None
    out_of_scope: bool | None = None
    entities: tuple[tuple[str, str], ...] = ()  # (entity name, value)


@dataclass(frozen=True)
class Assessment:
    decision: Decision
    acted: bool  # False in shadow mode, or when the policy continues
    routing: Routing | None


class OutsideBotAssessor:
    """Analysis and policy for conversations held by an outside bot, with the product bot's
    model, policy, routing rules and handoff assembly."""

    def __init__(self, bot: ModelBot):
        self.bot = bot

    def analyse(
        self, writer: Writer, message: EventRecord, sent: BotTurnAnalysis | None, account: dict[str, Any] | None
    ) -> TurnAnalysis:
        assert isinstance(message.event, CustomerMessage)
        context = model_context(writer.state.id, writer.history(), message.seq, message.event.text, account)
        analysis = self.bot.model.analyse(context)
        updates: dict[str, Any] = {}
        if sent is not None and sent.out_of_scope is not None:
            updates["out_of_scope"] = sent.out_of_scope
            updates["oos_score"] = 1.0 if sent.out_of_scope else 0.0
        if sent is not None and sent.entities:
            stated = [
                Fact(kind=kind, value=value, source_seq=message.seq)
                for kind, value in sent.entities
                if kind in FACT_KINDS and value.strip()
            ]
            updates["facts"] = merge_facts(list(analysis.facts), stated)
        if updates:
            analysis = analysis.model_copy(update=updates)
        writer.append(BOT, TurnAnalysed(message_seq=message.seq, analysis=analysis))
        return analysis

    def decide(
        self,
        writer: Writer,
        source: BotSource,
        analysis: TurnAnalysis,
        sent: BotTurnAnalysis | None,
        handoff_requested: str | None,
        account: dict[str, Any] | None,
    ) -> Assessment:
        """The policy on the latest customer turn; escalates unless the source is in shadow mode.

        As for the product's bot, routing runs first (the policy weighs the availability of the
        team that would own the handoff); the source's intent -> team map wins over it."""
        bot = self.bot
        signals = BotSignals(
            source=source.name,
            intent=sent.intent if sent else None,
            confidence=sent.confidence if sent else None,
            out_of_scope=sent.out_of_scope if sent else None,
            handoff_requested=handoff_requested,
            confidence_threshold=source.settings.confidence_threshold,
        )
        snapshot = TurnSnapshot(writer, analysis, account, bot.store.clock(), bot.team_load)
        recommended = analysis.recommendation.trigger
        routing = self._route(snapshot, source, signals, recommended)
        inputs = conversation_inputs(snapshot.history(), analysis, routing.team, snapshot.team_load)
        started = time.perf_counter()
        decision = decide(bot.policy, inputs.model_copy(update={"bot": signals}), snapshot.now)
        decide_ms = (time.perf_counter() - started) * 1000
        if decision.escalates and decision.trigger != recommended:
            routing = self._route(snapshot, source, signals, decision.trigger)
        recorded = RecordedDecision(
            **dict(decision), decide_ms=round(decide_ms, 4), shadow=source.shadow, source=source.name
        )
        writer.append(BOT, PolicyDecided(message_seq=analysis.message_seq, decision=recorded))
        if not decision.escalates or source.shadow:
            return Assessment(decision, acted=False, routing=routing if decision.escalates else None)
        # The customer's notice goes back to the bot in the decision: it holds the channel.
        bot.handoffs.hand_off(snapshot, routing, decision.model_dump(mode="json"), notice=None, mode=decision.mode)
        bot.team_load.invalidate()
        return Assessment(decision, acted=writer.state.status == Status.WAITING_FOR_AGENT, routing=routing)

    def _route(self, snapshot: TurnSnapshot, source: BotSource, signals: BotSignals, trigger: str | None) -> Routing:
        routing = snapshot.route(self.bot.routing, trigger)
        team = source.settings.intent_teams.get(signals.intent or "")
        if team and team != routing.team:
            reason = f"the {source.name} bot's intent {signals.intent} is owned by {team}"
            routing = routing.model_copy(update={"team": team, "reason": reason, "rule": "source.intent_teams"})
        return routing
