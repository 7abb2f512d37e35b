"""What the bot verified, looked up and did in the store's systems, as the handoff payload shows it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from warmline.conversation.events import EventRecord, IdentityVerified, StoreAction, StoreLookedUp
from warmline.shop.backend import StoreBackend


def bot_activity(history: Sequence[EventRecord]) -> list[dict[str, Any]]:
    return [
        {"seq": r.seq, "type": r.type, **r.event.model_dump(mode="json")}
        for r in history
        if isinstance(r.event, (IdentityVerified, StoreLookedUp, StoreAction))
    ]


def account_with_activity(
    history: Sequence[EventRecord], account: dict[str, Any] | None, store: StoreBackend | None
) -> dict[str, Any] | None:
    """The account for the payload, with the bot's store activity; a customer verified in the
    chat (no account on the conversation) brings their store record."""
    activity = bot_activity(history)
    if not activity:
        return account
    if account is None and store is not None:
        verified = next((a["customer_id"] for a in activity if a["type"] == "identity_verified"), None)
        customer = store.customer(verified) if verified else None
        account = customer.account_record() if customer else None
    return {**(account or {}), "bot_activity": activity}
