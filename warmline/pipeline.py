"""The product's bot: model -> policy -> routing -> payload, appended through the locked writer.

Per customer turn, inside the conversation's transaction:

1. the model analyses the turn against the whole shared memory (``turn_analysed``), also while
   an agent holds the conversation, so facts given to the agent are remembered;
2. while the bot owns the conversation, routing names the team that would own it and the policy
   decides, with that team's availability, whether to escalate (``policy_decided``);
3. it either answers with the grounded reply, or escalates: ``routed``, ``payload_built``, a
   notice telling the customer what happens next, then ``escalated`` - the payload is stored in
   the same commit that puts the conversation in the queue, so no agent can claim it first.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warmline.config import Settings
from warmline.conversation.bot import Bot, BotTurn, PlaceholderBot
from warmline.conversation.events import (
    BOT,
    BotMessage,
    Escalated,
    EventBody,
    EventRecord,
    PayloadBuilt,
    PolicyDecided,
    Routed,
    TurnAnalysed,
    actor_kind,
)
from warmline.conversation.state import Status
from warmline.errors import ConfigurationError
from warmline.handoff.payload import build_payload
from warmline.model import Fact, Model, Turn, TurnAnalysis, TurnContext, create_model
from warmline.model.facts import extract_facts, merge_facts
from warmline.packs import Pack, load_pack
from warmline.policy.engine import Decision, PolicyInputs, decide
from warmline.policy.inputs import conversation_inputs
from warmline.policy.rules import Policy, load_policy, pack_policy_path
from warmline.routing import Routing, RoutingRules, load_routing, route
from warmline.storage.sql.store import SqlStore, Writer

FORCED = "forced"
# A team-load snapshot is a few aggregate queries; under a burst of turns one snapshot a second
# is as good as a fresh one for a wait estimate.
TEAM_LOAD_TTL_S = 1.0


def turn_context(
    conversation_id: str, history: Sequence[EventRecord], message_seq: int, text: str, account: Any
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
        kind = actor_kind(record.actor)
        if record.type in ("customer_message", "bot_message", "agent_message"):
            turns.append(Turn(seq=record.seq, speaker=kind if kind != "system" else "bot", text=body.text))  # type: ignore[attr-defined, arg-type]
            if kind == "agent":
                known = merge_facts(known, extract_facts(body.text, record.seq, "agent"))  # type: ignore[attr-defined]
        elif record.type in ("note_added", "handed_back"):
            text = body.text if record.type == "note_added" else body.note  # type: ignore[attr-defined]
            turns.append(Turn(seq=record.seq, speaker="note", text=text))
            known = merge_facts(known, extract_facts(text, record.seq, "note"))
        elif record.type == "turn_analysed":
            analysis = TurnAnalysis.model_validate(body.analysis)  # type: ignore[attr-defined]
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


def cold_cohort(conversation_id: str, share: float, seed: int) -> bool:
    """The cold-transfer experiment: a stable, seeded share of conversations (not of handoffs, so
    a conversation escalated twice stays in one cohort)."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{seed}:{conversation_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


@dataclass(frozen=True)
class PreparedTurn:
    after_seq: int  # the last event the analysis saw; the message is expected right after it
    text: str
    analysis: TurnAnalysis


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


