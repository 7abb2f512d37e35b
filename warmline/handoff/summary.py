"""The payload summary: one scannable paragraph of at most 80 words.

Who, what they need, the key facts, what the bot already tried, why it escalated. Built only
from values in the transcript, the account and the pack's own labels (intent descriptions,
article titles, team names); nothing is invented. When it runs long, facts are dropped from the
end of the list first, then the paragraph is cut on a word boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_WORDS = 80
# Facts worth a place in the summary, most useful first; PINs never appear in prose.
SUMMARY_KINDS = (
    "order_id",
    "account_id",
    "username",
    "email",
    "phone",
    "zip_code",
    "address",
    "promo_code",
    "gift_card",
    "amount",
    "date",
    "received_via",
    "product",
    "size",
    "colour",
    "tried",
)
LABELS = {
    "order_id": "order",
    "account_id": "account",
    "username": "username",
    "email": "email",
    "phone": "phone",
    "zip_code": "zip",
    "address": "address",
    "amount": "amount",
    "date": "date",
    "product": "item",
    "promo_code": "code",
    "gift_card": "gift card",
    "received_via": "received by",
    "size": "size",
    "colour": "colour",
    "tried": "already tried:",
}


@dataclass(frozen=True)
class SummaryInput:
    who: str  # "Joseph Banter (gold member)" or "The customer"
    need: str | None  # intent description, e.g. "wants a refund ..."
    facts: Sequence[tuple[str, str]]  # (kind, value), in the order they were given
    bot_tried: str  # e.g. "The bot answered from 'Refund policy' and asked for the order ID."
    escalation: str  # e.g. "Escalated: the customer asked for a person; routed to billing."
    handback_note: str | None = None


def word_count(text: str) -> int:
    return len(text.split())


def compose_summary(data: SummaryInput, max_words: int = MAX_WORDS) -> str:
    facts = [(k, v) for k, v in data.facts if k in SUMMARY_KINDS]
    facts.sort(key=lambda kv: SUMMARY_KINDS.index(kv[0]))
    while True:
        text = _render(data, facts)
        if word_count(text) <= max_words or not facts:
            break
        facts = facts[:-1]
    if word_count(text) > max_words and data.handback_note:
        text = _render(SummaryInput(**{**data.__dict__, "handback_note": None}), facts)
    if word_count(text) > max_words:
        words = text.split()[:max_words]
        text = " ".join(words).rstrip(",;:") + "…"
    return text


def _render(data: SummaryInput, facts: Sequence[tuple[str, str]]) -> str:
    need = data.need or "needs help; the request is not yet clear"
    parts = [f"{data.who} {need}."]
    if facts:
        parts.append("Given: " + ", ".join(f"{LABELS[k]} {v}" for k, v in facts) + ".")
    if data.handback_note:
        parts.append(f"Earlier agent note: {data.handback_note}")
    if data.bot_tried:
        parts.append(data.bot_tried)
    parts.append(data.escalation)
    return " ".join(p.strip() for p in parts if p.strip())
