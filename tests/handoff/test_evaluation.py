from __future__ import annotations

import json
from typing import Any

from tests.handoff.conftest import Log
from warmline.handoff.evaluation import (
    account_from_record,
    aggregate,
    expected_next_step,
    handoff_point,
    load_conversations,
    score_conversation,
)

RECORD: dict[str, Any] = {
    "id": "T-1",
    "customer_id": "jdoe12",
    "customer_record": {
        "customer_name": "jane doe",
        "username": "jdoe12",
        "email": "jdoe12@email.com",
        "phone": "(555) 010-2233",
        "member_level": "gold",
        "address": {"street": "1 main st", "zip_code": "12345"},
        "order": {"order_id": "1234567890"},
    },
    "turns": [
        {"n": 1, "speaker": "customer", "text": "I want a refund"},
        {"n": 2, "speaker": "agent", "text": "Name please?"},
        {"n": 3, "speaker": "customer", "text": "Jane Doe"},
        {"n": 4, "speaker": "system_action", "text": "Account has been pulled up for Jane Doe."},
        {"n": 5, "speaker": "customer", "text": "order 1234567890, phone 555 010 2233"},
        {"n": 6, "speaker": "system_action", "text": "Purchase validated."},
        {"n": 7, "speaker": "customer", "text": "my email is jdoe12@email.com"},
    ],
    "source_fields": {
        "flow": "product_defect",
        "subflow": "refund_initiate",
        "actions_taken": ["pull-up-account", "validate-purchase"],
    },
}


def payload_with(facts: list[dict[str, Any]], log: Log, **extra: Any) -> dict[str, Any]:
    transcript = [{"seq": r.seq, "text": r.event.text} for r in log.events if hasattr(r.event, "text")]
    return {
        "key_facts": facts,
        "routing": {"team": "billing"},
        "summary": "Jane Doe wants a refund.",
        "transcript": transcript,
        "account": account_from_record(RECORD),
        **extra,
    }


def replayed() -> tuple[Log, int, int]:
    log = Log()
    log.customer("I want a refund", analyse=False)
    name = log.customer("Jane Doe", analyse=False)
    order = log.customer("order 1234567890, phone 555 010 2233", analyse=False)
    return log, name, order


def test_handoff_point_and_next_step() -> None:
    assert handoff_point(RECORD) == 5
    assert expected_next_step(RECORD) == "validate-purchase"
    account = account_from_record(RECORD)
    assert account["id"] == "jdoe12" and account["orders"][0]["order_id"] == "1234567890"


def test_kept_facts_must_cite_the_customer_turn(pack) -> None:
    log, name, order = replayed()
    facts = [
        {"kind": "name", "value": "Jane Doe", "source_seq": name},
        {"kind": "order_id", "value": "1234567890", "source_seq": order},
        {"kind": "phone", "value": "555 010 2233", "source_seq": order},
    ]
    score = score_conversation(
        RECORD, log.events, payload_with(facts, log, next_action={"step": "validate-purchase"}), pack
    )
    assert sorted(score["required"]) == ["name=jane doe", "order_id=1234567890", "phone=(555) 010-2233"]
    assert score["missed"] == [] and score["baseline_missed"] == ["order_id=1234567890"]
    assert score["team_ok"] and score["next_ok"] and score["unsupported"] == []

    wrong_turn = [{**facts[0]}, {**facts[1], "source_seq": name}, facts[2]]
    missed = score_conversation(RECORD, log.events, payload_with(wrong_turn, log), pack)
    assert missed["missed"] == ["order_id=1234567890"] and missed["next_ok"] is False


def test_unsupported_facts_and_aggregate(pack, tmp_path) -> None:
    log, name, order = replayed()
    facts = [
        {"kind": "name", "value": "Jane Doe", "source_seq": name},
        {"kind": "order_id", "value": "9999999999", "source_seq": order},
    ]
    score = score_conversation(RECORD, log.events, payload_with(facts, log), pack)
    assert score["unsupported"] == ["order_id=9999999999"]
    result = aggregate([score])
    assert result["n"] == 1 and result["repeat_context_rate"] == 1.0
    assert result["unsupported_fact_rate"] == 0.5 and result["summary_words_max"] == 5
    (tmp_path / "T-1.json").write_text(json.dumps(RECORD))
    assert [r["id"] for r in load_conversations(tmp_path)] == ["T-1"]
