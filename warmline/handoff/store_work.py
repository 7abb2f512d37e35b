"""What the bot already did in the store's systems, as the agent's summary and next action read it.

The payload's account section lists every event (``bot_activity``); the summary gets one clause
("verified the customer by name and email, looked up order AB40317") so the agent does not ask for
an order id the bot already found, and the next action counts the identity and purchase checks
the bot made as done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from warmline.conversation.events import EventRecord, IdentityVerified, StoreAction, StoreLookedUp

# Lookups that are not about one order, as the summary names them.
TOPIC_WORDS = {
    "membership": "their membership",
    "plus": "their Acme Plus subscription",
    "store_credit": "their store credit",
    "gift_card": "a gift card",
    "refund": "their refunds",
    "payment_methods": "their saved payment methods",
    "two_factor": "their sign-in security",
}
ACTION_WORDS = {
    "cancel_order": "cancelling",
    "change_address": "changing the address of",
    "start_return": "a return of",
    "send_2fa_code": "a sign-in code",
}
STATUS_WORDS = {"done": "done", "proposed": "proposed", "declined": "declined by the customer", "refused": "refused"}


@dataclass(frozen=True)
class StoreWork:
    verified_by: tuple[str, ...] = ()  # the details that matched the customer's record, if verified
    orders: tuple[str, ...] = ()  # orders looked up, in the order first looked at
    topics: tuple[str, ...] = ()  # other records looked at
    actions: tuple[StoreAction, ...] = ()  # each action's latest state

    @property
    def verified(self) -> bool:
        return bool(self.verified_by)

    def describe(self) -> str:
        """One clause for the summary, empty when the bot did nothing in the store's systems."""
        parts: list[str] = []
        if self.verified:
            parts.append("verified the customer by " + " and ".join(v.replace("_", " ") for v in self.verified_by))
        looked = [f"order {', '.join(self.orders)}"] if self.orders else []
        looked += [TOPIC_WORDS.get(t, t.replace("_", " ")) for t in self.topics]
        if looked:
            parts.append("looked up " + ", ".join(looked))
        for action in self.actions:
            what = ACTION_WORDS.get(action.action, action.action.replace("_", " "))
            target = f" order {action.order_id}" if action.order_id and action.action != "send_2fa_code" else ""
            parts.append(f"{what}{target}: {STATUS_WORDS.get(action.status, action.status)}")
        return ", ".join(parts)


def store_work(history: Sequence[EventRecord]) -> StoreWork:
    verified_by: tuple[str, ...] = ()
    orders: list[str] = []
    topics: list[str] = []
    actions: dict[tuple[str, str | None], StoreAction] = {}
    for record in history:
        event = record.event
        if isinstance(event, IdentityVerified):
            verified_by = tuple(event.by)
        elif isinstance(event, StoreLookedUp):
            if event.order_id:
                if event.order_id not in orders:
                    orders.append(event.order_id)
            elif event.topic not in topics:
                topics.append(event.topic)
        elif isinstance(event, StoreAction):
            actions[(event.action, event.order_id)] = event
    return StoreWork(verified_by, tuple(orders), tuple(topics), tuple(actions.values()))
