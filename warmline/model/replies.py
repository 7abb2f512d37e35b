"""Replies grounded in the retrieved passages and the pack's procedure, or a clarifying question.

The reply never asks for a fact already in memory (``known_facts``): the procedure's ABCD action
buttons say which details an agent needs (e.g. ``validate-purchase`` needs username, email and
order id), and only the first missing ones are requested.
"""

from __future__ import annotations

import re
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
            "I'm sorry, that's outside what I can help with here. I can help with your "
            f"{pack.texts.brand} account, "
            "orders, shipping, refunds, subscriptions and our products.",
            "refuse",
        )
    if smalltalk and flow is None:
        return f"Hi! I'm the {pack.texts.brand} assistant. What can I help you with today?", "clarify"
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
    parts = [f"It sounds like {addressed(sub.description)}" if sub else "I can help with that."]
    steps = [STEP_TEXT[s.action] for s in pack.procedure(flow, subflow) if s.action in STEP_TEXT]
    steps = list(dict.fromkeys(steps))[:2]
    missing = missing_details(pack, flow, subflow, known_facts, account)
    if steps:
        parts.append("I can help with that: we'll " + " and then ".join(steps) + ".")
    if missing:
        parts.append("To get started, could you give me " + " and ".join(missing) + "?")
    elif known_facts or account:
        parts.append("I already have the details you gave us, so there's no need to repeat them.")
    return " ".join(parts), "answer"


# What the customer is told about each step of a procedure (the pack's guidelines are written for
# agents, so they are cited to the agent, never quoted to the customer).
STEP_TEXT = {
    "pull-up-account": "pull up your account",
    "verify-identity": "verify your identity",
    "validate-purchase": "confirm the purchase",
    "update-order": "update your order",
    "record-reason": "note the reason",
    "membership": "check your membership level",
    "enter-details": "enter the details",
    "shipping-status": "check the shipping status",
    "update-account": "update your account",
    "offer-refund": "set up the refund",
    "make-purchase": "place the order",
    "promo-code": "sort out the promo code",
    "notify-team": "let the right team know",
    "send-link": "send you a link",
    "log-out-in": "get you logged back in",
    "subscription-status": "check your subscription",
    "make-password": "set up a new password",
    "search-faq": "find the answer in our product guide",
}
THIRD_PERSON = {
    "wants": "want",
    "needs": "need",
    "has": "have",
    "is": "are",
    "was": "were",
    "asks": "ask",
    "believes": "believe",
    "thinks": "think",
    "does": "do",
    "would": "would",
    "received": "received",
    "sees": "see",
    "adds": "add",
    "complains": "complain",
    "tries": "try",
    "gets": "get",
    "keeps": "keep",
    "says": "say",
    "forgot": "forgot",
}


def addressed(description: str) -> str:
    """A pack description ("The customer forgot their password ...") turned to the customer
    ("you forgot your password ...")."""
    text = description.strip().rstrip(".")
    text = re.sub(r"\b[Tt]he customer's\b", "your", text)
    text = re.sub(r"\b[Tt]he customer\b", "you", text)
    text = re.sub(r"\btheir\b", "your", text)
    text = re.sub(r"\bthey\b", "you", text)
    text = re.sub(r"\bthem\b", "you", text)
    verbs = "|".join(THIRD_PERSON)
    text = re.sub(rf"\b(you|and|or) ({verbs})\b", lambda m: f"{m.group(1)} {THIRD_PERSON[m.group(2)]}", text)
    if not text.startswith("you "):
        text = "you have " + _lower_first(text)
    return text + "."


def _lower_first(text: str) -> str:
    text = text.strip()
    return (text[:1].lower() + text[1:]) if text else text


def _first_sentence(text: str) -> str:
    for stop in (". ", "? ", "! "):
        if stop in text:
            return text.split(stop, 1)[0] + stop.strip()
    return text if text.endswith((".", "?", "!")) else text + "."
