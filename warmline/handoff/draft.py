"""A draft first reply the agent can send as is: greets by name, acknowledges the need, shows the
known details back (so the customer sees nothing must be repeated), and asks only for what the
next procedure step still needs."""

from __future__ import annotations

from collections.abc import Sequence

from warmline.handoff.next_action import NextAction
from warmline.model.replies import ASK, NEEDS

SHOWN_KINDS = ("order_id", "account_id", "username", "email", "phone", "zip_code")
SHOWN_LABELS = {
    "order_id": "order",
    "account_id": "account",
    "username": "username",
    "email": "email",
    "phone": "phone number",
    "zip_code": "zip code",
}


def compose_draft(
    *,
    first_name: str | None,
    need: str | None,
    facts: Sequence[tuple[str, str]],
    next_action: NextAction | None,
    team: str,
) -> str:
    greeting = f"Hi {first_name}," if first_name else "Hi,"
    parts = [f"{greeting} thanks for waiting, I'm from the {team} team and I'll take it from here."]
    if need:
        parts.append(f"I can see {need}.")
    shown = []
    for kind in SHOWN_KINDS:
        value = next((v for k, v in facts if k == kind), None)
        if value:
            shown.append(f"{SHOWN_LABELS[kind]} {value}")
    if shown:
        pronoun = "it" if len(shown[:3]) == 1 else "them"
        parts.append("I have your " + _join(shown[:3]) + f" here, so there's no need to repeat {pronoun}.")
    known = {k for k, _ in facts}
    missing = []
    if next_action and next_action.step:
        for options in NEEDS.get(next_action.step, []):
            if not known.intersection(options) and ASK[options[0]] not in missing:
                missing.append(ASK[options[0]])
    if missing:
        parts.append("To finish this, could you give me " + _join(missing[:2]) + "?")
    else:
        parts.append("I'm looking into it now and will update you in a moment.")
    return " ".join(parts)


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


_VERBS = {
    "wants": "want",
    "needs": "need",
    "is": "are",
    "was": "were",
    "has": "have",
    "believes": "believe",
    "thinks": "think",
    "asks": "ask",
    "wonders": "wonder",
    "complains": "say",
    "checks": "are checking",
}


def second_person(description: str) -> str | None:
    """ "The customer forgot their username and needs it" -> "you forgot your username and need it";
    None when the description is not about the customer (then the draft does not restate it)."""
    import re

    text = description.strip().rstrip(".")
    if "customer" not in text.lower():
        return None
    text = re.sub(r"\b[Tt]he customer's\b", "your", text)

    def subject(match: re.Match[str]) -> str:
        verb = match.group(1)
        return "you " + _VERBS.get(verb, verb)

    text = re.sub(r"\b[Tt]he customer (\w+)", subject, text)
    text = re.sub(r"\b(and|or) (needs|wants|is|has|asks)\b", lambda m: f"{m.group(1)} {_VERBS[m.group(2)]}", text)
    text = re.sub(r"\btheir\b", "your", text)
    text = re.sub(r"\bthey\b", "you", text)
    text = re.sub(r"\bthem\b", "you", text)
    return text[:1].lower() + text[1:]
