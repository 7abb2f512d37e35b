"""Typed bodies of the bot's events: rows stored before the bodies were typed still load, and
what loads dumps back to the same JSON."""

from __future__ import annotations

from datetime import UTC, datetime

from tests import builders
from warmline.conversation.events import EventRecord, PayloadBuilt, PolicyDecided, Routed, TurnAnalysed
from warmline.handoff.schema import Payload
from warmline.model.analysis import TurnAnalysis
from warmline.policy.engine import RecordedDecision
from warmline.routing import Routing

AT = "2026-11-30T10:00:00+00:00"


def row(seq: int, type_: str, body: dict) -> dict:
    return {"conversation_id": "cv_1", "seq": seq, "type": type_, "version": 1, "actor": "bot", "at": AT, "body": body}


def test_stored_rows_load_as_typed_bodies_and_dump_back_unchanged() -> None:
    analysis = builders.analysis(2, flow="order_issue", subflow="status", confidence=0.9).model_dump(mode="json")
    routing = builders.routing("orders").model_dump(mode="json")
    payload = builders.payload("cv_1", team="orders", summary="Kim wants to know where order 1234 is.")
    stored = [
        row(3, "turn_analysed", {"message_seq": 2, "analysis": analysis}),
        row(5, "routed", {"routing": routing}),
        row(6, "payload_built", {"payload": payload.model_dump(mode="json")}),
    ]
    records = [EventRecord.from_dict(r) for r in stored]
    assert isinstance(records[0].event, TurnAnalysed) and isinstance(records[0].event.analysis, TurnAnalysis)
    assert isinstance(records[1].event, Routed) and isinstance(records[1].event.routing, Routing)
    assert isinstance(records[2].event, PayloadBuilt) and isinstance(records[2].event.payload, Payload)
    assert records[2].event.payload.routing.team == "orders"
    assert [r.to_dict() for r in records] == stored


def test_a_forced_decision_stored_without_inputs_loads() -> None:
    forced = {
        "outcome": "escalate",
        "trigger": "forced",
        "rule": "forced",
        "reason": "handoff forced by the evaluation",
        "policy_version": "demo-1",
        "mode": "live",
        "decided_at": AT,
    }
    record = EventRecord.from_dict(row(4, "policy_decided", {"message_seq": 2, "decision": forced}))
    assert isinstance(record.event, PolicyDecided)
    decision = record.event.decision
    assert isinstance(decision, RecordedDecision) and decision.escalates
    assert (decision.inputs, decision.decide_ms) == ({}, None)
    assert decision.decided_at == datetime(2026, 11, 30, 10, tzinfo=UTC)
    dumped = record.to_dict()["body"]["decision"]
    assert {k: dumped[k] for k in forced if k != "decided_at"} == {k: v for k, v in forced.items() if k != "decided_at"}
    assert datetime.fromisoformat(dumped["decided_at"]) == decision.decided_at
