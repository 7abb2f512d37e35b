"""The conversation's need, estimated from all customer turns (not the last turn's label).

Each customer turn brings its own intent distribution (``TurnAnalysis.alternatives``: empty for a
turn without intent evidence: small talk, a vague opening, a bare id, a name, a yes/no). The held
need is the confidence-weighted sum of those distributions, with two rules that follow how support
conversations go:

* the first turn that says what the customer needs sets the topic; later turns mostly answer the
  agent's questions and elaborate, so they count ``LATER_TURN_WEIGHT`` of their confidence (a
  confident detail still outweighs a weak opening: "a charge on my account" then "for something I
  never bought");
* a later turn of one or two words ("mail", "in transit"), or one that gives the details the
  agent had just asked for ("I don't have my account ID, but my username is cm730"), is an
  answer: it counts ``SHORT_ANSWER_WEIGHT``;
* a later turn that answers the agent's question about the need itself ("What does the error
  say?" / "it says the code expired") refines it: it counts ``ELABORATION_WEIGHT``, so that a
  confident detail outweighs an opening that was as confident but less specific ("my coupon
  isn't working");
* after an opening that is a status check ("I'd like to check my order status because ..."), a
  sure (``SPECIFIC_NEED_MIN``), different reading of the next turn that says anything about the
  need refines it the same way: the check was how the customer opened a more specific need
  ("haven't had to pay shipping this high"); later turns do not (they answer the agent);
* a turn that announces a new topic ("also", "another question", "one more thing", "actually")
  with a confident, different intent replaces the need: earlier evidence keeps only
  ``EARLIER_AFTER_CHANGE`` of its weight. So does a sure (``AFTER_ANSWER_MIN``), different intent right after the
  bot answered (a help-center answer, a lookup): the earlier need was served, and "where is my
  order?" after "how long is the return window?" is the conversation's need now; a turn that only
  tells more about what was answered ("I got it in an email 3 days ago": it points back and asks
  nothing) does not replace it.

The confidence is the held intent's share of the weighted probability mass: a weighted mean of
calibrated turn probabilities (each turn's distribution comes from the temperature-calibrated
classifier), so it stays a probability and falls when turns disagree.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from warmline.model.analysis import IntentScore

LATER_TURN_WEIGHT = 0.8
SHORT_ANSWER_WEIGHT = 0.3
SHORT_ANSWER_WORDS = 2
ELABORATION_WEIGHT = 1.2
# "I'd like to check my order status because ...": a status check is often how a customer opens a
# more specific need; a sure, different reading of a later turn counts as a refinement.
STATUS_CHECKS = {("shipping_issue", "status")}
SPECIFIC_NEED_MIN = 0.85
EARLIER_AFTER_CHANGE = 0.2
TOPIC_CHANGE_MIN = 0.5
# Without a word announcing it, a new topic after the bot's answer needs a sure reading: a turn that
# hands over a name and an order id reads as a weak, diffuse "order status" (0.5-0.6).
AFTER_ANSWER_MIN = 0.7
TOPIC_CHANGE = re.compile(
    r"\b(?:also|another (?:question|thing|issue|problem)|one more (?:thing|question)|actually|separate(?:ly| issue)|"
    r"different (?:question|issue)|while i have you|by the way|btw|on another note|something else|"
    r"además|otra (?:cosa|pregunta)|aussi|autre (?:chose|question)|außerdem|noch (?:eine|etwas)|"
    r"também|outra (?:coisa|pergunta)|inoltre|un'altra (?:cosa|domanda)|ook nog|nog een vraag|"
    r"poza tym|jeszcze jedno|inne pytanie)\b",
    re.I,
)


@dataclass(frozen=True)
class TurnEvidence:
    """One customer turn as the estimate sees it: its text and its own intent scores."""

    text: str
    intents: Sequence[IntentScore]
    # The turn gives details the agent or bot had just asked for ("username is cm730"): an answer.
    answers_request: bool = False
    # The agent or bot had just asked what the problem is ("What does the error say?"): a refinement.
    elaborates: bool = False
    # The bot had just answered (not asked anything): the need it answered is served.
    after_answer: bool = False


@dataclass(frozen=True)
class ConversationIntent:
    flow: str
    subflow: str
    confidence: float


DETAILS_ASKED = re.compile(
    r"\b(?:name|username|user name|e-?mail|phone|account(?: id| number)?|order(?: id| number)?|zip|address|pin|"
    r"member(?:ship)?(?: level| status| tier)?|"
    r"verify|confirm|look (?:you|it) up|pull up)\b",
    re.I,
)


def asks_for_details(text: str) -> bool:
    """Whether an agent or bot turn asks the customer for identifying details."""
    return (
        "?" in text
        and bool(DETAILS_ASKED.search(text))
        or bool(
            re.search(r"\b(?:could|can|may) (?:you|i (?:have|get))\b|\bplease (?:provide|give|send)\b", text, re.I)
            and DETAILS_ASKED.search(text)
        )
    )


NEED_ASKED = re.compile(
    r"\b(?:what(?:'s| is| was)? (?:seems to be |exactly is )?the (?:problem|issue|matter|reason)|"
    r"what(?:'s| is)? (?:wrong|going on|happening)|what happen(?:ed|s)|"
    r"what (?:does|did) (?:it|the (?:\w+ ){0,2}\w+) say|"
    r"how (?:can|may|could) i help|what can i (?:do|help)|tell me (?:more|what)|"
    r"(?:can|could) you (?:tell|describe|explain)|what (?:kind|sort|type) of|what do you (?:need|mean)|"
    r"are you having (?:an? )?(?:issue|problem|trouble)|is (?:it|that|this) (?:about|the)|do you mean|"
    r"en qu[ée] (?:le |te |les )?puedo ayudar|qu[ée] (?:dice|pasa|ocurre|problema)|"
    r"comment (?:puis-je|je peux) (?:vous )?aider|que dit|qu'est-ce qui|quel (?:est le )?probl[èe]me|"
    r"wie kann ich (?:ihnen |dir )?helfen|was (?:ist|sagt|steht)|welches problem|"
    r"como (?:posso|podemos) (?:te |lhe )?ajudar|o que (?:diz|aconteceu|houve)|qual (?:é )?o problema|"
    r"come posso aiutar|cosa (?:dice|succede|è successo)|qual è il problema|"
    r"waarmee kan ik|wat (?:zegt|is er|is het probleem)|"
    r"w czym (?:mogę|możemy) pomóc|co się (?:dzieje|stało)|co pisze|jaki (?:jest )?problem)",
    re.I,
)
ANYTHING_ELSE = re.compile(r"\b(?:anything else|any other|anything more|something else)\b", re.I)


def asks_about_need(text: str) -> bool:
    """Whether an agent or bot turn asks what the customer's problem is (not for identifiers, and
    not "anything else?", after which a new topic may start)."""
    return bool(NEED_ASKED.search(text)) and not ANYTHING_ELSE.search(text)


def asks_customer(text: str) -> bool:
    """Whether an agent or bot turn asks the customer for details or for what the problem is."""
    return asks_for_details(text) or asks_about_need(text)


def changes_topic(text: str) -> bool:
    return bool(TOPIC_CHANGE.search(text))


# A turn that points back at what was answered ("I got it in an email 3 days ago") and neither asks
# nor requests anything tells more about that need: it does not replace it, however sure its reading.
POINTS_BACK = re.compile(r"\b(?:it|that|this|them|those|they|one)\b", re.I)
ASKS_OR_REQUESTS = re.compile(
    r"\?|^\s*(?:how|what|whats|when|where|which|who|why|can|could|do|does|did|is|are|will|would|should)\b|"
    r"\b(?:want|need|would like|like to|can you|could you|please|help)\b",
    re.I,
)


def tells_more(text: str) -> bool:
    """Whether a customer turn only adds details about what the bot just answered."""
    return bool(POINTS_BACK.search(text)) and not ASKS_OR_REQUESTS.search(text)


def conversation_intent(turns: Sequence[TurnEvidence]) -> ConversationIntent | None:
    """The held need after ``turns`` (oldest first), or None when no turn said one."""
    totals: dict[tuple[str, str], float] = defaultdict(float)
    weight_sum = 0.0
    held: tuple[str, str] | None = None
    intent_turns = 0
    for turn in turns:
        if not turn.intents:
            continue
        intent_turns += 1
        top = turn.intents[0]
        weight = top.confidence
        if held is not None:
            new_topic = (top.flow, top.subflow) != held and top.confidence >= TOPIC_CHANGE_MIN
            served = turn.after_answer and top.confidence >= AFTER_ANSWER_MIN and not tells_more(turn.text)
            if new_topic and (served or changes_topic(turn.text)):
                for key in totals:
                    totals[key] *= EARLIER_AFTER_CHANGE
                weight_sum *= EARLIER_AFTER_CHANGE
            elif turn.answers_request:
                weight *= SHORT_ANSWER_WEIGHT
            elif turn.elaborates or (
                held in STATUS_CHECKS
                and intent_turns == 2
                and (top.flow, top.subflow) != held
                and top.confidence >= SPECIFIC_NEED_MIN
                and len(turn.text.split()) > SHORT_ANSWER_WORDS
            ):
                weight *= ELABORATION_WEIGHT
            elif len(turn.text.split()) <= SHORT_ANSWER_WORDS:
                weight *= SHORT_ANSWER_WEIGHT
            else:
                weight *= LATER_TURN_WEIGHT
        weight_sum += weight
        for score in turn.intents:
            totals[(score.flow, score.subflow)] += weight * score.confidence
        held = max(totals.items(), key=lambda item: item[1])[0]
    if held is None or weight_sum <= 0:
        return None
    return ConversationIntent(flow=held[0], subflow=held[1], confidence=min(1.0, totals[held] / weight_sum))
