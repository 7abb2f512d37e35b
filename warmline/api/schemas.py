"""Request and response bodies of the HTTP API, and what each caller may see of an event."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from warmline.auth import Principal
from warmline.conversation.events import EventRecord
from warmline.conversation.state import ConversationState


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartConversation(Request):
    channel: str = Field("web", pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    customer_name: str | None = Field(None, max_length=120)
    account_id: str | None = Field(None, max_length=64)
    # The store's signature of ``account_id`` (``warmline.auth.account_signature``): the customer is
    # signed in on the store's site as that account.
    account_signature: str | None = Field(None, max_length=128)
    locale: str | None = Field(None, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


class PostMessage(Request):
    text: str


class CloseConversation(Request):
    reason: str = Field("resolved", min_length=1, max_length=200)


class AnswerSurvey(Request):
    score: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=2000)


class CreateStaff(Request):
    name: str = Field(min_length=1, max_length=120)
    role: str = Field(pattern="^(agent|lead|admin)$")
    teams: list[str] = Field(default_factory=list, max_length=50)
    capacity: int = Field(3, ge=1, le=50)


# What a customer may see of events that are not their chat turns: that something happened,
# never internal reasons, notes or analyses.
CUSTOMER_SAFE_FIELDS: dict[str, tuple[str, ...]] = {
    "conversation_started": ("channel", "customer_name"),
    "customer_message": ("text",),
    "bot_message": ("text", "kind", "in_reply_to"),
    "agent_message": ("text",),
    "escalated": (),
    "claimed": (),
    "released": (),
    "transferred": (),
    "handed_back": (),
    "closed": (),
    "survey_answered": ("score", "comment"),
}


def present_event(record: EventRecord, principal: Principal) -> dict[str, Any] | None:
    """The event as ``principal`` may see it, or None when it is internal."""
    data = record.to_dict()
    if principal.role != "customer":
        return data
    fields = CUSTOMER_SAFE_FIELDS.get(record.type)
    if fields is None:
        return None
    data["body"] = {k: v for k, v in data["body"].items() if k in fields}
    if data["actor"].startswith("agent:"):
        data["actor"] = "agent"
    return data


def present_state(state: ConversationState, principal: Principal) -> dict[str, Any]:
    data = state.to_dict()
    if principal.role == "customer":
        keep = ("id", "status", "channel", "created_at", "updated_at", "last_seq", "customer_name")
        data = {k: data[k] for k in keep}
    return data


def present_events(records: list[EventRecord], principal: Principal) -> list[dict[str, Any]]:
    return [view for r in records if (view := present_event(r, principal)) is not None]


# Response shapes, published in the OpenAPI document.
class Event(BaseModel):
    conversation_id: str
    seq: int
    type: str
    version: int
    actor: str
    at: str
    body: dict[str, Any]


class ConversationView(BaseModel):
    state: dict[str, Any]


class ConversationStarted(ConversationView):
    conversation_id: str
    customer_token: str
    events: list[Event]


class ConversationChange(ConversationView):
    events: list[Event]


class ConversationEvents(BaseModel):
    events: list[Event]
    last_seq: int
    more: bool


class ConversationList(BaseModel):
    conversations: list[dict[str, Any]]


class ReleaseConversation(Request):
    reason: str = Field("", max_length=500)


class TransferConversation(Request):
    team: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000)


class SendAgentMessage(Request):
    text: str
    draft_id: str | None = Field(None, max_length=80)


class AddNote(Request):
    text: str


class ResolveConversation(Request):
    reason: str = Field("resolved", min_length=1, max_length=200)


class HandBack(Request):
    note: str


class SetPresence(Request):
    presence: str = Field(pattern="^(online|away|offline)$")
