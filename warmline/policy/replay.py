"""Replay a candidate policy over stored decisions, changing nothing.

Every stored ``policy_decided`` event recorded its :class:`PolicyInputs` and when it was made;
``replay`` re-runs :func:`decide` with the candidate policy on exactly those inputs at that time
and reports what would differ. Limits: a conversation that the candidate would have escalated
earlier would not have had its later bot turns; those later decisions are still replayed as
recorded (the report counts conversations, so the escalation rate is not inflated by them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from warmline.conversation.events import EventRecord, PolicyDecided
from warmline.policy.engine import PolicyInputs, decide
from warmline.policy.rules import Policy


class EventSource(Protocol):
    def conversation_ids(self, since: datetime | None = None, until: datetime | None = None) -> list[str]: ...

    def load_events(self, conversation_id: str, after_seq: int = 0, limit: int | None = None) -> list[EventRecord]: ...


def replay(
    store: EventSource, policy: Policy, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    conversations = decisions = 0
    escalated_before: set[str] = set()
    escalated_after: set[str] = set()
    versions: dict[str, int] = {}
    differing: list[dict[str, Any]] = []
    for conversation_id in store.conversation_ids(since, until):
        stored_decisions = [r for r in store.load_events(conversation_id) if isinstance(r.event, PolicyDecided)]
        if not stored_decisions:
            continue
        conversations += 1
        for record in stored_decisions:
            assert isinstance(record.event, PolicyDecided)
            stored: dict[str, Any] = record.event.decision.model_dump(mode="json")
            decisions += 1
            version = str(stored.get("policy_version"))
            versions[version] = versions.get(version, 0) + 1
            decided_at = stored.get("decided_at")
            when = datetime.fromisoformat(decided_at) if isinstance(decided_at, str) else record.at
            after = decide(policy, PolicyInputs.model_validate(stored["inputs"]), when)
            if stored.get("outcome") == "escalate":
                escalated_before.add(conversation_id)
            if after.outcome == "escalate":
                escalated_after.add(conversation_id)
            before = {k: stored.get(k) for k in ("outcome", "trigger", "mode")}
            now = {"outcome": after.outcome, "trigger": after.trigger, "mode": after.mode}
            if before != now:
                differing.append(
                    {
                        "conversation_id": conversation_id,
                        "seq": record.seq,
                        "message_seq": record.event.message_seq,
                        "before": before,
                        "after": {**now, "reason": after.reason},
                    }
                )
    return {
        "policy_version": policy.version,
        "policy_source": policy.source,
        "conversations": conversations,
        "decisions": decisions,
        "recorded_versions": versions,
        "differing": len(differing),
        "differences": differing,
        "escalation_rate_before": round(len(escalated_before) / conversations, 4) if conversations else None,
        "escalation_rate_after": round(len(escalated_after) / conversations, 4) if conversations else None,
    }
