"""Typed, versioned events: the only memory of a conversation.

An event body says what happened; the ``EventRecord`` envelope says where it sits in the log
(conversation, per-conversation ``seq``), who did it (``actor``) and when. ``to_dict``/``from_dict``
are lossless and are what storage and the API use. Adding a field with a default is a compatible
change; anything else bumps the body's ``version`` and ``from_dict`` upgrades old records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from warmline.errors import InvalidInput
from warmline.handoff.schema import Payload
from warmline.model.analysis import Citation, TurnAnalysis
from warmline.policy.engine import RecordedDecision
from warmline.privacy.redaction import RedactedText
from warmline.routing import Routing

CUSTOMER = "customer"
BOT = "bot"
SYSTEM = "system"


def agent_actor(agent_id: str) -> str:
    return f"agent:{agent_id}"


def actor_kind(actor: str) -> str:
    """``agent:ag_1`` -> ``agent``; ``customer`` -> ``customer``."""
    return actor.split(":", 1)[0]


class EventBody(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    type: ClassVar[str]
    version: ClassVar[int] = 1


class ConversationStarted(EventBody):
    type = "conversation_started"
    channel: str = "web"
    customer_name: str | None = None
    account_id: str | None = None
    # The store's site vouched that the customer is signed in as ``account_id`` (a signed account,
    # see ``warmline.auth.account_signature``): the bot may show that account's records without
    # asking who they are. Otherwise the account is only what the chat was started with.
    signed_in: bool = False
    locale: str | None = None
    # The support desk's own id of the conversation (Sunshine Conversations, Intercom) when it
    # started in the desk's messaging; the desk is ``channel``.
    desk_conversation_id: str | None = None
    # A conversation held by a bot Warmline did not build: the bot's source name and its own id
    # for the conversation (see ``warmline.bots``); contact details it passed (email, phone).
    source: str | None = None
    external_id: str | None = None
    customer_contact: dict[str, str] = {}


class CustomerMessage(EventBody):
    type = "customer_message"
    text: RedactedText
    # Turns posted by an outside bot: its id for the turn (turns are stored once per id) and
    # when the bot says it was sent.
    external_id: str | None = None
    sent_at: datetime | None = None


class BotMessage(EventBody):
    type = "bot_message"
    text: RedactedText
    # answer | clarify | refuse | handoff_notice | resume | placeholder
    kind: str = "answer"
    in_reply_to: int | None = None
    citations: list[Citation] = []  # the help-center passages this reply quoted, if any
    external_id: str | None = None
    sent_at: datetime | None = None


class AgentMessage(EventBody):
    type = "agent_message"
    agent_id: str
    text: RedactedText
    # Draft usage: the payload draft shown to the agent, and how far what they sent is from it
    # (normalised Levenshtein distance, 0 = sent as is).
    draft_id: str | None = None
    draft_distance: float | None = None


class NoteAdded(EventBody):
    """An internal note: seen by agents and the bot, never by the customer."""

    type = "note_added"
    author: str
    text: RedactedText


class TurnAnalysed(EventBody):
    type = "turn_analysed"
    message_seq: int
    analysis: TurnAnalysis


class PolicyDecided(EventBody):
    type = "policy_decided"
    message_seq: int
    decision: RecordedDecision


class Routed(EventBody):
    type = "routed"
    routing: Routing


class PayloadBuilt(EventBody):
    type = "payload_built"
    payload: Payload


class Escalated(EventBody):
    """BOT -> WAITING_FOR_AGENT: the conversation joins a team queue."""

    type = "escalated"
    team: str
    trigger: str
    reason: str
    priority: int = 3
    sla_due_at: datetime | None = None
    cohort: Literal["warm", "cold"] = "warm"
    # live: an agent is expected soon; callback / ticket: none is available now, and the
    # customer was offered to be called back or to get an answer by email, context kept.
    mode: Literal["live", "callback", "ticket"] = "live"


class Claimed(EventBody):
    type = "claimed"
    agent_id: str


class Released(EventBody):
    type = "released"
    agent_id: str
    reason: RedactedText = ""


class Transferred(EventBody):
    type = "transferred"
    from_team: str
    to_team: str
    reason: RedactedText
    agent_id: str | None = None


class HandedBack(EventBody):
    type = "handed_back"
    agent_id: str
    note: RedactedText


class Closed(EventBody):
    type = "closed"
    reason: RedactedText = "resolved"
    agent_id: str | None = None


class SurveyAnswered(EventBody):
    type = "survey_answered"
    score: int = Field(ge=1, le=5)
    comment: RedactedText = ""


class IdentityVerified(EventBody):
    """The bot matched the customer to a store record (name plus email, order id or ZIP code)."""

    type = "identity_verified"
    customer_id: str
    by: list[str]  # which details matched: name, email, order_id, zip_code


class StoreLookedUp(EventBody):
    """The bot read the verified customer's records to answer (what it looked at, not the data)."""

    type = "store_looked_up"
    customer_id: str
    topic: str  # order_status, order_charges, refund, membership, plus, store_credit, gift_card, ...
    order_id: str | None = None


class StoreAction(EventBody):
    """An action on the store's systems: proposed (asked to confirm), then done, declined or refused."""

    type = "store_action"
    action: str  # cancel_order, change_address, start_return, send_2fa_code
    status: Literal["proposed", "done", "declined", "refused"]
    customer_id: str
    order_id: str | None = None
    reference: str | None = None
    reason: str = ""  # a refusal's rule, or why it was declined
    details: dict[str, str] = {}
    verified_by: list[str] = []


EVENT_TYPES: dict[str, type[EventBody]] = {
    cls.type: cls
    for cls in (
        ConversationStarted,
        CustomerMessage,
        BotMessage,
        AgentMessage,
        NoteAdded,
        TurnAnalysed,
        PolicyDecided,
        Routed,
        PayloadBuilt,
        Escalated,
        Claimed,
        Released,
        Transferred,
        HandedBack,
        Closed,
        SurveyAnswered,
        IdentityVerified,
        StoreLookedUp,
        StoreAction,
    )
}

# Turns the customer sees in their chat window.
CUSTOMER_VISIBLE = frozenset({"customer_message", "bot_message", "agent_message"})


class EventRecord(BaseModel):
    """An event in its place in one conversation's log."""

    model_config = ConfigDict(frozen=True)

    conversation_id: str
    seq: int
    actor: str
    at: datetime
    event: EventBody

    @property
    def type(self) -> str:
        return self.event.type

    def to_dict(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "seq": self.seq,
            "type": self.event.type,
            "version": self.event.version,
            "actor": self.actor,
            "at": self.at.isoformat(),
            "body": self.event.model_dump(mode="json"),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EventRecord:
        return cls(
            conversation_id=data["conversation_id"],
            seq=data["seq"],
            actor=data["actor"],
            at=datetime.fromisoformat(data["at"]),
            event=parse_body(data["type"], data.get("version", 1), data["body"]),
        )


def parse_body(type_: str, version: int, body: dict[str, Any]) -> EventBody:
    cls = EVENT_TYPES.get(type_)
    if cls is None:
        raise InvalidInput(f"unknown event type {type_!r}", code="unknown_event_type")
    if version != cls.version:
        raise InvalidInput(
            f"event {type_!r} version {version} is not readable (expected {cls.version})",
            code="unknown_event_version",
        )
    return cls.model_validate(body)
