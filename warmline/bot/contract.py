"""The ``Bot`` contract: every ability the conversation core calls, and the turn it is given.

Given a customer turn and the whole shared memory, a bot appends its events (an analysis, a policy
decision, a reply, or a handoff) through the locked writer. The core never probes a bot for an
ability: a bot that has nothing to do for one inherits the no-op from :class:`BotDefaults`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from warmline.conversation.events import BOT, CUSTOMER, SYSTEM, BotMessage, EventBody, EventRecord, actor_kind
from warmline.conversation.state import ConversationState, Status
from warmline.model.analysis import TurnAnalysis

if TYPE_CHECKING:
    from warmline.storage.sql.store import Writer

# Who may have moved the log without undoing a prepared analysis: the customer and the bot itself.
UNATTENDED = frozenset({CUSTOMER, BOT, SYSTEM})

# What the customer reads when an agent hands back to a bot that has nothing more specific to say.
RESUME_TEXT = (
    "You're back with the assistant, and I have everything from your conversation so far. "
    "Is there anything else I can help you with?"
)


@dataclass(frozen=True)
class PreparedTurn:
    """A bot's lock-free work on the next customer message, read from the committed log.

    The core passes it to ``respond`` while it still fits: the message is the one prepared for,
    and the log has moved since (``after_seq`` is the last event the analysis saw) by nothing a
    person did. Turns the customer posted meanwhile (another tab, a double send, other clients of
    a bot platform) and the bot's work on them do not undo it: the customer wrote this message
    without seeing their answers, so the log the analysis read is the one the message answers.
    An agent's turn, a note, a claim or a handback does (rare: the write then analyses again).
    The committed ``history`` and the ``account`` serve the locked write too, so a message reads
    them once."""

    after_seq: int  # the last event the analysis saw
    text: str
    analysis: TurnAnalysis
    history: list[EventRecord] = field(default_factory=list, repr=False)
    account: dict[str, Any] | None = field(default=None, repr=False)

    def fits(self, text: str, moved: list[EventRecord]) -> bool:
        """Whether the analysis holds for ``text`` after the events ``moved`` committed since."""
        return text == self.text and all(actor_kind(r.actor) in UNATTENDED for r in moved)

    def analysis_of(self, message_seq: int) -> TurnAnalysis:
        """The analysis, placed at the message's seq (later than expected when the log moved)."""
        if message_seq == self.analysis.message_seq:
            return self.analysis
        expected = self.analysis.message_seq
        facts = [
            f.model_copy(update={"source_seq": message_seq}) if f.source_seq == expected else f
            for f in self.analysis.facts
        ]
        return self.analysis.model_copy(update={"message_seq": message_seq, "facts": facts})


@dataclass
class BotTurn:
    """One customer turn, seen from inside the conversation's transaction."""

    writer: Writer
    message: EventRecord  # the customer message being answered
    load_account: Callable[[], dict[str, Any] | None] = field(repr=False)
    # The bot's ``prepare`` result, only when it still fits this message (see actions).
    prepared: PreparedTurn | None = field(default=None, repr=False)

    @property
    def state(self) -> ConversationState:
        return self.writer.state

    def history(self) -> list[EventRecord]:
        """Every event so far, including the message and anything the bot appended."""
        return self.writer.history()

    def append(self, actor: str, body: EventBody) -> EventRecord:
        return self.writer.append(actor, body)

    @cached_property
    def account(self) -> dict[str, Any] | None:
        return self.load_account()


class Bot(Protocol):
    """What the conversation core asks of a bot."""

    @property
    def teams(self) -> Collection[str]:
        """The teams conversations can be routed to (empty: any well-formed name)."""
        ...

    def prepare(self, conversation_id: str, text: str) -> PreparedTurn | None:
        """Work on the next customer message that needs no lock (the model's analysis), or None."""
        ...

    def respond(self, turn: BotTurn) -> None:
        """Called for every customer message. The bot may always analyse it; it may reply or hand
        off only while it owns the conversation (``turn.state.status`` is BOT)."""
        ...

    def hand_off_now(self, writer: Writer, reason: str) -> None:
        """Escalate at this point whatever the policy would say (evaluations, an admin's push)."""
        ...

    def after_transfer(self, writer: Writer, to_team: str, reason: str) -> list[tuple[str, EventBody]]:
        """Events to append after an agent moved the conversation to ``to_team``."""
        ...

    def resume_text(self, writer: Writer) -> str:
        """What the customer reads when the agent hands the conversation back."""
        ...


class BotDefaults:
    """The abilities a bot without routing, payloads or lock-free work has: none of them act."""

    teams: Collection[str] = frozenset()

    def prepare(self, conversation_id: str, text: str) -> PreparedTurn | None:
        return None

    def hand_off_now(self, writer: Writer, reason: str) -> None:
        return None  # nothing to route to: the conversation stays as it is

    def after_transfer(self, writer: Writer, to_team: str, reason: str) -> list[tuple[str, EventBody]]:
        return []

    def resume_text(self, writer: Writer) -> str:
        return RESUME_TEXT


class PlaceholderBot(BotDefaults):
    """Acknowledges every message without understanding it. Used where no model is configured
    (tests of the storage and API layers); the product wires ``warmline.bot.model_bot.ModelBot``."""

    TEXT = "Thanks, I have your message. (Placeholder reply: no model is configured.)"

    def respond(self, turn: BotTurn) -> None:
        if turn.state.status == Status.BOT:
            turn.append(BOT, BotMessage(text=self.TEXT, kind="placeholder", in_reply_to=turn.message.seq))
