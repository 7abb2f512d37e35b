"""The ``Bot`` interface: given a customer turn and the whole shared memory, the bot appends
its events (an analysis, a policy decision, a reply, or a handoff) through the locked writer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from warmline.conversation.events import BOT, BotMessage, EventBody, EventRecord
from warmline.conversation.state import ConversationState, Status

if TYPE_CHECKING:
    from warmline.storage.sql.store import Writer


@dataclass
class BotTurn:
    """One customer turn, seen from inside the conversation's transaction."""

    writer: Writer
    message: EventRecord  # the customer message being answered
    load_account: Callable[[], dict[str, Any] | None] = field(repr=False)
    # What the bot's ``prepare`` computed before the lock, if anything (see actions).
    prepared: object | None = field(default=None, repr=False)

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
    def respond(self, turn: BotTurn) -> None:
        """Called for every customer message. The bot may always analyse it; it may reply or hand
        off only while it owns the conversation (``turn.state.status`` is BOT)."""
        ...


class PlaceholderBot:
    """Acknowledges every message without understanding it. Used where no model is configured
    (tests of the storage and API layers); the product wires ``warmline.pipeline.ModelBot``."""

    TEXT = "Thanks, I have your message. (Placeholder reply: no model is configured.)"

    def respond(self, turn: BotTurn) -> None:
        if turn.state.status == Status.BOT:
            turn.append(BOT, BotMessage(text=self.TEXT, kind="placeholder", in_reply_to=turn.message.seq))
