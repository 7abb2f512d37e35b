"""The ingestion actions: an outside bot starts conversations and posts their turns.

``do_open_conversation`` creates the conversation for a bot's (source, external id), or finds
the one that exists (a unique key, so concurrent first turns agree on one conversation).
``do_post_turns`` appends the bot's turns in one locked write: a turn whose external id is
already in the log is skipped (stored once however often the bot retries); a bot turn while a
person holds the conversation refuses the whole request with 409 ``person_holds_conversation``
(nothing is stored: no double replies). Each new customer turn gets Warmline's analysis; then the
policy decides on the latest one, with the bot's own intent, confidence and handoff request as
inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from warmline.bots.assess import Assessment, BotTurnAnalysis, OutsideBotAssessor
from warmline.bots.sources import BotSource
from warmline.bus.base import conversation_channel
from warmline.conversation import views
from warmline.conversation.actions import Outcome, Services, apply_change, check_name, check_text, new_conversation_id
from warmline.conversation.events import CUSTOMER, BotMessage, ConversationStarted, CustomerMessage, EventRecord
from warmline.conversation.state import ConversationState, Status
from warmline.errors import Conflict, ConversationNotFound, InvalidInput
from warmline.model import TurnAnalysis
from warmline.storage.sql.store import IdempotencyClaim, Writer


class PersonHoldsConversation(Conflict):
    """A bot turn while the conversation waits for or is with a person."""

    code = "person_holds_conversation"


@dataclass(frozen=True)
class IncomingTurn:
    external_id: str
    role: Literal["customer", "bot"]
    text: str
    sent_at: datetime | None = None
    analysis: BotTurnAnalysis | None = None
    handoff_reason: str | None = None


@dataclass(frozen=True)
class StoredTurn:
    external_id: str
    seq: int
    duplicate: bool


@dataclass(frozen=True)
class Opened:
    conversation_id: str
    created: bool
    state: ConversationState
    events: list[EventRecord]


@dataclass(frozen=True)
class TurnsOutcome:
    outcome: Outcome
    turns: list[StoredTurn]
    assessment: Assessment | None


def do_open_conversation(
    svc: Services,
    source: BotSource,
    external_id: str,
    channel: str,
    customer_name: str | None = None,
    account_id: str | None = None,
    locale: str | None = None,
    contact: dict[str, str] | None = None,
) -> Opened:
    if not 0 < len(external_id) <= 200 or not external_id.isprintable():
        raise InvalidInput("external_id must be 1-200 printable characters", details={"field": "external_id"})
    customer_name = check_name(customer_name, "customer.name")
    if account_id is not None and svc.store.get_account(account_id) is None:
        raise InvalidInput(
            f"no account {account_id!r}", code="unknown_account", details={"field": "customer.account_id"}
        )
    body = ConversationStarted(
        channel=channel,
        customer_name=customer_name,
        account_id=account_id,
        locale=locale,
        source=source.name,
        external_id=external_id,
        customer_contact=contact or {},
    )
    records, state, existed = svc.store.create(
        new_conversation_id(), f"bot:{source.staff_id}", body, external=(source.name, external_id)
    )
    if not existed:
        svc.store.after_commit(lambda: svc.bus.publish(conversation_channel(state.id)))
    return Opened(state.id, not existed, state, records)


def check_turns(svc: Services, turns: list[IncomingTurn]) -> list[IncomingTurn]:
    seen: set[str] = set()
    for index, turn in enumerate(turns):
        check_text(turn.text, svc.settings, field=f"turns.{index}.text")
        if turn.external_id in seen:
            raise InvalidInput(
                f"turn external_id {turn.external_id!r} appears twice in this request",
                code="duplicate_turn_id",
                details={"field": f"turns.{index}.external_id"},
            )
        seen.add(turn.external_id)
    return turns


def do_post_turns(
    svc: Services,
    assessor: OutsideBotAssessor | None,
    source: BotSource,
    conversation_id: str,
    turns: list[IncomingTurn],
    idempotency: IdempotencyClaim | None = None,
    handoff_reason: str | None = None,
) -> TurnsOutcome:
    """``handoff_reason``: the bot asks for a person without a turn (Rasa pausing itself)."""
    turns = check_turns(svc, turns)
    stored: list[StoredTurn] = []
    assessed: list[Assessment] = []

    def post(writer: Writer) -> None:
        if writer.state.source != source.name:  # another bot's conversation is not even there
            raise ConversationNotFound(f"no conversation {conversation_id!r} from {source.name}")
        known = _stored_turns(writer)
        account_id = writer.state.account_id
        account = svc.store.get_account(account_id) if account_id else None
        latest: tuple[TurnAnalysis, BotTurnAnalysis | None] | None = None
        handoff = handoff_reason
        for turn in turns:
            if turn.external_id in known:
                stored.append(StoredTurn(turn.external_id, known[turn.external_id], duplicate=True))
                continue
            if turn.role == "bot":
                if writer.state.status in (Status.WAITING_FOR_AGENT, Status.WITH_AGENT):
                    raise PersonHoldsConversation(
                        "a person holds this conversation: the bot must not reply until it is handed back",
                        details={"status": writer.state.status.value, "external_id": turn.external_id},
                    )
                body = BotMessage(text=turn.text, kind="answer", external_id=turn.external_id, sent_at=turn.sent_at)
                record = writer.append(f"bot:{source.staff_id}", body)
            else:
                message = CustomerMessage(text=turn.text, external_id=turn.external_id, sent_at=turn.sent_at)
                record = writer.append(CUSTOMER, message)
                if assessor is not None:
                    latest = (assessor.analyse(writer, record, turn.analysis, account), turn.analysis)
            stored.append(StoredTurn(turn.external_id, record.seq, duplicate=False))
            handoff = turn.handoff_reason or handoff
        if assessor is None or writer.state.status != Status.BOT or (latest is None and handoff is None):
            return
        if latest is None:  # the bot asks for a person on a bot turn: decide on the last analysis
            previous = views.latest_analysis(writer.history())
            if previous is None:
                return
            latest = (previous, None)
        assessed.append(assessor.decide(writer, source, latest[0], latest[1], handoff, account))

    outcome = apply_change(svc, conversation_id, idempotency, post)
    if outcome.replayed:  # the same request again (Idempotency-Key): every turn is a duplicate
        seqs = {r.event.external_id: r.seq for r in outcome.events if isinstance(r.event, CustomerMessage | BotMessage)}
        return TurnsOutcome(outcome, [StoredTurn(t.external_id, seqs.get(t.external_id, 0), True) for t in turns], None)
    return TurnsOutcome(outcome, stored, assessed[0] if assessed else None)


def _stored_turns(writer: Writer) -> dict[str, int]:
    """External turn id -> seq, for the turns already in the log (read under the lock)."""
    return {
        record.event.external_id: record.seq
        for record in writer.history()
        if isinstance(record.event, CustomerMessage | BotMessage) and record.event.external_id
    }
