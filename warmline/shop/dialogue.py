"""The bot's side of the conversation: the need, what is known, what is missing, the next reply.

``DialogueMemory`` is folded from the conversation's log (customer turns, bot replies, what the
bot verified, looked up and did, handback notes): nothing lives anywhere else. ``Dialogue.reply``
decides the next step for one customer turn:

1. a pending action and a yes or no: do it (an audited ``store_action``) or drop it;
2. the customer is done: close, with the survey;
3. a question about their own records: verify who they are (name plus email, order id or ZIP),
   asking once for what is missing, then look it up, or propose the action and ask to confirm;
4. anything else: the help center's sentences that answer it, cited;
5. nothing found: say so and ask for what would help, never the same words twice in a row.

Replies are the pack's written sentences (:mod:`warmline.shop.lookups`, :mod:`warmline.shop.phrases`),
never labels or intent descriptions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from warmline.conversation.events import (
    BotMessage,
    ConversationStarted,
    CustomerMessage,
    EventBody,
    EventRecord,
    HandedBack,
    IdentityVerified,
    StoreAction,
    StoreLookedUp,
)
from warmline.model.analysis import Citation, TurnAnalysis
from warmline.shop import lookups, rules
from warmline.shop.backend import StoreBackend, StoreRefused, StoreUnavailable
from warmline.shop.help_center import Unit
from warmline.shop.knowledge import Answer, HelpCenterIndex, terms
from warmline.shop.language import conversation_language
from warmline.shop.phrases import Phrases
from warmline.shop.records import Customer
from warmline.shop.topics import (
    ACTIONS,
    DETAIL_WORDS,
    EMAIL,
    TurnReading,
    action_on_it,
    any_name_in,
    details_only,
    folded,
    introduces_self,
    names_in,
    phone_digits,
    read_turn,
    same_postal_code,
)

MAX_WORDS = 80
# Below this the best help-center unit is no answer (checked on the pack's own questions).
ANSWER_FLOOR = 0.38
# How much better a short turn read with the one before must answer to be read that way.
CONTEXT_GAIN = 0.05
SHORT_FOLLOW_UP = 6  # words: "and for gold?" is read together with the question before it
# A help-center answer this good is worth giving before the customer's record can be looked up.
GENERAL_ANSWER = 0.55
# ... or this good when its article is about the very need the turn names (the cue and the
# retrieval agree: "the seam on my jacket tore, how long have I got to tell you?").
ON_TOPIC_ANSWER = 0.45
# A help-center answer this good is given first even when its article is about another record than
# the one the turn names ("is the gift wrap fee refunded when I return the item?": the gift-wrap
# article, not a refund lookup), with the offer to look at the customer's own.
RULE_ANSWER = 0.65
FOLLOW_UP_WORDS = 10
# A turn that points back ("what do I actually get for it?") may be a little longer.
REFERS = re.compile(r"\b(?:it|that|this|them|those|they|one|ones)\b")
OTHER_ORDER = re.compile(r"\b(?:other|another|second|older|previous|earlier)\b.{0,12}\b(?:order|one|package)\b")
# A short turn that goes on from the question before it ("and for gold?", "what about overnight?").
CONTINUES = re.compile(r"^\s*(?:and|or|what about|how about|also|same for|y|o|et|und|oder|e|en|ou)\b")


@dataclass(frozen=True)
class Need:
    topic: str
    order_ids: tuple[str, ...] = ()
    text: str = ""  # the customer turn that asked
    other_than: str | None = None  # "my other order": not the one just looked up
    also: tuple[str, ...] = ()  # the topics of the turn's other questions, looked up too


@dataclass
class DialogueMemory:
    customer_texts: list[str] = field(default_factory=list)
    bot_replies: list[str] = field(default_factory=list)
    verified: str | None = None  # customer id
    signed_in: str | None = None  # the account the store's site says the customer is signed in as
    verified_by: list[str] = field(default_factory=list)
    need: Need | None = None  # an account need not served yet
    proposed: StoreAction | None = None  # waiting for the customer's yes or no
    identity_asks: int = 0
    handback_note: str | None = None
    order_ids: tuple[str, ...] = ()  # every order id the customer gave
    last_topic: str | None = None  # what the bot looked up last, and in which order
    last_order: str | None = None
    said: list[tuple[str, str]] = field(default_factory=list)  # (article id, passage) the bot has quoted
    # the record the bot's last reply answered about from the help center, and the turn that asked
    cited: tuple[str, str] | None = None

    @property
    def last_reply(self) -> str | None:
        return self.bot_replies[-1] if self.bot_replies else None

    @property
    def known(self) -> str | None:
        """Whose records the bot may show: the customer verified in the chat, or signed in."""
        return self.verified or self.signed_in


# Where a turn that asks two things splits: "?", "; ", ", and" or " and" or ", also" before a
# question word.
QUESTION_WORD = (
    r"(?:how|what|whats|when|where|which|who|why|do|does|did|is|are|can|could|will|would|should|"
    # the other languages' question words that open a question, never a clause ("y que" is "and that")
    r"wie|was|wann|wo|welche[rsn]?|kann|gibt|qué|cuál|cuáles|cómo|cuánto|cuánta|cuántos|cuántas|cuanto|cuándo|"
    r"dónde|puedo|quel|quelle|quels|quelles|combien|comment|quand|où|est-ce|puis-je|quanto|quanti|quanta|quando|dove|"
    r"posso|onde|hoe|wat|wanneer|waar|kan|ile|jak|kiedy|gdzie|czy)"
)
AND = r"(?:and|also|plus|und|y|et|e|en|i|oraz)"
OPENS_QUESTION = rf"(?={QUESTION_WORD}(?![\w-]))"  # a question word starts here, not a longer word
PART_SPLIT = re.compile(rf"[?¿]\s*|;\s*|,?\s+{AND}\s+{OPENS_QUESTION}|,\s+{OPENS_QUESTION}", re.I)
PART_WORDS = 3
ASKS = re.compile(rf"^¿?{QUESTION_WORD}(?![\w-])|^\w+(?: \w+)? (?:price|cost|fee)\b", re.I)


def question_parts(text: str) -> list[str]:
    """The questions of a turn, each of at least three words ("two questions: how much is
    express, and do gold members pay for it?" -> two). What the customer says before them
    ("ordering a parka for my dad, is there a fee for it and how long ...?") goes with the first."""
    text = re.sub(r"^.{0,30}\b(?:two|2|a couple of|couple of|few) questions?\s*[:,-]\s*", "", text, flags=re.I)
    parts = [re.sub(rf"^{AND}\s+", "", p.strip(), flags=re.I) for p in PART_SPLIT.split(text)]
    parts = [p for p in parts if len(p.split()) >= PART_WORDS]
    context = parts.pop(0) if len(parts) >= 3 and not ASKS.match(parts[0]) else None
    if not all(ASKS.match(p) for p in parts):
        return []
    return [f"{context}, {parts[0]}", *parts[1:]] if context else parts


PLAIN_WORD = re.compile(r"(?<![\w.@-])([a-z][a-z0-9]{3,29})(?![\w@-])")


def plain_words(text: str) -> list[str]:
    """The words of a turn that could be a username written plainly ("bellamoore"), at most four."""
    return [w for w in PLAIN_WORD.findall(folded(EMAIL.sub(" ", text))) if w not in DETAIL_WORDS][:4]


def is_question(text: str) -> bool:
    """A turn that asks something ("is the gift wrap fee refunded...", "what do I do"), not one
    that only says what the customer wants ("I want to return the jeans")."""
    return "?" in text or bool(re.match(rf"\s*{QUESTION_WORD}\b", text, re.I)) or bool(WHAT_TO_DO.search(text))


# "why was my refund smaller than what I paid?": the rule explains it before the record is looked up
EXPLAIN = re.compile(r"\W*(?:why|how come)\b", re.I)
WHAT_TO_DO = re.compile(r"\bwhat (?:do|should|can|could) (?:i|we) do\b", re.I)


def reads_with_previous(text: str) -> bool:
    """A short turn, or one that points back ("what do I actually get for it?"), may be read with
    the turn before it."""
    words = len(text.split())
    return words <= SHORT_FOLLOW_UP or (words <= FOLLOW_UP_WORDS and REFERS.search(folded(text)) is not None)


def tells_own_case(reading: TurnReading, topic: str | None) -> bool:
    """Whether a turn tells of the customer's own case in words no cue knows ("my boots say
    delivered but they aren't here") while the article that answered it is about ``topic``, a
    record (not an action): that record is what to look up once they say who they are."""
    return topic is not None and topic not in ACTIONS and reading.personal and reading.topic is None


def fold_memory(
    history: Sequence[EventRecord], before_seq: int, say: Phrases, article_topics: dict[str, str] | None = None
) -> DialogueMemory:
    memory = DialogueMemory()
    asked: tuple[str, TurnReading] | None = None  # the customer turn the next bot reply answers
    for record in history:
        if record.seq >= before_seq:
            break
        body = record.event
        if isinstance(body, ConversationStarted) and body.signed_in:
            memory.signed_in = body.account_id
        elif isinstance(body, CustomerMessage):
            memory.customer_texts.append(body.text)
            reading = read_turn(body.text)
            asked = (body.text, reading)
            memory.order_ids = tuple(dict.fromkeys([*memory.order_ids, *reading.order_ids]))
            if reading.topic is not None:
                memory.need = Need(reading.topic, reading.order_ids, body.text, also=reading.also)
        elif isinstance(body, BotMessage):
            said = say.english(body.text)  # replies in the customer's language are compared in English
            memory.bot_replies.append(said)
            memory.said += [(c.article_id, c.passage) for c in body.citations]
            if say.asks_who(said):
                memory.identity_asks += 1
            # The customer told of their own case in words no cue knows ("my boots say delivered
            # but they aren't here") and the reply cited an article about a record: that record is
            # the need, served once they say who they are.
            topic = article_topics.get(body.citations[0].article_id) if article_topics and body.citations else None
            if topic is not None and asked is not None and memory.known is None and tells_own_case(asked[1], topic):
                memory.need = Need(topic, asked[1].order_ids, asked[0])
            memory.cited = (topic, asked[0]) if topic is not None and asked is not None else None
            asked = None
        elif isinstance(body, IdentityVerified):
            memory.verified, memory.verified_by = body.customer_id, list(body.by)
        elif isinstance(body, StoreLookedUp):
            memory.last_topic, memory.last_order = body.topic, body.order_id
            if memory.need is not None and memory.need.topic == body.topic:
                memory.need = None
        elif isinstance(body, StoreAction):
            memory.proposed = body if body.status == "proposed" else None
            if body.status != "proposed" and memory.need is not None:
                memory.need = None
        elif isinstance(body, HandedBack):
            memory.handback_note = body.note
            memory.need, memory.proposed = None, None
    return memory


@dataclass
class Step:
    """The bot's next move: its reply, and the events that record what it looked up and did."""

    text: str
    kind: str  # answer, lookup, ask_identity, confirm, action, clarify, closing, greeting, refuse
    events: list[EventBody] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    close: bool = False


class Dialogue:
    def __init__(
        self,
        help_center: HelpCenterIndex,
        store: StoreBackend | None,
        phrases: Phrases,
        article_topics: dict[str, str] | None = None,
    ) -> None:
        self.help_center = help_center
        self.store = store
        self.say = phrases
        self.article_topics = article_topics or {}

    def asked_for_details(self, reply: str) -> bool:
        """Whether this bot reply asked the customer who they are."""
        return self.say.asks_who(self.say.english(reply))

    def reply(
        self,
        text: str,
        memory: DialogueMemory,
        analysis: TurnAnalysis,
        *,
        account_id: str | None,
    ) -> Step:
        reading = read_turn(text)
        self.prefetch(text, memory.customer_texts[-1] if memory.customer_texts else None)
        step = self._next(text, reading, memory, analysis, account_id)
        if step.text == memory.last_reply:
            step.text = self.say.rephrase_of(step.text)
        language = conversation_language([*memory.customer_texts, text])
        if language != "en":
            step.text = self.say.localized(step.text, language)
        return step

    # ---- the steps --------------------------------------------------------------------------------
    def _next(
        self, text: str, reading: TurnReading, memory: DialogueMemory, analysis: TurnAnalysis, account_id: str | None
    ) -> Step:
        if memory.proposed is not None and (reading.yes or reading.no) and reading.topic is None:
            return self._answer_proposal(memory.proposed, reading, memory)
        if reading.done or (reading.thanks and reading.question_words <= 2 and not reading.order_ids):
            if reading.done or memory.last_reply and memory.last_reply.endswith(self.say.anything_else):
                return Step(self.say.closing, "closing", close=True)
            return Step(self.say.welcome, "clarify")
        if (reading.yes or reading.no) and reading.question_words == 0 and not reading.gives_details:
            # A bare yes or no with nothing proposed answers nothing: searching the help center for
            # "yes" finds an article at random. "No" to "anything else?" ends the chat.
            if reading.no and memory.last_reply and memory.last_reply.endswith(self.say.anything_else):
                return Step(self.say.closing, "closing", close=True)
            return Step(self.say.how_can_i_help, "clarify")
        if reading.greeting:
            return Step(self.say.greeting, "greeting")
        answer = self._retrieve(text, memory)
        need = self._need(reading, memory, text, answer, account_id)
        if need is not None and self.store is not None:
            return self._serve(need, text, reading, memory, account_id, answer, analysis)
        if self.store is not None and memory.known is None and details_only(text):
            introduced = self._introduced(text, memory, account_id)
            if introduced is not None:
                return introduced
            if not memory.customer_texts and (answer is None or answer.score < ANSWER_FLOOR):
                # "Olivia Rossi here": an introduction, not a question nobody could answer
                return Step(self.say.how_can_i_help, "clarify")
        if need is None and introduces_self(text):
            # "my name is Maya Thompson": an introduction, not a question about changing the name
            return Step(self.say.how_can_i_help, "clarify")
        if need is None and memory.known is not None and details_only(text):
            # their name after the answer ("Priya Raman"): nothing asked, nothing to search for
            return Step(self.say.anything_else, "clarify")
        return self._answer(answer, memory, analysis, text)

    def _introduced(self, text: str, memory: DialogueMemory, account_id: str | None) -> Step | None:
        """The customer says who they are before saying what they need: confirm it, then ask."""
        assert self.store is not None
        try:
            customer, by = self._verify([*memory.customer_texts, text], account_id)
        except StoreUnavailable:
            return None
        if customer is None:
            return None
        return Step(
            f"{self.say.verified} {self.say.how_can_i_help}",
            "clarify",
            [IdentityVerified(customer_id=customer.customer_id, by=by)],
        )

    def _retrieve(self, text: str, memory: DialogueMemory) -> Answer | None:
        """The help center's answer, from what this conversation has not been told yet: a
        follow-up ("I got it in an email 3 days ago") gets the next sentences, not the same."""
        said = frozenset(
            i
            for i, unit in enumerate(self.help_center.units)
            if any(unit.article_id == article and unit.text in passage for article, passage in memory.said)
        )
        return self.answer_in_context(text, memory.customer_texts[-1] if memory.customer_texts else None, said)

    def prefetch(self, text: str, previous: str | None, also: Sequence[str] = ()) -> None:
        """Encode in one batch what answering this turn may search: the turn, the turn read with
        the one before it, and each of its questions (alone and with the question before); ``also``
        are texts encoded in the same batch (the turn as the model reads it)."""
        queries = [text]
        if previous is not None and reads_with_previous(text) and not details_only(text):
            queries.append(f"{previous} {text}")
        parts = question_parts(text)[:2]
        queries += parts
        queries += [f"{a} {b}" for a, b in zip(parts, parts[1:], strict=False) if reads_with_previous(b)]
        self.help_center.prefetch(queries, also)

    def answer_in_context(
        self, text: str, previous: str | None, exclude: frozenset[int] = frozenset()
    ) -> Answer | None:
        """The help center's answer; a short follow-up ("and for gold?", "how many days do I
        get?" after "a question about returns") is read with the customer's turn before it when
        that answers clearly better."""
        answer = self.help_center.answer(text, exclude=exclude)
        if previous is None or not reads_with_previous(text) or details_only(text):
            # who the customer is ("Maya Thompson, maya@example.com") is no follow-up question
            return answer
        continues = CONTINUES.match(folded(text)) is not None
        follow_up = self.help_center.answer(f"{previous} {text}", exclude=exclude)
        if follow_up is None:
            return answer
        if continues or answer is None or answer.score < ANSWER_FLOOR or follow_up.score >= answer.score + CONTEXT_GAIN:
            # The two turns together find the article; the follow-up's own words find its sentence
            # ("... and are they case sensitive?" is not answered by the first question's sentence).
            own = self.help_center.answer(text, exclude=exclude, within=follow_up.article_id)
            if own is None or own.lead is None or own.lead == follow_up.lead:
                return follow_up
            return replace(own, score=follow_up.score, scope_score=follow_up.scope_score)
        return answer

    def _need(
        self, reading: TurnReading, memory: DialogueMemory, text: str, answer: Answer | None, account_id: str | None
    ) -> Need | None:
        """What the customer needs from their own records this turn, if anything."""
        order_ids = reading.order_ids or memory.order_ids
        if reading.topic is not None:
            return Need(reading.topic, order_ids, text, also=reading.also)
        plain = folded(text)
        if (
            memory.known
            and reading.named_topic is not None
            and (not reading.asks_rule or self._names_item(memory, text))
        ):
            # a verified customer naming a record ("check the tracking") means theirs, and so does
            # a rule asked about an item they bought ("can I return the linen camp shirt?")
            other = OTHER_ORDER.search(plain) is not None
            return Need(reading.named_topic, order_ids, text, other_than=memory.last_order if other else None)
        # "Can I cancel it?" right after a lookup showed an order: that order.
        if memory.known and memory.last_order is not None and len(text.split()) <= FOLLOW_UP_WORDS:
            action = action_on_it(plain)
            if action is not None:
                return Need(action, (memory.last_order,), text)
        # A verified customer's short question after a lookup goes on with it ("and the tracking
        # number?", "how much do I owe?", "and my other order?").
        if (
            memory.known
            and memory.last_topic is not None
            and memory.last_topic not in ACTIONS
            and len(text.split()) <= FOLLOW_UP_WORDS
            and (reading.personal or reading.named_topic or CONTINUES.match(plain) or OTHER_ORDER.search(plain))
            and not reading.asks_rule
        ):
            other = OTHER_ORDER.search(plain) is not None
            return Need(
                "order_status" if other else reading.named_topic or memory.last_topic,
                order_ids,
                text,
                other_than=memory.last_order if other else None,
            )
        # Only details ("Grace Liu, grace@example.com", "AB12345"): they serve the need asked for.
        gives_details = reading.question_words <= 3 and (reading.gives_details or bool(memory.identity_asks))
        if gives_details and memory.need is not None:
            return Need(
                memory.need.topic,
                reading.order_ids or memory.need.order_ids or memory.order_ids,
                memory.need.text,
                also=memory.need.also,
            )
        if gives_details and memory.cited is not None and memory.cited[0] not in ACTIONS:
            # Who they are, right after an answer from an article about one of their records ("refund
            # status pls" -> how refunds go -> "Samuel Reyes, samuel@..."): that record, looked up.
            cited_topic, asked = memory.cited
            return Need(cited_topic, reading.order_ids or read_turn(asked).order_ids or memory.order_ids, asked)
        if gives_details and (reading.order_ids or memory.order_ids):
            # a bare order number (now or before the name): show that order
            return Need("order_status", reading.order_ids or memory.order_ids, text)
        # A customer who gives (or gave) their details and asks what an account article answers
        # wants their own record looked up too ("I'm Kim Lee, kim@example.com: when is my refund?").
        if details_only(text):
            return None  # who they are, not what they need: confirmed, then asked (see _introduced)
        identified = bool(memory.known) or reading.gives_details
        topic = self.article_topics.get(answer.article_id) if answer and answer.score >= ANSWER_FLOOR else None
        if topic is not None and identified and (reading.personal or account_id):
            return Need(topic, order_ids, text)
        return None

    def _serve(
        self,
        need: Need,
        text: str,
        reading: TurnReading,
        memory: DialogueMemory,
        account_id: str | None,
        answer: Answer | None,
        analysis: TurnAnalysis,
    ) -> Step:
        assert self.store is not None
        events: list[EventBody] = []
        try:
            customer = self._verified(memory)
            if customer is not None and memory.verified is None:
                # Signed in on the store's site: that account, recorded as how it was known.
                events.append(IdentityVerified(customer_id=customer.customer_id, by=["signed_in"]))
                memory.verified_by = ["signed_in"]
            if customer is None:
                customer, by = self._verify([*memory.customer_texts, text], account_id)
                if customer is None:
                    return self._ask_identity(
                        memory, reading, answer, need, signed_in=account_id is not None, text=text
                    )
                events.append(IdentityVerified(customer_id=customer.customer_id, by=by))
                memory.verified_by = by
            step = self._lookup(need, customer, memory)
            if (
                step.kind == "lookup"
                and reading.asks_rule
                and not lookups.has_record(customer, need.topic)
                and answer is not None
                and answer.score >= ANSWER_FLOOR
            ):
                # A rule asked about something they don't have ("is the duty refundable if I
                # return it?" with no refund yet): the help center's answer, not "nothing found".
                ruled = self._answer(answer, memory, analysis, text)
                ruled.events = [*events, *ruled.events]
                return ruled
            if step.kind in ("lookup", "action", "confirm", "clarify"):
                # The turn's other questions about the customer's records get their answers too:
                # after a record, before a question back ("... and why is there an $8 charge?"
                # with an address change: the fee, then "what's the new address?").
                for topic in need.also:
                    if topic in ACTIONS:
                        continue
                    more = self._lookup(Need(topic, need.order_ids, need.text), customer, memory)
                    if more.kind != "lookup" or more.text in step.text:
                        continue
                    asks_back = step.kind in ("confirm", "clarify")
                    step.text = f"{more.text} {step.text}" if asks_back else f"{step.text} {more.text}"
                    step.events = [*step.events, *more.events]
        except StoreUnavailable:
            return Step(self.say.store_down, "refuse")
        step.events = [*events, *step.events]
        if events and memory.verified_by != ["signed_in"] and not step.text.startswith("Thanks"):
            step.text = f"{self.say.verified} {step.text}"
        if step.kind == "lookup":
            self._add_rule_answers(step, text)
        if step.kind == "lookup" and answer is not None and answer.score >= ANSWER_FLOOR and not details_only(text):
            # What the rule means beyond the record: the help center's sentences, as many as fit;
            # where an order is ("what's the tracking number?") is the record's alone, unless the
            # customer asks about the rule too.
            status_only = need.topic == "order_status" and not reading.asks_rule
            if self.article_topics.get(answer.article_id) == need.topic and not status_only:
                added = []
                for unit in answer.units:
                    if unit.text not in step.text and len(f"{step.text} {unit.text}".split()) <= MAX_WORDS:
                        step.text = f"{step.text} {unit.text}"
                        added.append(unit)
                if added:
                    step.citations = [*step.citations, self._citation(answer, added)]
        return self._fit(step)

    def _add_rule_answers(self, step: Step, text: str) -> None:
        """A turn asking about the customer's records and a rule ("when will my jacket arrive, and
        how long do I have to return it?"): each rule question gets the help center's sentence
        that answers it after the record's facts, as far as 80 words allow."""
        previous: str | None = None
        about_record = False
        for part in question_parts(text)[:3]:
            asked, previous = (previous, part)
            topic = read_turn(part).topic
            if topic is not None and topic not in ACTIONS:
                about_record = True
                continue  # a question about their records: the lookups answer it
            if about_record and reads_with_previous(part) and len(terms(part)) <= 1:
                # "... and how much will it be?" after "when does my plus renew": the record's too
                # ("and how long do I have to return it?" names a rule: the help center's)
                continue
            about_record = False
            found = self.answer_in_context(part, asked)
            if found is None or found.score < ANSWER_FLOOR or found.lead is None:
                continue
            lead = found.lead
            if lead.text in step.text or len(f"{step.text} {lead.text}".split()) > MAX_WORDS:
                continue
            step.text = f"{step.text} {lead.text}"
            step.citations = [*step.citations, self._citation(found, [lead])]

    def _names_item(self, memory: DialogueMemory, text: str) -> bool:
        customer = self._verified(memory) if self.store is not None else None
        return customer is not None and lookups.names_an_item(customer, text)

    def _verified(self, memory: DialogueMemory) -> Customer | None:
        assert self.store is not None
        return self.store.customer(memory.known) if memory.known else None

    def _verify(self, texts: list[str], account_id: str | None) -> tuple[Customer | None, list[str]]:
        """The customer whose name and one more detail (email, order id, ZIP) the customer gave."""
        assert self.store is not None
        readings = [read_turn(t) for t in texts]
        emails = {e for r in readings for e in r.emails}
        order_ids = {o for r in readings for o in r.order_ids}
        zips = {z for r in readings for z in r.zip_codes}
        phones = {p for r in readings for p in r.phones}
        usernames = {u for r in readings for u in r.usernames}
        if not (emails or order_ids or zips or phones or usernames):
            # "Isabella Moore, bellamoore": a plain word beside the name may be the username, and
            # so may a word no dictionary knows in a question ("hi its luis fernandez, luisf. whats
            # my level")
            usernames = {w for t in texts if details_only(t) for w in plain_words(t)}
            usernames |= set(
                [w for t in texts if not details_only(t) for w in plain_words(t) if not self.help_center.knows(w)][:4]
            )
        if account_id is not None:
            one = self.store.customer(account_id)
            candidates = [one] if one is not None else []
        else:
            candidates = self._customers_with(emails, order_ids, zips, usernames, phones)
        joined = "\n".join(texts)
        said = EMAIL.sub(" ", joined)  # a name is what they wrote, not the words of their email address
        for customer in {c.customer_id: c for c in candidates}.values():
            by: list[str] = []
            email_matches = customer.email.lower() in emails
            # The full name; with the account's email, the first or last name is enough ("Maya here,
            # maya.thompson@example.com").
            if names_in(said, customer.name) or (email_matches and any_name_in(said, customer.name)):
                by.append("name")
            if email_matches:
                by.append("email")
            if any(customer.order(o) for o in order_ids):
                by.append("order_id")
            if any(same_postal_code(customer.address.zip_code, z) for z in zips):
                by.append("zip_code")
            if customer.username and re.search(
                rf"(?<![\w.]){re.escape(customer.username.lower())}(?![\w])", joined.lower()
            ):
                by.append("username")
            if customer.phone and phone_digits(customer.phone) in phones:
                by.append("phone")
            # ABCD's check: the full name plus one of account id, email, order id or ZIP code. The
            # channel's account (a signed-in customer) is the account id: the name, or any one
            # detail of that account, completes it. Otherwise the name and one more detail.
            if account_id is not None and by:
                return customer, [*by, "account"]
            if ("name" in by and len(by) > 1) or len(by) > 2:
                return customer, by
        return None, []

    def _ask_identity(
        self,
        memory: DialogueMemory,
        reading: TurnReading,
        answer: Answer | None,
        need: Need,
        *,
        signed_in: bool = False,
        text: str = "",
    ) -> Step:
        """Ask once for what is missing. A question the help center answers (a rule asked about,
        or an article about this very need) gets that answer now, with the offer to look at the
        customer's own record ("my parcel says delivered but..."); otherwise only the question
        for who they are (a sizing guide is no answer to "the jacket I got has a hole")."""
        gave = reading.gives_details
        # Where an order is, is the record's alone (as in _serve): what the statuses mean is no answer.
        # So is a record's own value ("how much was my refund?"): a rule about labels is no answer.
        status_only = (
            (need.topic == "order_status" or reading.asks_record) and not reading.asks_rule and not EXPLAIN.match(text)
        )
        on_topic = self.article_topics.get(answer.article_id) == need.topic if answer is not None else False
        rule_helps = (
            answer is not None
            and answer.score >= (ON_TOPIC_ANSWER if on_topic else GENERAL_ANSWER)
            and (
                reading.asks_rule
                or (not status_only and (on_topic or (answer.score >= RULE_ANSWER and is_question(text))))
            )
        )
        if memory.identity_asks == 0 and not gave and answer is not None and rule_helps:
            # the help center's facts first; the offer to look at their record when it still fits
            units: list[Unit] = []
            for unit in answer.units:
                if len(" ".join([*(u.text for u in units), unit.text]).split()) <= MAX_WORDS:
                    units.append(unit)
            if units:
                text = " ".join(u.text for u in units)
                if len(f"{text} {self.say.offer_lookup}".split()) <= MAX_WORDS:
                    text = f"{text} {self.say.offer_lookup}"
                return Step(text, "ask_identity", citations=[self._citation(answer, units)])
        searchable = bool(reading.emails or reading.order_ids or reading.zip_codes)
        matched = self._customers_with(reading.emails, reading.order_ids, reading.zip_codes) if searchable else []
        said = EMAIL.sub(" ", " ".join([*memory.customer_texts, text]))
        if searchable and not matched:
            text = self._mismatch(memory)  # say so at once: asking again as if nothing was given is not listening
        elif matched and not signed_in and not any(any_name_in(said, c.name) for c in matched):
            # "AB42107": a detail of an account, and the name that goes with it still to come
            text = self.say.ask_name
        elif memory.identity_asks == 0:
            # A signed-in customer's account is known: their name confirms it is them.
            text = self.say.ask_name if signed_in else self.say.ask_identity
        elif gave:
            text = self._mismatch(memory)
        else:
            text = self.say.ask_identity_again
        return Step(text, "ask_identity")

    def _mismatch(self, memory: DialogueMemory) -> str:
        """ "Couldn't match those details"; said again, it offers the other ways instead of the same words."""
        if memory.last_reply == self.say.identity_mismatch:
            return self.say.identity_mismatch_again
        return self.say.identity_mismatch

    def _customers_with(
        self,
        emails: Iterable[str],
        order_ids: Iterable[str],
        zips: Iterable[str],
        usernames: Iterable[str] = (),
        phones: Iterable[str] = (),
    ) -> list[Customer]:
        """The customers with any of these email addresses, order ids, ZIP codes, usernames or phones."""
        assert self.store is not None
        found: list[Customer] = []
        for username in usernames:
            found += self.store.find_customers(username=username)
        for phone in phones:
            found += self.store.find_customers(phone=phone)
        for email in emails:
            found += self.store.find_customers(email=email)
        for order_id in order_ids:
            found += self.store.find_customers(order_id=order_id)
        for zip_code in zips:
            found += self.store.find_customers(zip_code=zip_code)
        return found

    def _lookup(self, need: Need, customer: Customer, memory: DialogueMemory) -> Step:
        assert self.store is not None
        today = self.store.today()
        topic = need.topic
        prefer_active = topic not in ("order_charges", "order_problem")
        order = lookups.pick_order(
            customer, need.order_ids, prefer_active=prefer_active, text=need.text, other_than=need.other_than
        )
        looked = StoreLookedUp(
            customer_id=customer.customer_id, topic=topic, order_id=order.order_id if order else None
        )
        if (topic in ACTIONS and topic != "two_factor") or topic in ("order_status", "order_charges", "order_problem"):
            missing = None if need.order_ids else lookups.missing_item(customer, need.text)
            if missing is not None:  # "return the jeans" with no jeans: say so and ask, not the newest order
                text = self.say.no_such_item.format(item=missing, orders=lookups.orders_words(customer))
                return Step(text, "clarify")  # the need stays: the order they name next serves it
        if topic in ACTIONS:
            return self._propose(topic, customer, need, memory)
        if topic in ("order_status", "order_charges", "order_problem") and order is None:
            return Step(self.say.no_orders, "lookup", [looked])
        assert order is not None or topic not in ("order_status", "order_charges", "order_problem")
        if topic == "order_problem" and order is not None:
            text = lookups.order_problem_reply(customer, order, need.text, today)
        elif topic == "order_status" and order is not None:
            text = lookups.order_status_reply(customer, order, today, need.text)
        elif topic == "order_charges" and order is not None:
            text = lookups.order_charges_reply(customer, order)
        elif topic == "refund":
            text = lookups.refund_reply(customer, need.order_ids)
        elif topic == "membership":
            text = lookups.membership_reply(customer)
        elif topic == "plus":
            text = lookups.plus_reply(customer, today, need.text)
        elif topic == "store_credit":
            text = lookups.store_credit_reply(customer)
        elif topic == "payment_methods":
            text = lookups.payment_methods_reply(customer, today)
        else:
            text = lookups.gift_card_reply(customer, today)
        return Step(text, "lookup", [looked])

    def _propose(self, action: str, customer: Customer, need: Need, memory: DialogueMemory) -> Step:
        assert self.store is not None
        today = self.store.today()
        by = memory.verified_by or ["name"]
        store_action = "send_2fa_code" if action == "two_factor" else action
        instead: str | None = None  # the action proposed in place of a refused one
        if action == "two_factor":
            refusal = rules.check_2fa_reset(customer)
            how = lookups.two_factor_reply(customer)  # how their codes come, then the offer
            text = (
                refusal.reason
                if refusal
                else f"{how} {self.say.propose_2fa.format(email=rules.masked_email(customer.email))}"
            )
            order_id = None
        else:
            pending = [r for r in customer.refunds if r.status == "requested"]
            if action == "start_return" and pending and not need.order_ids:
                # A return is already under way: its status and ship-by date, not a new one.
                looked = StoreLookedUp(customer_id=customer.customer_id, topic="refund", order_id=pending[0].order_id)
                return Step(lookups.refund_reply(customer, (pending[0].order_id,)), "lookup", [looked])
            order = lookups.pick_order(customer, need.order_ids, prefer_active=action != "start_return", text=need.text)
            if order is None:
                return Step(self.say.no_orders, "lookup")
            order_id = order.order_id
            if action == "cancel_order":
                refusal = rules.check_cancel(order)
                text = (
                    refusal.reason
                    if refusal
                    else self.say.propose_cancel.format(order=order_id, items=lookups.items_words(order))
                )
                if refusal is not None and order.status in rules.RETURNABLE:
                    # Delivered, so not cancelled: the return offered in its place, so "yes" starts it.
                    offer, returnable = lookups.return_offer(customer, order, today)
                    text = f"{refusal.reason} {offer}"
                    instead = "start_return" if returnable else None
            elif action == "change_address":
                refusal = rules.check_address_change(order)
                text = refusal.reason if refusal else self.say.ask_address.format(order=order_id)
                if refusal is None:  # the new address comes in writing to an agent-free flow later
                    return Step(
                        text,
                        "clarify",
                        [StoreLookedUp(customer_id=customer.customer_id, topic=action, order_id=order_id)],
                    )
            else:
                text, allowed = lookups.return_offer(customer, order, today)
                refusal = None if allowed else rules.check_return(customer, order, (), today)
        proposal = StoreAction(
            action=instead or store_action,
            status="proposed",
            customer_id=customer.customer_id,
            order_id=order_id,
            verified_by=by,
        )
        if refusal is not None:
            event = StoreAction(
                action=store_action,
                status="refused",
                customer_id=customer.customer_id,
                order_id=order_id,
                reason=refusal.code,
                verified_by=by,
            )
            return Step(text, "confirm", [event, proposal]) if instead else Step(text, "action", [event])
        return Step(text, "confirm", [proposal])

    def _answer_proposal(self, proposed: StoreAction, reading: TurnReading, memory: DialogueMemory) -> Step:
        assert self.store is not None
        fields = {
            "customer_id": proposed.customer_id,
            "order_id": proposed.order_id,
            "verified_by": proposed.verified_by,
        }
        if reading.no:
            event = StoreAction(action=proposed.action, status="declined", **fields)
            return Step(self.say.declined + " " + self.say.anything_else, "action", [event])
        try:
            if proposed.action == "cancel_order":
                done = self.store.cancel_order(proposed.customer_id, str(proposed.order_id))
                text = self.say.cancelled.format(order=proposed.order_id)
            elif proposed.action == "start_return":
                done = self.store.start_return(proposed.customer_id, str(proposed.order_id), ())
                text = self.say.return_started.format(
                    reference=done.reference, ship_by=rules.long_date(rules.return_ship_by(self.store.today()))
                )
            else:
                done = self.store.send_2fa_code(proposed.customer_id)
                text = self.say.code_sent.format(email=done.details.get("sent_to", "your email"))
        except StoreRefused as refused:
            event = StoreAction(action=proposed.action, status="refused", reason=refused.code, **fields)
            return Step(refused.message, "action", [event])
        except StoreUnavailable:
            return Step(self.say.store_down, "refuse")
        event = StoreAction(
            action=proposed.action,
            status="done",
            reference=done.reference,
            details=dict(done.details),
            **fields,
        )
        return Step(f"{text} {self.say.anything_else}", "action", [event])

    @staticmethod
    def _citation(answer: Answer, units: Sequence[Unit]) -> Citation:
        passage = " ".join(u.text for u in units)
        return Citation(article_id=answer.article_id, title=answer.title, passage=passage, score=answer.score)

    def _part_leads(self, text: str) -> list[tuple[Answer, Unit]]:
        """A turn asking two things ("how much is express, and do gold members pay for it?"):
        the sentence that best answers each question."""
        leads: list[tuple[Answer, Unit]] = []
        previous: str | None = None
        for part in question_parts(text)[:2]:
            # A later question read with the one before it must not be answered by the same
            # sentence ("when does the sale start and how big are the discounts?").
            taken = frozenset(self.help_center.index_of(unit) for _, unit in leads)
            answer = self.answer_in_context(part, previous, taken)
            previous = part
            if answer is None or answer.score < ANSWER_FLOOR or answer.lead is None:
                continue
            if all(answer.lead != unit for _, unit in leads):
                leads.append((answer, answer.lead))
        return leads

    def _answer(self, answer: Answer | None, memory: DialogueMemory, analysis: TurnAnalysis, text: str = "") -> Step:
        if answer is None or answer.score < ANSWER_FLOOR:
            if analysis.out_of_scope:
                return Step(self.say.out_of_scope, "refuse")
            said_before = memory.last_reply in (self.say.clarify, self.say.clarify_again)
            return Step(self.say.clarify_again if said_before else self.say.clarify, "clarify")
        units = list(answer.units)
        leads = self._part_leads(text) if text else []
        needed = [unit for _, unit in leads]
        leads = [(a, u) for a, u in leads if u not in units]
        titles = list(dict.fromkeys([answer.title, *(a.title for a, _ in leads)]))
        cite = f"({self.say.source} {'; '.join(titles)})"
        extra = [unit for _, unit in leads]

        def too_long() -> bool:
            return len(" ".join([*(u.text for u in [*units, *extra]), cite]).split()) > MAX_WORDS

        # Each question's own sentence goes in before the whole turn's less relevant ones.
        while too_long() and (spare := [u for u in units[1:] if u not in needed]):
            units.remove(spare[-1])
        while len(units) > 1 and too_long():
            units.pop()
        while extra and too_long():
            extra.pop()
        kept = [(a, u) for a, u in leads if u in extra]
        if not kept:
            cite = f"({self.say.source} {answer.title})"
        passage = " ".join(u.text for u in [*units, *extra])
        citations = [self._citation(answer, units), *(self._citation(a, [u]) for a, u in kept)]
        reply = f"{passage} {cite}"
        if self._offers_lookup(answer, memory, text) and len(f"{reply} {self.say.offer_lookup}".split()) <= MAX_WORDS:
            reply = f"{reply} {self.say.offer_lookup}"
        return self._fit(Step(reply, "answer", citations=citations))

    def _offers_lookup(self, answer: Answer, memory: DialogueMemory, text: str) -> bool:
        """A customer not yet verified telling of their own case ("my boots say delivered but
        they aren't here"), answered from an article about a record: offer to look at theirs."""
        if self.store is None or memory.known is not None or not text:
            return False
        return tells_own_case(read_turn(text), self.article_topics.get(answer.article_id))

    def _fit(self, step: Step) -> Step:
        """At most 80 words: drop whole sentences from the end (the citation stays)."""
        words = step.text.split()
        if len(words) <= MAX_WORDS:
            return step
        step.text = " ".join(words[:MAX_WORDS]).rsplit(".", 1)[0] + "."
        return step
