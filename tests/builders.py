"""Typed event bodies for the tests' stand-in bots and hand-built logs: a complete analysis,
routing or payload from the few fields a test cares about (the rest as the product leaves them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from warmline.bot.context import no_analysis
from warmline.handoff.schema import Payload
from warmline.model.analysis import TurnAnalysis
from warmline.routing import Routing


def analysis(message_seq: int, **fields: Any) -> TurnAnalysis:
    return TurnAnalysis.model_validate({**no_analysis().model_dump(), "message_seq": message_seq, **fields})


def routing(team: str = "billing", **fields: Any) -> Routing:
    values: dict[str, Any] = {
        "team": team,
        "priority": 3,
        "sla_due_at": datetime.now(UTC) + timedelta(minutes=15),
        "reason": f"{team} owns this request",
        "rule": "test.rule",
        "rules_version": "test",
        **fields,
    }
    return Routing.model_validate(values)


def payload(conversation_id: str, *, team: str = "billing", cohort: str = "warm", **fields: Any) -> Payload:
    values: dict[str, Any] = {
        "cohort": cohort,
        "conversation_id": conversation_id,
        "built_at": datetime.now(UTC),
        "routing": routing(team),
        **fields,
    }
    return Payload.model_validate(values)
