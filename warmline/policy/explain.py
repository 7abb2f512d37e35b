"""Explain a conversation's escalation decisions from its event log (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from warmline.conversation.events import CustomerMessage, EventRecord, PolicyDecided

KEY_INPUTS = (
    "customer_turns",
    "bot_replies",
    "same_need_turns",
    "consecutive_oos_turns",
    "turns_since_handback",
    "escalations_before",
    "has_phone",
)
KEY_ANALYSIS = ("flow", "subflow", "confidence", "out_of_scope", "oos_score", "human_request", "frustration")


def explain_events(events: Sequence[EventRecord]) -> list[dict[str, Any]]:
    """One row per ``policy_decided`` event: the turn, what the customer said, the outcome, the
    rule that fired, why, the key inputs, what was held back and the policy version."""
    texts = {r.seq: r.event.text for r in events if isinstance(r.event, CustomerMessage)}
    rows: list[dict[str, Any]] = []
    for record in events:
        if not isinstance(record.event, PolicyDecided):
            continue
        decision: dict[str, Any] = record.event.decision.model_dump(mode="json")
        seq = record.event.message_seq
        inputs = decision.get("inputs", {})
        analysis = inputs.get("analysis", {})
        rows.append(
            {
                "seq": record.seq,
                "message_seq": seq,
                "turn": sum(1 for s in texts if s <= seq),
                "customer_text": texts.get(seq, ""),
                "outcome": decision.get("outcome"),
                "trigger": decision.get("trigger"),
                "rule": decision.get("rule"),
                "mode": decision.get("mode"),
                "reason": decision.get("reason"),
                "inputs": {
                    "team": inputs.get("team"),
                    **{k: analysis.get(k) for k in KEY_ANALYSIS},
                    "frustration_cues": analysis.get("frustration_cues", []),
                    **{k: inputs.get(k) for k in KEY_INPUTS},
                },
                "held_back": decision.get("held_back", []),
                "model_recommendation": decision.get("model_recommendation", {}),
                "policy_version": decision.get("policy_version"),
                "decided_at": decision.get("decided_at"),
            }
        )
    return rows
