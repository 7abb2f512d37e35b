"""Read-only audit queries for the lead view: escalation decisions, routing outcomes, handoffs
and transfers, read straight from the event log (SQLAlchemy Core over ``events``).

Nothing here writes. Each row is flattened from the event's typed body into the few columns a
support lead scans (team, outcome, rule, reason, policy or rules version) and keeps the stored
body beside them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, or_, select

from warmline.conversation.events import Escalated, EventBody, PolicyDecided, Routed, Transferred, parse_body
from warmline.storage.sql.schema import conversations, events

AUDIT_TYPES = ("policy_decided", "routed", "escalated", "transferred")
# Rows scanned at most per request when a filter can only be applied after decoding the body.
MAX_SCAN = 5000


@dataclass(frozen=True)
class AuditFilter:
    types: tuple[str, ...] = AUDIT_TYPES
    team: str | None = None
    conversation_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outcome: str | None = None
    limit: int = 100


def flatten(body: EventBody) -> dict[str, Any]:
    """The lead's columns for one audit event, read from its typed body."""
    if isinstance(body, PolicyDecided):
        decision = body.decision
        return {
            "team": None,
            "outcome": decision.outcome,
            "rule": decision.rule or decision.trigger,
            "reason": decision.reason or None,
            "policy_version": decision.policy_version,
            "message_seq": body.message_seq,
        }
    if isinstance(body, Routed):
        routing = body.routing
        return {
            "team": routing.team,
            "outcome": f"to {routing.team}",
            "rule": routing.rule,
            "reason": routing.reason,
            "policy_version": routing.rules_version,
            "priority": routing.priority,
            "skills": routing.skills,
        }
    if isinstance(body, Escalated):
        return {
            "team": body.team,
            "outcome": body.mode,
            "rule": body.trigger,
            "reason": body.reason,
            "policy_version": None,
            "priority": body.priority,
            "cohort": body.cohort,
        }
    if isinstance(body, Transferred):
        return {
            "team": body.to_team,
            "from_team": body.from_team,
            "outcome": f"{body.from_team} → {body.to_team}",
            "rule": None,
            "reason": body.reason,
            "policy_version": None,
            "agent_id": body.agent_id,
        }
    return {}


def _keep(row: dict[str, Any], wanted: AuditFilter) -> bool:
    if wanted.team and wanted.team not in (row.get("team"), row.get("from_team"), row.get("conversation_team")):
        return False
    if wanted.outcome and wanted.outcome.lower() not in str(row.get("outcome") or "").lower():
        return False
    return True


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def audit_events(engine: Engine, wanted: AuditFilter) -> list[dict[str, Any]]:
    """Audit events matching ``wanted``, newest first."""
    types = [t for t in wanted.types if t in AUDIT_TYPES] or list(AUDIT_TYPES)
    query = (
        select(
            events.c.conversation_id,
            events.c.seq,
            events.c.type,
            events.c.version,
            events.c.actor,
            events.c.created_at,
            events.c.body,
            conversations.c.team.label("conversation_team"),
            conversations.c.status.label("conversation_status"),
        )
        .join(conversations, conversations.c.id == events.c.conversation_id)
        .where(events.c.type.in_(types))
        .order_by(events.c.created_at.desc(), events.c.id.desc())
    )
    if wanted.conversation_id:
        query = query.where(events.c.conversation_id == wanted.conversation_id)
    if wanted.since is not None:
        query = query.where(events.c.created_at >= wanted.since)
    if wanted.until is not None:
        query = query.where(events.c.created_at < wanted.until)
    if wanted.team:
        # A cheap pre-filter; the exact team match happens on the decoded body.
        query = query.where(or_(conversations.c.team == wanted.team, events.c.body.contains(wanted.team)))
    rows: list[dict[str, Any]] = []
    with engine.connect() as connection:
        for r in connection.execute(query.limit(MAX_SCAN)):
            body = json.loads(r.body)
            typed = parse_body(r.type, r.version, body)
            row = {
                "conversation_id": r.conversation_id,
                "seq": r.seq,
                "type": r.type,
                "actor": r.actor,
                "at": _utc(r.created_at).isoformat(),
                "conversation_team": r.conversation_team,
                "conversation_status": r.conversation_status,
                **flatten(typed),
                "body": body,
            }
            if _keep(row, wanted):
                rows.append(row)
                if len(rows) >= wanted.limit:
                    break
    return rows


def audit_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts a lead scans first: escalations by rule, routing by team, transfers by route."""
    escalations = Counter(r.get("rule") or "?" for r in rows if r["type"] == "escalated")
    modes = Counter(r.get("outcome") or "?" for r in rows if r["type"] == "escalated")
    routed = Counter(r.get("team") or "?" for r in rows if r["type"] == "routed")
    transfers = Counter(r.get("outcome") or "?" for r in rows if r["type"] == "transferred")
    decisions = [r for r in rows if r["type"] == "policy_decided"]
    versions = Counter(r["policy_version"] for r in decisions if r.get("policy_version"))
    return {
        "events": len(rows),
        "escalations_by_rule": dict(escalations.most_common()),
        "escalations_by_mode": dict(modes.most_common()),
        "routed_by_team": dict(routed.most_common()),
        "transfers": dict(transfers.most_common()),
        "policy_versions": dict(versions.most_common()),
    }
