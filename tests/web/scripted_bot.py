"""A scripted bot that hands over with a full payload, for the browser tests.

A test double, not the product's bot (``warmline.bot.model_bot`` wires that): it answers every turn with a
fixed reply, and when the customer asks for a person it records a policy decision, a routing
decision, a payload with every section the agent workspace shows, a handoff notice for the
customer and the escalation itself, in that order, as the real pipeline does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from warmline.bot import BotDefaults, BotTurn
from warmline.conversation.events import (
    BOT,
    CUSTOMER,
    BotMessage,
    CustomerMessage,
    Escalated,
    PayloadBuilt,
    PolicyDecided,
    Routed,
)
from warmline.conversation.state import Status

ASKS_FOR_PERSON = re.compile(r"\b(person|human|agent|someone)\b", re.IGNORECASE)
ORDER = re.compile(r"#?\b(\d{4,})\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
AMOUNT = re.compile(r"[$€£]\s?\d+(?:[.,]\d{2})?")
POLICY_VERSION = "demo-3f9c2a1"

ANSWER = "I can help with orders, refunds and your account. What would you like to do?"


class DemoHandoffBot(BotDefaults):
    """Answers with a fixed reply; hands over to billing when asked for a person.

    ``available=False`` plays a queue with nobody online: the customer is offered a callback
    or an email answer instead of a live wait."""

    teams = ("billing", "orders", "fraud", "retention", "triage")

    def __init__(self, available: bool = True, wait_minutes: int = 3):
        self.available = available
        self.wait_minutes = wait_minutes

    def respond(self, turn: BotTurn) -> None:
        if turn.state.status != Status.BOT:
            return
        text = turn.message.event.text  # type: ignore[attr-defined]
        if not ASKS_FOR_PERSON.search(text):
            turn.append(BOT, BotMessage(text=ANSWER, in_reply_to=turn.message.seq))
            return
        self.hand_over(turn)

    def hand_over(self, turn: BotTurn) -> None:
        seq = turn.message.seq
        said = [
            (r.seq, r.event.text)
            for r in turn.history()
            if r.actor == CUSTOMER and isinstance(r.event, CustomerMessage)
        ]
        facts = key_facts(said)
        mode = "live" if self.available else "callback"
        due = datetime.now(UTC) + timedelta(minutes=15)
        routing = {
            "team": "billing",
            "priority": 2,
            "skills": ["refunds", "payments"],
            "sla_due_at": due.isoformat(),
            "reason": "refund request on a delivered order: billing owns refunds (rule billing.refund)",
            "rule": "billing.refund",
            "rules_version": "demo-routing",
        }
        decision = {
            "outcome": "escalate",
            "rule": "human_request",
            "reason": "the customer asked for a person",
            "policy_version": POLICY_VERSION,
            "mode": mode,
            "decided_at": datetime.now(UTC).isoformat(),
            "inputs": {"intent": "refund", "confidence": 0.62, "frustration": 0.4},
            "model_recommendation": {"escalate": True},
        }
        order = next((f["value"] for f in facts if f["kind"] == "order_id"), None)
        payload = {
            "version": 1,
            "cohort": "warm",
            "conversation_id": turn.state.id,
            "built_at": datetime.now(UTC).isoformat(),
            "summary": (
                f"{turn.state.customer_name or 'The customer'} wants a refund"
                + (f" for order {order}" if order else "")
                + ", which arrived damaged. The bot shared the refund policy; the customer asked for a "
                "person, so it escalated to billing."
            ),
            "intent": {"flow": "refund", "subflow": "damaged_item", "confidence": 0.62},
            "key_facts": facts,
            "draft": {
                "id": f"draft-{turn.state.id}-{seq}",
                "text": (
                    "Hi, thanks for your patience. I'm sorry the item arrived damaged"
                    + (f" (order {order})" if order else "")
                    + ". I've started a full refund to your original payment method; you'll see it "
                    "within 3-5 business days."
                ),
            },
            "next_action": {
                "action": "Issue a refund for the damaged item",
                "reasoning": "Refund procedure step 3: damage is reported and the order is delivered; "
                "photo evidence is not required under $100.",
            },
            "citations": [
                {
                    "article_id": "kb-refunds-204",
                    "title": "Refunds for damaged items",
                    "passage": "Items that arrive damaged are refunded in full to the original payment method.",
                    "score": 0.82,
                },
                {
                    "article_id": "kb-refunds-118",
                    "title": "Refund timing",
                    "passage": "Refunds reach the customer's account within 3-5 business days.",
                    "score": 0.71,
                },
            ],
            "routing": routing,
            "account": {"plan": "Plus", "customer_since": "2021-04", "orders": 14},
        }
        turn.append(BOT, PolicyDecided(message_seq=seq, decision=decision))
        turn.append(BOT, Routed(routing=routing))
        turn.append(BOT, PayloadBuilt(payload=payload))
        if self.available:
            notice = (
                f"I'm connecting you with a person from our billing team. The expected wait is about "
                f"{self.wait_minutes} minutes; they'll see everything you've told me, so you won't need to repeat it."
            )
        else:
            notice = (
                "No one from our billing team is available right now. We can call you back, or answer by "
                "email (a ticket): reply with a phone number or an email address. Everything you've told "
                "me is kept, so you won't need to repeat it."
            )
        turn.append(BOT, BotMessage(text=notice, kind="handoff_notice", in_reply_to=seq))
        turn.append(
            BOT,
            Escalated(
                team="billing",
                trigger="human_request",
                reason="the customer asked for a person",
                priority=2,
                sla_due_at=due,
                mode=mode,
            ),
        )


def key_facts(said: list[tuple[int, str]]) -> list[dict[str, object]]:
    facts: list[dict[str, object]] = []
    seen: set[tuple[str, str]] = set()
    for seq, text in said:
        for kind, pattern in (("order_id", ORDER), ("email", EMAIL), ("amount", AMOUNT)):
            for match in pattern.finditer(text):
                value = match.group(1) if kind == "order_id" else match.group(0)
                if (kind, value) not in seen:
                    seen.add((kind, value))
                    facts.append({"kind": kind, "value": value, "source_seq": seq})
        if re.search(r"\bdamaged|broken\b", text, re.IGNORECASE) and ("issue", "damaged item") not in seen:
            seen.add(("issue", "damaged item"))
            facts.append({"kind": "issue", "value": "damaged item", "source_seq": seq})
    return facts
