"""Replies grounded in the retrieved passages and the pack's procedure, or a clarifying question.

The reply never asks for a fact already in memory (``known_facts``): the procedure's ABCD action
buttons say which details an agent needs (e.g. ``validate-purchase`` needs username, email and
order id), and only the first missing ones are requested.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from warmline.model.analysis import Citation, Fact, FactKind, IntentScore
from warmline.packs import Pack

ReplyKind = Literal["answer", "clarify", "refuse"]

# What each ABCD action needs from the customer (alternatives: any one of the kinds is enough).
NEEDS: dict[str, list[tuple[FactKind, ...]]] = {
    "pull-up-account": [("name", "account_id")],
    "verify-identity": [("account_id", "name"), ("order_id",)],
    "validate-purchase": [("username",), ("email",), ("order_id",)],
    "enter-details": [("username", "email")],
    "make-password": [("pin",)],
    "record-reason": [],
}
ASK = {
    "name": "your full name",
    "account_id": "your account ID",
    "order_id": "the order ID",
    "username": "your username",
    "email": "the email address on the account",
    "pin": "your PIN or the answer to your security question",
}


def missing_details(pack: Pack, flow: str, subflow: str, known: Sequence[Fact], account: dict | None) -> list[str]:
    have = {f.kind for f in known}
    if account:
        have |= {"name", "account_id"}
    wanted: list[str] = []
    for step in pack.procedure(flow, subflow):
        for options in NEEDS.get(step.action, []):
            if not have.intersection(options) and ASK[options[0]] not in wanted:
                wanted.append(ASK[options[0]])
    return wanted[:2]


def compose_reply(
    pack: Pack,
    *,
    flow: str | None,
    subflow: str | None,
    confidence: float,
    out_of_scope: bool,
    smalltalk: bool,
    alternatives: Sequence[IntentScore],
    citations: Sequence[Citation],
    known_facts: Sequence[Fact],
    account: dict | None,
    clarify_below: float = 0.45,
) -> tuple[str, ReplyKind]:
    if out_of_scope:
        return (
            "I'm sorry, that's outside what I can help with here. I can help with your AcmeBrands account, "
            "orders, shipping, refunds, subscriptions and our products.",
            "refuse",
        )
    if smalltalk and flow is None:
        return "Hi! I'm the AcmeBrands assistant. What can I help you with today?", "clarify"
    if flow is None or subflow is None or confidence < clarify_below:
        options = [a for a in alternatives if a.confidence >= 0.1][:2]
        if len(options) == 2:
            first, second = (pack.subflow(a.flow, a.subflow) for a in options)
            if first and second:
                return (
                    f"Just to make sure I help with the right thing: is this about "
                    f"{_lower_first(first.description)} Or {_lower_first(second.description)}",
                    "clarify",
                )
        return "Could you tell me a little more about what you need help with?", "clarify"
    sub = pack.subflow(flow, subflow)
    topic = _lower_first(sub.description) if sub else subflow.replace("_", " ")
    parts = [f"I can help with that: {topic}"]
    grounded = [c for c in citations if c.score >= 0.25]
    if grounded:
        parts.append(f"Here is how we handle it ({grounded[0].title}): {_first_sentence(grounded[0].passage)}")
    missing = missing_details(pack, flow, subflow, known_facts, account)
    if missing:
        parts.append("To get started, could you give me " + " and ".join(missing) + "?")
    else:
        parts.append("I have the details I need on file, so let's continue.")
    return " ".join(parts), "answer"


def _lower_first(text: str) -> str:
    text = text.strip()
    return (text[:1].lower() + text[1:]) if text else text


def _first_sentence(text: str) -> str:
    for stop in (". ", "? ", "! "):
        if stop in text:
            return text.split(stop, 1)[0] + stop.strip()
    return text if text.endswith((".", "?", "!")) else text + "."
