"""The typed result of analysing one customer turn, and what a model is given to produce it.

The model layer recommends; it never decides. Everything here is plain data so that an
analysis can be stored as an event and read back losslessly (``model_dump`` / ``model_validate``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from warmline.privacy.redaction import RedactedText

Speaker = Literal["customer", "bot", "agent", "note"]

FactKind = Literal[
    "name",
    "username",
    "email",
    "phone",
    "order_id",
    "account_id",
    "amount",
    "date",
    "zip_code",
    "address",
    "product",
    "pin",
    "membership",
    "promo_code",
    "gift_card",
    "size",
    "colour",
    "tried",
    "received_via",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Turn(_Frozen):
    """One visible turn of the conversation, as the model sees it.

    ``seq`` is the event sequence number of the message in the conversation log, so every fact
    can cite the exact turn it came from.
    """

    seq: int
    speaker: Speaker
    text: str
    # A bot reply that answered the customer (not a question back): the need it answered is served,
    # so a later confident, different need is a new topic even without "also" or "another question".
    answered: bool = False


class IntentScore(_Frozen):
    flow: str
    subflow: str
    confidence: float = Field(ge=0.0, le=1.0)


class Fact(_Frozen):
    """An entity the customer (or an agent) stated, with the turn it came from."""

    kind: FactKind
    value: RedactedText  # the words as typed (masked like the turn), so every fact is found in it
    source_seq: int
    speaker: Speaker = "customer"
    resolved: str | None = None  # a normal form: the ISO date of "3 days ago", E.164 of a phone


class Citation(_Frozen):
    """A knowledge-base passage the reply is grounded in."""

    article_id: str
    title: str
    passage: str
    score: float


class EscalationRecommendation(_Frozen):
    """What the model suggests; the policy decides."""

    escalate: bool
    trigger: Literal["human_request", "out_of_scope", "frustration", "low_confidence", "looping"] | None = None
    reason: str = ""


class TurnAnalysis(_Frozen):
    model: str  # backend name and version, e.g. "embedded/1"
    message_seq: int  # the customer message this analysis is about
    flow: str | None
    subflow: str | None
    confidence: float = Field(ge=0.0, le=1.0)
    alternatives: list[IntentScore] = []
    out_of_scope: bool
    oos_score: float = Field(ge=0.0, le=1.0)
    human_request: float = Field(ge=0.0, le=1.0)  # likelihood the customer asks for a person
    sentiment: float = Field(ge=-1.0, le=1.0)
    frustration: float = Field(ge=0.0, le=1.0)
    frustration_cues: list[str] = []
    facts: list[Fact] = []  # facts stated in this turn
    citations: list[Citation] = []
    reply: str
    reply_kind: Literal["answer", "clarify", "refuse"]
    recommendation: EscalationRecommendation
    latency_ms: float = 0.0


class TurnContext(_Frozen):
    """Everything a model may use for one turn: the shared memory, read-only.

    ``history`` holds the earlier visible turns (customer, bot, agent, handback notes) in order;
    ``analyses`` the stored analyses of earlier customer turns; ``known_facts`` every fact
    already in memory (including ones given to an agent), so the bot never asks for them again.
    """

    conversation_id: str
    message_seq: int
    text: str
    history: list[Turn] = []
    analyses: list[TurnAnalysis] = []
    known_facts: list[Fact] = []
    account: dict[str, object] | None = None
    sent_at: datetime | None = None  # when the customer sent the message: "3 days ago" is counted from it


class Model(Protocol):
    """A backend that analyses customer turns. Implementations must be safe to call from threads."""

    name: str

    def analyse(self, context: TurnContext) -> TurnAnalysis: ...
