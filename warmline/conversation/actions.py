"""The only code that changes a conversation: the writing core (``apply_change``) and the
conversation's own actions (start, customer and agent turns, notes, closing, the survey).

Each ``do_*`` validates (``check_*``), appends events through the store's locked writer,
commits, then wakes the live streams. Routes, the CLI, channels and integrations call these;
none of them writes to storage directly. The handoff and the queue (claim, transfer, resolve,
hand back) are ``warmline.queue.actions``; staff and presence are ``warmline.staffing``."""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import Levenshtein

from warmline.access import check_agent, check_holder, check_may_work
from warmline.auth import Principal, customer_token, signed_account
from warmline.bot import Bot, BotTurn, PreparedTurn
from warmline.bus.base import FEED_CHANNEL, Bus, conversation_channel
from warmline.config import Settings
from warmline.conversation import views
from warmline.conversation.events import (
    CUSTOMER,
    AgentMessage,
    Closed,
    ConversationStarted,
    CustomerMessage,
    EventRecord,
    NoteAdded,
    SurveyAnswered,
)
from warmline.conversation.state import HUMAN, ConversationState
from warmline.errors import AuthError, InvalidInput, MessageTooLarge, WarmlineError
from warmline.privacy.redaction import redact
from warmline.storage.sql.store import QUEUE_EVENTS, IdempotencyClaim, SqlStore, Writer

log = logging.getLogger("warmline.actions")

