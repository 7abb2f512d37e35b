"""The product's bot: model -> policy -> routing -> payload, appended through the locked writer.

Per customer turn, inside the conversation's transaction:

1. the model analyses the turn against the whole shared memory (``turn_analysed``), also while
   an agent holds the conversation, so facts given to the agent are remembered;
2. while the bot owns the conversation, routing names the team that would own it and the policy
   decides, with that team's availability, whether to escalate (``policy_decided``,
   :mod:`warmline.bot.decision`);
3. it either answers with the grounded reply, or escalates (:mod:`warmline.bot.handoff`):
   ``routed``, ``payload_built``, a notice telling the customer what happens next, then
   ``escalated``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from warmline.bot.context import (
    TeamLoadCache,
    TurnSnapshot,
    escalation_of,
    model_context,
    no_analysis,
)
from warmline.bot.contract import Bot, BotDefaults, BotTurn, PlaceholderBot, PreparedTurn
from warmline.bot.decision import decide_turn
from warmline.bot.handoff import FORCED, HandoffAssembly
from warmline.config import Settings
from warmline.conversation import views
from warmline.conversation.events import (
    BOT,
    BotMessage,
    Closed,
    ConversationStarted,
    CustomerMessage,
    EventBody,
    EventRecord,
    HandedBack,
    IdentityVerified,
    PolicyDecided,
    Routed,
    StoreAction,
    TurnAnalysed,
)
from warmline.conversation.state import Status
from warmline.model import Model, TurnAnalysis
from warmline.model.factory import shared_model
from warmline.model.human_request import rule_backstop
from warmline.model.scope import (
    IN_SCOPE_ANSWER,
    HelpCenterEvidence,
    ScopeEvidence,
    help_center_answers,
    load_scope_evidence,
    other_company_request,
)
from warmline.packs import Pack, load_pack
from warmline.policy.engine import PolicyInputs, RecordedDecision, decide
from warmline.policy.rules import Policy, load_policy, pack_policy_path
from warmline.routing import RoutingRules, load_routing, routable_teams
from warmline.shop import shared_dialogue
from warmline.shop.backend import StoreUnavailable
from warmline.shop.dialogue import FOLLOW_UP_WORDS, SHORT_FOLLOW_UP, Dialogue, fold_memory
from warmline.shop.language import conversation_language
from warmline.shop.topics import details_only, read_turn, store_answers_turn
from warmline.storage.sql.store import SqlStore, Writer

# Dialogue steps that are answers for the policy's counters (the rest ask something back).
ANSWER_STEPS = frozenset({"answer", "lookup", "action", "closing"})
# A short follow-up read with the turn before it needs half its own words in the answering article.
FOLLOW_UP_COVERAGE = 0.5
# What is left of the person-request and frustration scores of a turn that only gives the details
# the bot asked for (below the policy's thresholds).
DETAILS_CAP = 0.3


class ModelBot(BotDefaults):
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
        dialogue: Dialogue | None = None,
        scope: ScopeEvidence | None = None,
    ) -> None:
        self.model = model
        self.dialogue = dialogue
        self.scope = scope  # how the help center's answer weighs on an off-topic reading (None: not at all)
        self.pack = pack
        self.policy = policy
        self.routing = routing
        self.store = store
        self.settings = settings
        self.team_load = TeamLoadCache(store.team_load)
        self.handoffs = HandoffAssembly(
            pack, settings.cold_transfer_share, settings.cold_transfer_seed, dialogue.store if dialogue else None
        )
        self.teams = routable_teams(pack, routing)
        # The first decision pays for lazy set-up (validators, time zone data): pay it here, not
        # on a customer's turn.
        quiet = no_analysis()
        for analysis in (quiet, quiet.model_copy(update={"human_request": 1.0})):
            decide(policy, PolicyInputs(analysis=analysis, team="triage"), store.clock())

    def prepare(self, conversation_id: str, text: str) -> PreparedTurn | None:
        """The analysis of the next customer message, computed outside the conversation's lock
        from the committed log; ``respond`` gets it only if the log has not moved since."""
        history = self.store.load_events(conversation_id)
        if not history:
            return None
        started = history[0].event
        account_id = started.account_id if isinstance(started, ConversationStarted) else None
        account = self.store.get_account(account_id) if account_id else None
        after = history[-1].seq
        context = model_context(conversation_id, history, after + 1, text, account)
        self._prefetch(text, history)
        return PreparedTurn(
            after_seq=after, text=text, analysis=self.model.analyse(context), history=history, account=account
        )

    def respond(self, turn: BotTurn) -> None:
        writer = turn.writer
        text = turn.message.event.text  # type: ignore[attr-defined]
        if turn.prepared is not None:
            analysis = turn.prepared.analysis_of(turn.message.seq)
        else:
            context = model_context(writer.state.id, turn.history(), turn.message.seq, text, turn.account)
            self._prefetch(text, turn.history())
            analysis = self.model.analyse(context)
        history = turn.history()
        analysis = self._grounded(text, analysis, history)
        analysis = self._answering_ask(text, analysis, history)
        turn.append(BOT, TurnAnalysed(message_seq=turn.message.seq, analysis=analysis))
        if turn.state.status == Status.WAITING_FOR_AGENT and analysis.facts:
            self._refresh_waiting_payload(writer, analysis, turn.account)
        if turn.state.status != Status.BOT:
            return  # a person has the conversation: remember, never reply
        snapshot = TurnSnapshot(writer, analysis, turn.account, self.store.clock(), self.team_load)
        store_answers = self.dialogue is not None and self.dialogue.store is not None and store_answers_turn(text)
        chosen = decide_turn(snapshot, analysis, self.policy, self.routing, store_answers=store_answers)
        turn.append(BOT, PolicyDecided(message_seq=turn.message.seq, decision=chosen.recorded()))
        decision = chosen.decision
        if decision.escalates:
            notice = decision.customer_message or self.handoffs.notice(chosen.routing)
            self.handoffs.hand_off(
                snapshot, chosen.routing, decision.model_dump(mode="json"), notice=notice, mode=decision.mode
            )
            self.team_load.invalidate()
        else:
            self._reply(turn, text, analysis)

    def _prefetch(self, text: str, history: Sequence[EventRecord]) -> None:
        """Encode the turn and every text answering it may search in one call to the encoder,
        before the model reads the turn: one batch costs far less than the two or three calls the
        analysis and the dialogue would make one after the other."""
        if self.dialogue is None:
            return
        said = [r.event.text for r in history if isinstance(r.event, CustomerMessage)]
        if said and said[-1] == text:
            said = said[:-1]
        self.dialogue.prefetch(text, said[-1] if said else None, also=(text.strip() or " ",))

    def _grounded(self, text: str, analysis: TurnAnalysis, history: Sequence[EventRecord]) -> TurnAnalysis:
        """A question the store's help center answers well is in scope, whatever the intent
        classifier (trained on the agents' intents) made of its words: the bot answers it. A
        request about another company's service stays out of scope however close its words.
        For any other turn the head calls off-topic, how close the help center came weighs on how
        sure that reading is (``warmline.model.scope.ScopeEvidence``): an answer nowhere near makes
        it surer, a near miss less sure."""
        if self.dialogue is None or not analysis.out_of_scope or analysis.human_request >= 0.5:
            return analysis
        if other_company_request(text):
            return analysis
        reading = read_turn(text)
        verified = any(isinstance(r.event, IdentityVerified) for r in history)
        # A verified customer's short question about their own records ("how much do I owe?")
        # goes on with what the bot just looked up.
        follows_lookup = verified and reading.personal and len(text.split()) <= FOLLOW_UP_WORDS
        if reading.topic is None and not follows_lookup:  # not about the customer's own records
            answers, evidence = self._help_center_evidence(text, history)
            if not answers:
                if self.scope is None or evidence is None:
                    return analysis
                # The head's reading stands (the turn still counts towards off-topic turns in a
                # row); the evidence changes how sure it is, so whether one message is enough.
                weighed = round(self.scope.probability(analysis.oos_score, evidence), 4)
                return analysis.model_copy(update={"oos_score": weighed})
        recommendation = analysis.recommendation
        if recommendation.trigger == "out_of_scope":
            recommendation = recommendation.model_copy(
                update={"escalate": False, "trigger": None, "reason": "the store's help center or records answer it"}
            )
        return analysis.model_copy(
            update={
                "out_of_scope": False,
                "oos_score": min(analysis.oos_score, 1.0 - IN_SCOPE_ANSWER),
                "recommendation": recommendation,
            }
        )

    def _help_center_evidence(
        self, text: str, history: Sequence[EventRecord]
    ) -> tuple[bool, HelpCenterEvidence | None]:
        """Whether the help center answers the turn (well, or nearly as well using most of its
        words; a short follow-up such as "how many days do I get?" after "a question about
        returns" is read with the turn before it, if its own words are in the article that
        answers), and how close its best answer to the turn itself came (None: no help center)."""
        assert self.dialogue is not None
        help_center = self.dialogue.help_center
        said = [r.event.text for r in history if isinstance(r.event, CustomerMessage)]
        if said and said[-1] == text:
            said = said[:-1]
        self.dialogue.prefetch(text, said[-1] if said else None)
        answer = help_center.answer(text)
        evidence = None
        if answer is not None:
            evidence = HelpCenterEvidence(answer.scope_score, help_center.coverage(text, answer.article_id))
            if help_center_answers(evidence.score, evidence.coverage):
                return True, evidence
        if not said or len(text.split()) > SHORT_FOLLOW_UP:
            return False, evidence
        in_context = self.dialogue.answer_in_context(text, said[-1])
        together = f"{said[-1]} {text}"
        answers = (
            in_context is not None
            and help_center.coverage(text, in_context.article_id) >= FOLLOW_UP_COVERAGE
            and help_center_answers(in_context.scope_score, help_center.coverage(together, in_context.article_id))
        )
        return answers, evidence

    def _answering_ask(self, text: str, analysis: TurnAnalysis, history: Sequence[EventRecord]) -> TurnAnalysis:
        """A turn that only hands over the details the bot just asked for ("Priya Raman,
        priya@example.com"), or that opens by introducing the customer with a contact detail
        ("This is Priya Raman, priya@example.com"), is neither a request for a person nor
        frustration, whatever the signal heads make of a name: the bot goes on with the lookup.
        Words asking for a person ("Grace Liu, get me an agent") still count. So is a short yes or
        no to the action the bot just proposed ("no, keep it")."""
        if self.dialogue is None or rule_backstop(text) is not None:
            return analysis
        last_bot = next((r.event.text for r in reversed(history) if isinstance(r.event, BotMessage)), None)
        asked = last_bot is not None and self.dialogue.asked_for_details(last_bot)
        reading = read_turn(text)
        proposed = next((r.event for r in reversed(history) if isinstance(r.event, StoreAction)), None)
        answers_proposal = (
            proposed is not None
            and proposed.status == "proposed"
            and (reading.yes or reading.no)
            and len(text.split()) <= SHORT_FOLLOW_UP
        )
        if not answers_proposal and (not details_only(text) or not (asked or reading.gives_details)):
            return analysis
        recommendation = analysis.recommendation
        if recommendation.trigger in ("human_request", "frustration", "out_of_scope"):
            recommendation = recommendation.model_copy(
                update={"escalate": False, "trigger": None, "reason": "the customer gave the details asked for"}
            )
        return analysis.model_copy(
            update={
                "human_request": min(analysis.human_request, DETAILS_CAP),
                "frustration": min(analysis.frustration, DETAILS_CAP),
                "out_of_scope": False,
                "oos_score": min(analysis.oos_score, DETAILS_CAP),
                "recommendation": recommendation,
            }
        )

    def _reply(self, turn: BotTurn, text: str, analysis: TurnAnalysis) -> None:
        """The dialogue's next step (answer, look up, confirm, act, close), with what it looked up
        and did recorded before the reply; the model's own reply where the pack has no store."""
        if self.dialogue is None:
            turn.append(BOT, BotMessage(text=analysis.reply, kind=analysis.reply_kind, in_reply_to=turn.message.seq))
            return
        memory = fold_memory(turn.history(), turn.message.seq, self.dialogue.say, self.dialogue.article_topics)
        step = self.dialogue.reply(text, memory, analysis, account_id=turn.state.account_id)
        for body in step.events:
            turn.append(BOT, body)
        kind = "answer" if step.kind in ANSWER_STEPS else "refuse" if step.kind == "refuse" else "clarify"
        turn.append(BOT, BotMessage(text=step.text, kind=kind, in_reply_to=turn.message.seq, citations=step.citations))
        if step.close:
            turn.append(BOT, Closed(reason="customer_done"))

    def hand_off_now(self, writer: Writer, reason: str) -> None:
        """Escalate at this point whatever the policy would say (evaluations, an admin's push)."""
        snapshot = self._snapshot(writer)
        routing = snapshot.route(self.routing, FORCED)
        decision = RecordedDecision(
            outcome="escalate",
            trigger=FORCED,
            rule=FORCED,
            reason=reason,
            policy_version=self.policy.version,
            mode="live",
            decided_at=snapshot.now,
        )
        message_seq = snapshot.analysis.message_seq if snapshot.analysis else 0
        writer.append(BOT, PolicyDecided(message_seq=message_seq, decision=decision))
        self.handoffs.hand_off(
            snapshot, routing, decision.model_dump(mode="json"), notice=self.handoffs.notice(routing)
        )
        self.team_load.invalidate()

    def after_transfer(self, writer: Writer, to_team: str, reason: str) -> list[tuple[str, EventBody]]:
        """An agent moved the conversation: re-route to that team and rebuild its payload."""
        snapshot = self._snapshot(writer)
        routing = snapshot.route(self.routing, "transfer", team_hint=to_team)
        payload = self.handoffs.payload(snapshot, routing, escalation_of(snapshot.history()))
        return [(BOT, Routed(routing=routing)), (BOT, payload)]

    def _verified_first_name(self, history: Sequence[EventRecord]) -> str | None:
        """The first name on the store record the bot matched the customer to in the chat (they
        gave it themselves), so an anonymous chat's handback greets them by name too."""
        verified = next((r.event.customer_id for r in reversed(history) if isinstance(r.event, IdentityVerified)), None)
        if verified is None or self.dialogue is None or self.dialogue.store is None:
            return None
        try:
            customer = self.dialogue.store.customer(verified)
        except StoreUnavailable:  # the greeting goes without the name; the handback does not fail
            return None
        return customer.name.split()[0] if customer and customer.name.strip() else None

    def resume_text(self, writer: Writer) -> str:
        """What the customer reads when the agent hands back: the bot picks up where they were,
        says what the agent's note says was done, and offers the routine tail."""
        if self.dialogue is None:
            return self.pack.texts.resume_text(writer.state.customer_name)
        history = writer.history()
        name = writer.state.customer_name or self._verified_first_name(history)
        say = self.dialogue.say
        language = conversation_language([r.event.text for r in history if isinstance(r.event, CustomerMessage)])
        note = next((r.event.note for r in reversed(history) if isinstance(r.event, HandedBack)), "")
        parts = [say.in_language("resume_greeting", language).format(name=name)] if name else []
        parts.append(say.in_language("resume", language))
        if note.strip():  # the agent's note stays in the words the agent wrote it in
            parts.append(say.in_language("resume_note", language).format(note=note.strip().rstrip(".") + "."))
        parts.append(say.in_language("resume_tail", language))
        return " ".join(parts)

    def _refresh_waiting_payload(self, writer: Writer, analysis: TurnAnalysis, account: dict[str, Any] | None) -> None:
        """The customer added facts while waiting: the agent who claims next sees them as key facts."""
        history = writer.history()
        routing = views.latest_routing(history)
        if routing is None:
            return
        snapshot = TurnSnapshot(writer, analysis, account, self.store.clock())
        writer.append(BOT, self.handoffs.payload(snapshot, routing, escalation_of(history)))

    def _snapshot(self, writer: Writer) -> TurnSnapshot:
        """Outside a customer turn: the latest analysis stands for the conversation."""
        account_id = writer.state.account_id
        account = self.store.get_account(account_id) if account_id else None
        return TurnSnapshot(writer, views.latest_analysis(writer.history()), account, self.store.clock())


def build_bot(settings: Settings, store: SqlStore) -> Bot:
    """The bot the service runs: ``placeholder`` only where asked for, else the model's bot."""
    if settings.model == "placeholder":
        return PlaceholderBot()
    pack = load_pack(settings.pack)
    model = shared_model(settings, pack)
    return ModelBot(
        model=model,
        dialogue=shared_dialogue(settings, pack, model),
        pack=pack,
        policy=load_policy(pack_policy_path(pack.path)),
        routing=load_routing(pack),
        store=store,
        settings=settings,
        scope=load_scope_evidence(pack.path),
    )
