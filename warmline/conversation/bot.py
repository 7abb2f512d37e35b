"""The ``Bot`` interface: given a customer turn and the whole shared memory, say which events
the bot adds (an analysis, a policy decision, a reply, or an escalation)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from warmline.conversation.events import BOT, BotMessage, EventBody, EventRecord
from warmline.conversation.state import ConversationState


@dataclass
class BotTurn:
    state: ConversationState  # after the customer message was appended
    message: EventRecord  # the customer message being answered
    load_history: Callable[[], list[EventRecord]] = field(repr=False)
    load_account: Callable[[], dict[str, Any] | None] = field(repr=False)

    @cached_property
    def history(self) -> list[EventRecord]:
        """Every event so far, the message included; read only if the bot asks for it."""
        return self.load_history()

    @cached_property
    def account(self) -> dict[str, Any] | None:
        return self.load_account()


class Bot(Protocol):
    def respond(self, turn: BotTurn) -> list[tuple[str, EventBody]]:
        """Events to append after the customer's message, as (actor, body) pairs, in order."""
        ...


class PlaceholderBot:
    """Acknowledges every message without understanding it. Used where no model is configured
    (tests of the storage and API layers); the product wires ``warmline.pipeline.ModelBot``."""

    TEXT = "Thanks, I have your message. (Placeholder reply: no model is configured.)"

    def respond(self, turn: BotTurn) -> list[tuple[str, EventBody]]:
        return [(BOT, BotMessage(text=self.TEXT, kind="placeholder", in_reply_to=turn.message.seq))]