# Line breaks and tabs are text; every other control character (Unicode category Cc: U+0000-U+001F
# and U+007F-U+009F) is refused.
TEAM_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass
class Services:
    """What actions need, built once by ``create_app`` (or the CLI) and passed in."""

    settings: Settings
    store: SqlStore
    bus: Bus
    bot: Bot
    # Threads that run actions for the async API: on PostgreSQL all of them (it locks per
    # conversation); on SQLite, which has one writer at a time, only those that find the writer
    # taken (the event loop runs the others itself, see ``warmline.api.deps.run_action``).
    writers: ThreadPoolExecutor = field(init=False)
    # Called inside each change before it commits, e.g. to queue outbound desk calls.
    before_commit: list[Callable[[Writer], None]] = field(default_factory=list)
    # Called after each committed change (metrics counters, waking the desk dispatcher).
    on_commit: list[Callable[[Outcome], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.writers = ThreadPoolExecutor(1 if not self.store.postgres else 16, thread_name_prefix="warmline-writer")

    def teams(self) -> frozenset[str]:
        """The teams conversations can be routed to (empty: any well-formed name)."""
        return frozenset(self.bot.teams)

    def close(self) -> None:
        self.writers.shutdown(wait=True)
        self.bus.close()
        self.store.close()


@dataclass(frozen=True)
class Outcome:
    """What an action appended and the conversation's state right after."""

    events: list[EventRecord]
    state: ConversationState
    replayed: bool = False
    deliveries: int = 0  # outbox items queued in the same transaction (desks, bot webhooks)


@dataclass(frozen=True)
class Started:
    conversation_id: str
    customer_token: str
    events: list[EventRecord]
    state: ConversationState
    replayed: bool


def new_conversation_id() -> str:
    return "cv_" + secrets.token_hex(10)


def check_text(text: str, settings: Settings, field: str = "text") -> str:
    """A message as it will be analysed and stored: what was sent, once it is known to be
    acceptable, with card numbers and one-time codes masked (``warmline.privacy.redaction``)."""
    if not text.strip():
        raise InvalidInput(f"{field} must not be empty", code="empty_message", details={"field": field})
    size = len(text.encode("utf-8"))
    if size > settings.max_message_bytes:
        raise MessageTooLarge(
            f"{field} is {size} bytes; the limit is {settings.max_message_bytes}",
            details={"field": field, "limit": settings.max_message_bytes},
        )
    found = CONTROL_CHARACTER.search(text)
    if found is not None:
        bad = found.group()
        raise InvalidInput(
            f"{field} contains a control character (U+{ord(bad):04X})",
            code="control_character",
            details={"field": field},
        )
    return redact(text)


def check_name(value: str | None, field: str, limit: int = 120) -> str | None:
    if value is None:
        return None
    if not value.strip() or len(value) > limit or any(unicodedata.category(c) == "Cc" for c in value):
        raise InvalidInput(f"{field} must be 1-{limit} printable characters", details={"field": field})
    return value.strip()


def check_team(svc: Services, team: str) -> str:
    known = svc.teams()
    if not TEAM_NAME.match(team) or (known and team not in known):
        raise InvalidInput(f"unknown team {team!r}", code="unknown_team", details={"teams": sorted(known)})
    return team


def check_note(note: str, svc: Services, field: str = "note") -> str:
    note = check_text(note, svc.settings, field=field)
    if len(note) > 2000:
        raise InvalidInput(f"{field} must be at most 2000 characters", code="note_too_long")
    return note


def check_signed_in(svc: Services, account_id: str | None, account_signature: str | None) -> bool:
    """A chat started with the store's signature of its account is signed in; a signature that
    does not match (or no secret to check it with) is refused, never quietly ignored."""
    if account_signature is None:
        return False
    if account_id is None:
        raise InvalidInput(
            "account_signature needs account_id", code="invalid_request", details={"field": "account_id"}
        )
    secret = svc.settings.account_signing_secret
    if not signed_account(secret.get_secret_value() if secret else None, account_id, account_signature):
        raise AuthError("the account signature does not match this account", code="bad_account_signature")
    return True


def do_start_conversation(
    svc: Services,
    *,
    channel: str = "web",
    customer_name: str | None = None,
    account_id: str | None = None,
    account_signature: str | None = None,
    signed_in: bool = False,
    locale: str | None = None,
    idempotency: IdempotencyClaim | None = None,
    desk_conversation_id: str | None = None,
) -> Started:
    """Start a chat. ``signed_in`` is for callers inside the process that know the customer (an
    evaluation playing a signed-in customer); over HTTP only the store's ``account_signature`` says so."""
    customer_name = check_name(customer_name, "customer_name")
    if account_id is not None and svc.store.get_account(account_id) is None:
        raise InvalidInput(f"no account {account_id!r}", code="unknown_account", details={"field": "account_id"})
    signed_in = check_signed_in(svc, account_id, account_signature) or (signed_in and account_id is not None)
    body = ConversationStarted(
        channel=channel,
        customer_name=customer_name,
        account_id=account_id,
        signed_in=signed_in,
        locale=locale,
        desk_conversation_id=desk_conversation_id,
    )
    records, state, replayed = svc.store.create(new_conversation_id(), CUSTOMER, body, idempotency)
    if not replayed:
        svc.store.after_commit(lambda: _wake(svc, records, feed=False))
    token = customer_token(svc.store.token_secret(), state.id)
    return Started(state.id, token, records, state, replayed)


def prepare_customer_message(svc: Services, conversation_id: str, text: str) -> PreparedTurn | None:
    """Let the bot do its lock-free work on a customer turn before the write (the model's
    analysis, read from the committed log). Optional: the write is correct without it."""
    try:
        return svc.bot.prepare(conversation_id, check_text(text, svc.settings))
    except WarmlineError:
        return None  # the write reports unknown conversations and bad input with its own error


def do_post_customer_message(
    svc: Services,
    conversation_id: str,
    text: str,
    idempotency: IdempotencyClaim | None = None,
    prepared: PreparedTurn | None = None,
) -> Outcome:
    """Append the customer's turn and let the bot see it in the same transaction: while the bot
    owns the conversation it answers or hands off; while a person does, the bot only analyses
    (the lifecycle refuses a bot reply then: no double replies)."""
    text = check_text(text, svc.settings)

    def post(writer: Writer) -> None:
        # The bot's preparation counts unless a person moved the log since it read it (see
        # ``PreparedTurn``): then the model's work is not redone here, under the lock. What it read
        # (the committed log, the account) serves this write, which reads only what came after.
        fresh = None
        if prepared is not None:
            moved = writer.adopt_history(prepared.history)
            fresh = prepared if moved is not None and prepared.fits(text, moved) else None
        message = writer.append(CUSTOMER, CustomerMessage(text=text))
        account_id = writer.state.account_id

        def load_account() -> dict[str, Any] | None:
            if fresh is not None:
                return fresh.account
            return svc.store.get_account(account_id) if account_id else None

        svc.bot.respond(BotTurn(writer, message, load_account=load_account, prepared=fresh))

    return apply_change(svc, conversation_id, idempotency, post)


def do_close(
    svc: Services, conversation_id: str, actor: str, reason: str, idempotency: IdempotencyClaim | None = None
) -> Outcome:
    return apply_change(svc, conversation_id, idempotency, lambda w: w.append(actor, Closed(reason=reason)))


def do_agent_message(
    svc: Services,
    conversation_id: str,
    caller: Principal,
    text: str,
    draft_id: str | None = None,
    idem: IdempotencyClaim | None = None,
) -> Outcome:
    """The agent writes to the customer; sending (an edit of) the payload's draft records draft
    usage with the normalised edit distance between the draft and what was sent."""
    text = check_text(text, svc.settings)

    def send(writer: Writer) -> None:
        check_holder(writer, caller)
        distance = None
        if draft_id is not None:
            draft = views.find_draft(writer.history(), draft_id)
            if draft is None:
                raise InvalidInput(f"no draft {draft_id!r} was shown for this conversation", code="unknown_draft")
            distance = round(Levenshtein.normalized_distance(draft, text), 4)
        agent_id = writer.state.agent_id or caller.id
        writer.append(
            caller.actor, AgentMessage(agent_id=agent_id, text=text, draft_id=draft_id, draft_distance=distance)
        )

    return apply_change(svc, conversation_id, idem, send)


def do_add_note(
    svc: Services, conversation_id: str, caller: Principal, text: str, idem: IdempotencyClaim | None = None
) -> Outcome:
    """An internal note: agents and the bot see it, the customer never does."""
    check_agent(caller)
    text = check_note(text, svc)

    def note(writer: Writer) -> None:
        check_may_work(writer, caller)
        writer.append(caller.actor, NoteAdded(author=caller.id, text=text))

    return apply_change(svc, conversation_id, idem, note)


def do_staff_close(
    svc: Services, conversation_id: str, caller: Principal, reason: str, idem: IdempotencyClaim | None = None
) -> Outcome:
    """Staff end a conversation without the customer: the holder, the waiting team's agents, or a
    lead or admin (a customer closes their own chat with ``do_close``)."""

    def close(writer: Writer) -> None:
        check_may_work(writer, caller)
        writer.append(caller.actor, Closed(reason=reason, agent_id=writer.state.agent_id))

    return apply_change(svc, conversation_id, idem, close)


def do_answer_survey(
    svc: Services, conversation_id: str, score: int, comment: str, idempotency: IdempotencyClaim | None = None
) -> Outcome:
    if comment:
        check_text(comment, svc.settings, field="comment")
    survey = SurveyAnswered(score=score, comment=comment)
    return apply_change(svc, conversation_id, idempotency, lambda w: w.append(CUSTOMER, survey))


def apply_change(
    svc: Services,
    conversation_id: str,
    idempotency: IdempotencyClaim | None,
    change: Callable[[Writer], object],
) -> Outcome:
    """Run ``change`` on the locked conversation, commit, then wake the streams (once the write
    is committed: with its group, if the loop runs it in one). A retried request (same
    Idempotency-Key) gets the first outcome and changes nothing."""
    with svc.store.write(conversation_id, idempotency) as writer:
        if writer.replay is not None:
            return Outcome(writer.replay, writer.state, replayed=True)
        change(writer)
        for hook in svc.before_commit:
            hook(writer)
        outcome = Outcome(list(writer.pending), writer.state, deliveries=len(writer.outbox))
    svc.store.after_commit(lambda: _committed(svc, outcome))
    return outcome


def _committed(svc: Services, outcome: Outcome) -> None:
    """After the commit: each step may fail alone (logged) without undoing the write or
    skipping the others; streams re-read the log on their own (see ``warmline.bus``)."""
    _wake(svc, outcome.events, feed=outcome.state.status in HUMAN)
    for hook in svc.on_commit:
        try:
            hook(outcome)
        except Exception:
            log.exception("an after-commit hook failed; the write itself is stored")


def _wake(svc: Services, records: list[EventRecord], *, feed: bool) -> None:
    if not records:
        return
    channels = [conversation_channel(records[0].conversation_id)]
    if feed or any(r.type in QUEUE_EVENTS for r in records):
        channels.append(FEED_CHANNEL)
    for channel in channels:
        try:
            svc.bus.publish(channel)
        except Exception as error:  # the bus is down: streams fall back to polling the log
            log.warning("could not wake %s on the bus (%s); the write itself is stored", channel, error)
