"""The only code that changes a conversation. Each ``do_*`` validates (``check_*``), appends
events through the store's locked writer, commits, then wakes the live streams. Routes, the
CLI, channels and integrations call these; none of them writes to storage directly."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

from warmline.auth import customer_token
from warmline.bus.base import FEED_CHANNEL, Bus, conversation_channel
from warmline.config import Settings
from warmline.conversation.bot import Bot, BotTurn
from warmline.conversation.events import (
    CUSTOMER,
    Closed,
    ConversationStarted,
    CustomerMessage,
    EventRecord,
    SurveyAnswered,
)
from warmline.conversation.state import HUMAN, Status
from warmline.errors import InvalidInput, MessageTooLarge
from warmline.storage.sql.store import QUEUE_EVENTS, IdempotencyClaim, SqlStore

# Line breaks and tabs are text; every other control or format-breaking character is refused.
ALLOWED_CONTROLS = frozenset("\n\r\t")


@dataclass
class Services:
    """What actions need, built once by ``create_app`` (or the CLI) and passed in."""

    settings: Settings
    store: SqlStore
    bus: Bus
    bot: Bot


@dataclass(frozen=True)
class Started:
    conversation_id: str
    customer_token: str
    events: list[EventRecord]
    replayed: bool


def new_conversation_id() -> str:
    return "cv_" + secrets.token_hex(10)


def check_text(text: str, settings: Settings, field: str = "text") -> str:
    """A message as it will be stored: exactly what was sent, once it is known to be acceptable."""
    if not text.strip():
        raise InvalidInput(f"{field} must not be empty", code="empty_message", details={"field": field})
    size = len(text.encode("utf-8"))
    if size > settings.max_message_bytes:
        raise MessageTooLarge(
            f"{field} is {size} bytes; the limit is {settings.max_message_bytes}",
            details={"field": field, "limit": settings.max_message_bytes},
        )
    bad = next((c for c in text if unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROLS), None)
    if bad is not None:
        raise InvalidInput(
            f"{field} contains a control character (U+{ord(bad):04X})",
            code="control_character",
            details={"field": field},
        )
    return text


def check_name(value: str | None, field: str, limit: int = 120) -> str | None:
    if value is None:
        return None
    if not value.strip() or len(value) > limit or any(unicodedata.category(c) == "Cc" for c in value):
        raise InvalidInput(f"{field} must be 1-{limit} printable characters", details={"field": field})
    return value.strip()


def do_start_conversation(
    svc: Services,
    *,
    channel: str = "web",
    customer_name: str | None = None,
    account_id: str | None = None,
    locale: str | None = None,
    idempotency: IdempotencyClaim | None = None,
) -> Started:
    customer_name = check_name(customer_name, "customer_name")
    if account_id is not None and svc.store.get_account(account_id) is None:
        raise InvalidInput(f"no account {account_id!r}", code="unknown_account", details={"field": "account_id"})
    body = ConversationStarted(channel=channel, customer_name=customer_name, account_id=account_id, locale=locale)
    records, replayed = svc.store.create(new_conversation_id(), CUSTOMER, body, idempotency)
    conversation_id = records[0].conversation_id
    if not replayed:
        _wake(svc, records, feed=False)
    token = customer_token(svc.store.token_secret(), conversation_id)
    return Started(conversation_id, token, records, replayed)


def do_post_customer_message(
    svc: Services, conversation_id: str, text: str, idempotency: IdempotencyClaim | None = None
) -> list[EventRecord]:
    """Append the customer's turn; while the bot owns the conversation, the bot answers it in the
    same transaction. While an agent owns it, the bot stays silent (no double replies)."""
    text = check_text(text, svc.settings)
    with svc.store.write(conversation_id, idempotency) as writer:
        if writer.replay is not None:
            return writer.replay
        message = writer.append(CUSTOMER, CustomerMessage(text=text))
        if writer.state.status == Status.BOT:
            account = svc.store.get_account(writer.state.account_id) if writer.state.account_id else None
            turn = BotTurn(writer.state, message, writer.history(), account)
            for actor, body in svc.bot.respond(turn):
                writer.append(actor, body)
        records, human = list(writer.pending), writer.state.status in HUMAN
    _wake(svc, records, feed=human)
    return records


def do_close(
    svc: Services, conversation_id: str, actor: str, reason: str, idempotency: IdempotencyClaim | None = None
) -> list[EventRecord]:
    with svc.store.write(conversation_id, idempotency) as writer:
        if writer.replay is not None:
            return writer.replay
        writer.append(actor, Closed(reason=reason))
        records = list(writer.pending)
    _wake(svc, records, feed=True)
    return records


def do_answer_survey(
    svc: Services, conversation_id: str, score: int, comment: str, idempotency: IdempotencyClaim | None = None
) -> list[EventRecord]:
    if comment:
        check_text(comment, svc.settings, field="comment")
    with svc.store.write(conversation_id, idempotency) as writer:
        if writer.replay is not None:
            return writer.replay
        writer.append(CUSTOMER, SurveyAnswered(score=score, comment=comment))
        records = list(writer.pending)
    _wake(svc, records, feed=False)
    return records


def _wake(svc: Services, records: list[EventRecord], *, feed: bool) -> None:
    if not records:
        return
    svc.bus.publish(conversation_channel(records[0].conversation_id))
    if feed or any(r.type in QUEUE_EVENTS for r in records):
        svc.bus.publish(FEED_CHANNEL)
