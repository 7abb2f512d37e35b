"""The ingestion API: an outside bot (a ``bot`` token) posts its conversations and turns.

``POST /v1/conversations`` with a bot token and ``{"source", "external_id", "channel",
"customer"}`` opens the conversation (201) or returns the one that exists (200); the same path
without a bot token starts a customer chat (``conversations.start_conversation`` hands bots
here). ``POST /v1/conversations/{id}/turns`` appends turns and answers with the policy's
decision and the state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from warmline.api.deps import Write, bot_writing, read_body
from warmline.api.schemas import Event, StartConversation, present_events, present_state
from warmline.api.schemas import Request as RequestBody
from warmline.auth import Principal
from warmline.bots import ingest
from warmline.bots.assess import BotTurnAnalysis
from warmline.bots.wiring import BotIngestion
from warmline.conversation.actions import Services

router = APIRouter(prefix="/v1/conversations", tags=["bots"])

CHANNEL = r"^[a-z][a-z0-9_-]{0,31}$"
EXTERNAL_ID = r"^[\x21-\x7e]{1,200}$"  # printable ASCII, no spaces


class BotCustomer(RequestBody):
    name: str | None = Field(None, max_length=120)
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(None, max_length=40, pattern=r"^\+?[0-9 ().-]{3,40}$")
    account_id: str | None = Field(None, max_length=64)
    locale: str | None = Field(None, pattern=r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


class OpenConversation(RequestBody):
    """A bot's conversation: ``source`` is the bot's name, ``external_id`` its own conversation id."""

    source: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    external_id: str = Field(pattern=EXTERNAL_ID)
    channel: str = Field("web", pattern=CHANNEL)
    customer: BotCustomer = BotCustomer()


class BotEntity(BaseModel):
    """An entity the bot extracted. Other keys (start, end, extractor...) are accepted and ignored."""

    model_config = ConfigDict(extra="ignore")
    entity: str = Field(min_length=1, max_length=64)
    value: str = Field(max_length=500)

    @field_validator("value", mode="before")
    @classmethod
    def _text(cls, value: object) -> object:
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class BotAnalysis(RequestBody):
    intent: str | None = Field(None, max_length=200)
    confidence: float | None = Field(None, ge=0.0, le=1.0)
    out_of_scope: bool | None = None
    entities: list[BotEntity] = Field(default_factory=list, max_length=50)


class HandoffRequested(RequestBody):
    reason: str = Field(min_length=1, max_length=500)


class BotTurn(RequestBody):
    external_id: str = Field(pattern=EXTERNAL_ID)
    role: Literal["customer", "bot"]
    text: str
    at: datetime | None = None
    analysis: BotAnalysis | None = None
    handoff_requested: HandoffRequested | None = None


class PostTurns(RequestBody):
    turns: list[BotTurn] = Field(min_length=1, max_length=100)


class OpenedConversation(BaseModel):
    conversation_id: str
    created: bool
    state: dict[str, Any]
    events: list[Event]


class StoredTurnView(BaseModel):
    external_id: str
    seq: int
    duplicate: bool


class DecisionView(BaseModel):
    outcome: Literal["escalate", "continue"]
    trigger: str | None
    rule: str | None
    reason: str
    mode: str | None
    customer_message: str | None  # for the bot to tell the customer, when it escalates
    team: str | None
    policy_version: str
    shadow: bool  # recorded only: the source is in shadow mode
    acted: bool  # the conversation was handed to a team's queue


class TurnsPosted(BaseModel):
    turns: list[StoredTurnView]
    decision: DecisionView | None
    state: dict[str, Any]
    events: list[Event]


def _bots(request: Request) -> BotIngestion:
    bots: BotIngestion = request.app.state.bots
    return bots


async def open_conversation(request: Request, caller: Principal, svc: Services) -> JSONResponse:
    """``POST /v1/conversations`` by a bot (see ``conversations.start_conversation``)."""
    body = await read_body(request, OpenConversation)
    bots = _bots(request)
    source = await bots.source_for(caller, body.source)
    customer = body.customer
    contact = {k: v for k, v in (("email", customer.email), ("phone", customer.phone)) if v}
    opened = await Write(caller, svc, None).run(
        ingest.do_open_conversation,
        source,
        body.external_id,
        body.channel,
        customer.name,
        customer.account_id,
        customer.locale,
        contact,
    )
    content = {
        "conversation_id": opened.conversation_id,
        "created": opened.created,
        "state": present_state(opened.state, caller),
        "events": present_events(opened.events, caller),
    }
    return JSONResponse(content, status_code=201 if opened.created else 200)


@router.post(
    "/{conversation_id}/turns",
    response_model=TurnsPosted,
    responses={
        404: {"description": "conversation_not_found: no such conversation from this bot"},
        409: {"description": "person_holds_conversation: a bot turn while a person holds it"},
    },
)
async def post_turns(conversation_id: str, body: PostTurns, request: Request) -> JSONResponse:
    """Append the bot's turns (once per ``external_id``), then Warmline's analysis and decision."""
    call = await bot_writing(request)
    bots = _bots(request)
    source = await bots.source_for(call.caller)
    turns = [
        ingest.IncomingTurn(
            external_id=t.external_id,
            role=t.role,
            text=t.text,
            sent_at=t.at,
            analysis=None
            if t.analysis is None
            else BotTurnAnalysis(
                intent=t.analysis.intent,
                confidence=t.analysis.confidence,
                out_of_scope=t.analysis.out_of_scope,
                entities=tuple((e.entity, e.value) for e in t.analysis.entities),
            ),
            handoff_reason=t.handoff_requested.reason if t.handoff_requested else None,
        )
        for t in body.turns
    ]
    posted = await call.run(ingest.do_post_turns, bots.assessor, source, conversation_id, turns, call.claim)
    return JSONResponse(present_turns(posted, call.caller))


def present_turns(posted: ingest.TurnsOutcome, caller: Principal) -> dict[str, Any]:
    decision = None
    if posted.assessment is not None:
        made = posted.assessment.decision
        routing = posted.assessment.routing
        decision = {
            "outcome": made.outcome,
            "trigger": made.trigger,
            "rule": made.rule,
            "reason": made.reason,
            "mode": made.mode,
            "customer_message": made.customer_message if made.escalates else None,
            "team": routing.team if routing else None,
            "policy_version": made.policy_version,
            "shadow": not posted.assessment.acted and made.escalates,
            "acted": posted.assessment.acted,
        }
    return {
        "turns": [{"external_id": t.external_id, "seq": t.seq, "duplicate": t.duplicate} for t in posted.turns],
        "decision": decision,
        "state": present_state(posted.outcome.state, caller),
        "events": present_events(posted.outcome.events, caller),
    }


def document_start_bodies(app: FastAPI) -> None:
    """``POST /v1/conversations`` takes a customer's start or a bot's conversation: publish both
    request bodies (the route reads its body itself, by who calls)."""
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = default_openapi()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        refs = []
        for model in (StartConversation, OpenConversation):
            spec = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(spec.pop("$defs", {}))
            components[model.__name__] = spec
            refs.append({"$ref": f"#/components/schemas/{model.__name__}"})
        operation = schema["paths"]["/v1/conversations"]["post"]
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"oneOf": refs}}}}
        operation["responses"]["200"] = {
            "description": "A bot's conversation that existed already",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OpenedConversation"}}},
        }
        opened = OpenedConversation.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(opened.pop("$defs", {}))
        components["OpenedConversation"] = opened
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
