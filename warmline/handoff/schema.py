"""The handoff payload's schema (DESIGN §6): versioned and published as JSON Schema.

Only the shapes live here (no dependency on the event log), so that the ``payload_built`` event
can carry a typed :class:`Payload`; :mod:`warmline.handoff.payload` builds one from the log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from warmline.handoff.next_action import NextAction
from warmline.model.analysis import Citation
from warmline.privacy.redaction import RedactedText
from warmline.routing import Routing

SCHEMA_VERSION = 1
Cohort = Literal["warm", "cold"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Intent(_Strict):
    flow: str
    subflow: str | None = None
    confidence: float = Field(ge=0.0, le=1.0)


class KeyFact(_Strict):
    kind: str
    value: RedactedText
    source_seq: int  # the turn (event seq) where it was typed
    speaker: Literal["customer", "bot", "agent", "note"] = "customer"
    resolved: str | None = None  # normal form: the ISO date of "3 days ago" at the message time, E.164 phone


class Draft(_Strict):
    id: str  # "dr_<conversation_id>_<seq>"
    text: RedactedText


class TranscriptTurn(_Strict):
    seq: int
    speaker: Literal["customer", "bot", "agent", "note", "handback"]
    author: str  # the event's actor: "customer", "bot", "agent:<id>"
    text: RedactedText
    at: datetime
    kind: str | None = None  # bot message kind (answer, clarify, refuse, handoff_notice, ...)


class Escalation(_Strict):
    trigger: str | None = None
    reason: str = ""
    rule: str | None = None
    policy_version: str | None = None
    mode: str = "live"


class Handback(_Strict):
    seq: int
    agent_id: str
    note: RedactedText
    at: datetime


class Payload(_Strict):
    """What an agent sees when they pick up a handoff. ``version`` is :data:`SCHEMA_VERSION`."""

    version: int = SCHEMA_VERSION
    cohort: Cohort
    conversation_id: str
    built_at: datetime
    customer_name: str | None = None
    summary: RedactedText = ""
    intent: Intent | None = None
    key_facts: list[KeyFact] = []
    draft: Draft | None = None
    next_action: NextAction | None = None
    citations: list[Citation] = []
    routing: Routing
    escalation: Escalation | None = None
    account: dict[str, Any] | None = None
    handbacks: list[Handback] = []
    transcript: list[TranscriptTurn] = []


def payload_json_schema() -> dict[str, Any]:
    """The published JSON Schema of :class:`Payload` (draft 2020-12, as pydantic emits it)."""
    schema = Payload.model_json_schema()
    schema["$id"] = f"https://warmline.dev/schemas/handoff-payload/v{SCHEMA_VERSION}.json"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