class ModelBot:
    """Analyses every customer turn; while it owns the conversation, answers or escalates."""

    def __init__(
        self,
        *,
        model: Model,
        pack: Pack,
        policy: Policy,
        routing: RoutingRules,
        store: SqlStore,
        settings: Settings,
    ) -> None:
        self.model = model
        self.pack = pack
        self.policy = policy
        self.routing = routing
        self.store = store
        self.settings = settings
        self.team_load = TeamLoadCache(store.team_load)
        self.teams = frozenset({*pack.teams, *pack.team_map.values(), *routing.teams, "triage"})
        # The first decision pays for lazy set-up (validators, time zone data): pay it here, not
        # on a customer's turn.
        quiet = self._empty_analysis()
        for analysis in (quiet, quiet.model_copy(update={"human_request": 1.0})):
            decide(policy, PolicyInputs(analysis=analysis, team="triage"), store.clock())

    # ---- the Bot interface ----------------------------------------------------------------------
    def prepare(self, conversation_id: str, text: str) -> PreparedTurn | None:
        """The analysis of the next customer message, computed outside the conversation's lock
        from the committed log; ``respond`` uses it only if the log has not moved since."""
        history = self.store.load_events(conversation_id)
        if not history:
            return None
        account_id = getattr(history[0].event, "account_id", None)
        account = self.store.get_account(account_id) if account_id else None
        after = history[-1].seq
        context = turn_context(conversation_id, history, after + 1, text, account)
        return PreparedTurn(after_seq=after, text=text, analysis=self.model.analyse(context))

    def respond(self, turn: BotTurn) -> None:
        writer = turn.writer
        text = turn.message.event.text  # type: ignore[attr-defined]
        prepared = turn.prepared
        if isinstance(prepared, PreparedTurn) and (prepared.after_seq, prepared.text) == (turn.message.seq - 1, text):
            analysis = prepared.analysis
        else:
            context = turn_context(writer.state.id, turn.history(), turn.message.seq, text, turn.account)
            analysis = self.model.analyse(context)
        turn.append(BOT, TurnAnalysed(message_seq=turn.message.seq, analysis=analysis.model_dump(mode="json")))
        if turn.state.status == Status.WAITING_FOR_AGENT and analysis.facts:
            self._refresh_waiting_payload(writer, analysis, turn.account)
        if turn.state.status != Status.BOT:
            return  # a person has the conversation: remember, never reply
        now = self.store.clock()
        routing = self._route(turn.history(), analysis, turn.account, now, analysis.recommendation.trigger)
        inputs = conversation_inputs(turn.history(), analysis, routing.team, self.team_load())
        started = time.perf_counter()
        decision = decide(self.policy, inputs, now)
        decide_ms = (time.perf_counter() - started) * 1000
        if decision.escalates and decision.trigger != analysis.recommendation.trigger:
            routing = self._route(turn.history(), analysis, turn.account, now, decision.trigger)
        recorded = {**decision.model_dump(mode="json"), "decide_ms": round(decide_ms, 4)}
        turn.append(BOT, PolicyDecided(message_seq=turn.message.seq, decision=recorded))
        if decision.escalates:
            self._escalate(writer, analysis, routing, decision, turn.account, now)
        else:
            turn.append(BOT, BotMessage(text=analysis.reply, kind=analysis.reply_kind, in_reply_to=turn.message.seq))

    def hand_off_now(self, writer: Writer, reason: str) -> None:
        """Escalate at this point whatever the policy would say (evaluations, an admin's push)."""
        history = writer.history()
        analysis = self._latest_analysis(history)
        account = self._account(writer)
        now = self.store.clock()
        routing = self._route(history, analysis, account, now, FORCED)
        decision = {
            "outcome": "escalate",
            "trigger": FORCED,
            "rule": FORCED,
            "reason": reason,
            "policy_version": self.policy.version,
            "mode": "live",
            "decided_at": now.isoformat(),
        }
        message_seq = analysis.message_seq if analysis else 0
        writer.append(BOT, PolicyDecided(message_seq=message_seq, decision=decision))
        self._append_handoff(writer, analysis, routing, decision, account, now, notice=self.policy_notice(routing))

    def after_transfer(self, writer: Writer, to_team: str, reason: str) -> list[tuple[str, EventBody]]:
        """An agent moved the conversation: re-route to that team and rebuild its payload."""
        history = writer.history()
        analysis = self._latest_analysis(history)
        account = self._account(writer)
        now = self.store.clock()
        routing = self._route(history, analysis, account, now, "transfer", team_hint=to_team)
        escalation = self._last_decision(history)
        payload = self._payload(writer, history, analysis, routing, escalation, account, now)
        return [(BOT, Routed(routing=routing.model_dump(mode="json"))), (BOT, PayloadBuilt(payload=payload))]

    def _refresh_waiting_payload(self, writer: Writer, analysis: TurnAnalysis, account: dict[str, Any] | None) -> None:
        """The customer added facts while waiting: the agent who claims next sees them as key facts."""
        history = writer.history()
        routed = next((r for r in reversed(history) if r.type == "routed"), None)
        if routed is None:
            return
        routing = Routing.model_validate(routed.event.routing)  # type: ignore[attr-defined]
        payload = self._payload(
            writer, history, analysis, routing, self._last_decision(history), account, self.store.clock()
        )
        writer.append(BOT, PayloadBuilt(payload=payload))

    def resume_text(self, writer: Writer) -> str:
        """What the customer reads when the agent hands back: the bot picks up where they were."""
        name = writer.state.customer_name
        greeting = f"Thanks, {name}. " if name else ""
        return (
            f"{greeting}You're back with the assistant, and I have everything from your conversation, "
            "including what you sorted out with our team. Is there anything else I can help you with?"
        )

    @staticmethod
    def policy_notice(routing: Routing) -> str:
        return (
            f"I'm connecting you with our {routing.team} team. They'll see everything you've told me, "
            "so you won't need to repeat it."
        )

    # ---- helpers ---------------------------------------------------------------------------------
    def _route(
        self,
        history: Sequence[EventRecord],
        analysis: TurnAnalysis | None,
        account: dict[str, Any] | None,
        now: datetime,
        trigger: str | None,
        team_hint: str | None = None,
    ) -> Routing:
        texts = [r.event.text for r in history if r.type == "customer_message"]  # type: ignore[attr-defined]
        return route(
            analysis or self._empty_analysis(),
            account,
            self.routing,
            now=now,
            trigger=trigger,
            team_hint=team_hint,
            texts=texts,
        )

    def _escalate(
        self,
        writer: Writer,
        analysis: TurnAnalysis,
        routing: Routing,
        decision: Decision,
        account: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        notice = decision.customer_message or self.policy_notice(routing)
        self._append_handoff(
            writer, analysis, routing, decision.model_dump(mode="json"), account, now, notice=notice, mode=decision.mode
        )

    def _append_handoff(
        self,
        writer: Writer,
        analysis: TurnAnalysis | None,
        routing: Routing,
        decision: dict[str, Any],
        account: dict[str, Any] | None,
        now: datetime,
        *,
        notice: str,
        mode: str | None = None,
    ) -> None:
        history = writer.history()
        cold = cold_cohort(writer.state.id, self.settings.cold_transfer_share, self.settings.cold_transfer_seed)
        writer.append(BOT, Routed(routing=routing.model_dump(mode="json")))
        payload = self._payload(writer, history, analysis, routing, decision, account, now, cold=cold)
        writer.append(BOT, PayloadBuilt(payload=payload))
        in_reply_to = analysis.message_seq if analysis else None
        writer.append(BOT, BotMessage(text=notice, kind="handoff_notice", in_reply_to=in_reply_to))
        writer.append(
            BOT,
            Escalated(
                team=routing.team,
                trigger=str(decision.get("trigger") or FORCED),
                reason=str(decision.get("reason") or routing.reason),
                priority=routing.priority,
                sla_due_at=routing.sla_due_at,
                cohort="cold" if cold else "warm",
                mode=(mode or decision.get("mode") or "live"),  # type: ignore[arg-type]
            ),
        )
        self.team_load.invalidate()

    def _payload(
        self,
        writer: Writer,
        history: Sequence[EventRecord],
        analysis: TurnAnalysis | None,
        routing: Routing,
        decision: dict[str, Any],
        account: dict[str, Any] | None,
        now: datetime,
        *,
        cold: bool | None = None,
    ) -> dict[str, Any]:
        if cold is None:
            cold = writer.state.cohort == "cold"
        payload = build_payload(
            conversation_id=writer.state.id,
            history=list(history),
            analysis=analysis,
            account=account,
            routing=routing,
            decision=decision,
            pack=self.pack,
            cohort="cold" if cold else "warm",
            now=now,
        )
        return payload.model_dump(mode="json")

    def _account(self, writer: Writer) -> dict[str, Any] | None:
        account_id = writer.state.account_id
        return self.store.get_account(account_id) if account_id else None

    @staticmethod
    def _latest_analysis(history: Sequence[EventRecord]) -> TurnAnalysis | None:
        for record in reversed(history):
            if record.type == "turn_analysed":
                return TurnAnalysis.model_validate(record.event.analysis)  # type: ignore[attr-defined]
        return None

    @staticmethod
    def _last_decision(history: Sequence[EventRecord]) -> dict[str, Any]:
        for record in reversed(history):
            if record.type == "policy_decided" and record.event.decision.get("outcome") == "escalate":  # type: ignore[attr-defined]
                return dict(record.event.decision)  # type: ignore[attr-defined]
        return {"outcome": "escalate", "trigger": "transfer", "reason": "transferred by an agent"}

    @staticmethod
    def _empty_analysis() -> TurnAnalysis:
        from warmline.model import EscalationRecommendation

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


_models: dict[tuple[str, str], Model] = {}
_models_lock = threading.Lock()


def shared_model(settings: Settings, pack: Pack) -> Model:
    """One model per backend and pack per process: the embedded one takes seconds to load."""
    key = (settings.model, str(pack.path))
    with _models_lock:
        if key not in _models:
            _models[key] = _create_model(settings, pack)
        return _models[key]


def _create_model(settings: Settings, pack: Pack) -> Model:
    if settings.model == "openai":
        import httpx

        if not settings.model_endpoint:
            raise ConfigurationError("WARMLINE_MODEL=openai needs WARMLINE_MODEL_ENDPOINT")
        headers = {}
        if settings.model_api_key is not None:
            headers["Authorization"] = f"Bearer {settings.model_api_key.get_secret_value()}"
        client = httpx.Client(base_url=settings.model_endpoint, headers=headers, timeout=20.0)
        options = {"model": settings.model_name} if settings.model_name else {}
        return create_model("openai", pack, http_client=client, **options)
    try:
        return create_model(settings.model, pack)
    except ValueError as exc:
        raise ConfigurationError(str(exc), code="unknown_model") from exc


def build_bot(settings: Settings, store: SqlStore) -> Bot:
    """The bot the service runs: ``placeholder`` only where asked for, else the model pipeline."""
    if settings.model == "placeholder":
        return PlaceholderBot()
    pack = load_pack(settings.pack)
    return ModelBot(
        model=shared_model(settings, pack),
        pack=pack,
        policy=load_policy(pack_policy_path(pack.path)),
        routing=load_routing(pack),
        store=store,
        settings=settings,
    )


def load_demo_data(services: Any) -> int:
    """Load the configured pack's demo accounts so conversations have an account to show."""
    pack = load_pack(services.settings.pack)
    accounts = list(pack.accounts.values())
    return services.store.upsert_accounts(accounts) if accounts else 0
