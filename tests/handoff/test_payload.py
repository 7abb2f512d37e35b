from __future__ import annotations

import re
from typing import Any

import pytest

from tests.handoff.conftest import DECISION, Log
from warmline.handoff.payload import SCHEMA_VERSION, Payload, build_payload, payload_json_schema
from warmline.routing import route

ACCOUNT = {
    "id": "josephbanter716",
    "name": "Joseph Banter",
    "username": "josephbanter716",
    "email": "josephbanter716@email.com",
    "phone": "(822) 577-6709",
    "membership": "gold",
    "address": {"street": "5887 circle drive", "zip_code": "21131"},
    "orders": [{"order_id": "3115766613", "purchase_date": None, "products": []}],
    "history": [],
}


def build(log: Log, pack, rules, *, cohort: str = "warm", account: dict | None = ACCOUNT) -> Payload:
    latest = log.analyses[-1]
    at = log.events[-1].at
    routing = route(latest, account, rules, now=at, trigger="human_request")
    return build_payload(
        conversation_id=log.conversation_id,
        history=log.events,
        analysis=latest,
        account=account,
        routing=routing,
        decision=DECISION,
        pack=pack,
        cohort=cohort,  # type: ignore[arg-type]
        now=at,
    )


def refund_conversation() -> Log:
    log = Log()
    log.customer("I want a refund for the jeans I bought, they are defective")
    log.customer("Joseph Banter", reply="Could you give me your full name?")
    log.customer("my email is josephbanter716@email.com and order id is 3115766613")
    return log


def test_warm_payload_has_every_section(pack, rules) -> None:
    log = refund_conversation()
    payload = build(log, pack, rules)
    assert payload.version == SCHEMA_VERSION and payload.cohort == "warm"
    assert payload.customer_name == "Joseph Banter"
    assert payload.intent and payload.intent.flow == "product_defect"
    assert payload.routing.team == "billing"
    assert payload.escalation and payload.escalation.policy_version == "test-1"
    assert payload.draft and payload.draft.id == f"dr_c1_{log.events[-1].seq}"
    assert payload.next_action and payload.next_action.procedure == "product_defect/refund_initiate"
    assert [c.article_id for c in payload.citations] == ["kb-refund"]
    assert payload.account and payload.account["orders"][0]["order_id"] == "3115766613"
    assert [t.speaker for t in payload.transcript].count("customer") == 3
    kinds = {(f.kind, f.value) for f in payload.key_facts}
    assert {("email", "josephbanter716@email.com"), ("order_id", "3115766613")} <= kinds


def test_draft_greets_and_never_asks_for_given_facts(pack, rules) -> None:
    payload = build(refund_conversation(), pack, rules)
    text = payload.draft.text  # type: ignore[union-attr]
    assert text.startswith("Hi Joseph,")
    assert "3115766613" in text
    for asked in ("your full name", "the email address", "the order ID", "your username"):
        if asked == "your username":
            continue
        assert asked not in text


def test_summary_is_one_short_paragraph_on_long_conversations(pack, rules) -> None:
    log = Log()
    log.customer("I want a refund for the jeans, they ripped after one wash and I am very unhappy about it")
    for i in range(30):
        log.customer(f"still waiting, order id is 31157666{10 + i} and my phone is (822) 577-67{10 + i}")
    log.customer("my email is josephbanter716@email.com, I live at 5887 circle drive, zip 21131")
    payload = build(log, pack, rules)
    assert 0 < len(payload.summary.split()) <= 80
    assert "\n" not in payload.summary
    assert "Joseph Banter" in payload.summary and "product_defect/refund_initiate" in payload.summary


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9@]+", "", text.lower())


def test_never_invents_facts(pack, rules) -> None:
    log = refund_conversation()
    log.customer("also my phone is (822) 577-6709 and I live at 5887 circle drive, zip 21131")
    payload = build(log, pack, rules)
    by_seq = {t.seq: t.text for t in payload.transcript}
    for fact in payload.key_facts:
        assert _normalise(fact.value) in _normalise(by_seq[fact.source_seq]), fact
    # the summary's fact values are key facts or account values, never anything else
    values = {_normalise(f.value) for f in payload.key_facts}
    for match in re.findall(r"\b\d{5,}\b", payload.summary):
        assert any(match in v for v in values) or match in _normalise(str(ACCOUNT))


def test_facts_given_to_an_agent_before_a_handback_are_kept(pack, rules) -> None:
    log = refund_conversation()
    log.claim()
    log.agent("Thanks Joseph, could you share the phone number on the account?")
    phone_seq = log.customer("sure, it's (822) 577-6709", analyse=False)
    note_seq = log.hand_back("Verified the customer. Their zip code is 21131, refund pending approval.")
    log.customer("hello? any news on my refund?")
    payload = build(log, pack, rules)
    phone = next(f for f in payload.key_facts if f.kind == "phone")
    assert (phone.source_seq, phone.speaker) == (phone_seq, "customer")
    zip_fact = next(f for f in payload.key_facts if f.kind == "zip_code")
    assert (zip_fact.source_seq, zip_fact.speaker) == (note_seq, "note")
    assert [h.seq for h in payload.handbacks] == [note_seq]
    assert any(t.speaker == "handback" and t.seq == note_seq for t in payload.transcript)
    assert any(t.speaker == "agent" for t in payload.transcript)


def test_cold_payload_has_transcript_and_name_only(pack, rules) -> None:
    log = refund_conversation()
    payload = build(log, pack, rules, cohort="cold")
    assert payload.cohort == "cold" and payload.customer_name == "Joseph Banter"
    assert len(payload.transcript) == 6
    assert payload.summary == "" and payload.key_facts == [] and payload.citations == []
    assert payload.draft is None and payload.next_action is None
    assert payload.account is None and payload.intent is None and payload.handbacks == []


def test_payload_round_trips_as_json(pack, rules) -> None:
    payload = build(refund_conversation(), pack, rules)
    assert Payload.model_validate_json(payload.model_dump_json()) == payload


def _check_required(schema: dict[str, Any], data: dict[str, Any]) -> None:
    for key in schema.get("required", []):
        assert key in data, key
    for key in data:
        assert key in schema["properties"], key


@pytest.mark.parametrize("cohort", ["warm", "cold"])
def test_json_schema_validates_built_payloads(pack, rules, cohort: str) -> None:
    schema = payload_json_schema()
    assert schema["properties"]["version"]["default"] == SCHEMA_VERSION
    data = build(refund_conversation(), pack, rules, cohort=cohort).model_dump(mode="json")
    try:
        import jsonschema
    except ImportError:
        _check_required(schema, data)
    else:
        jsonschema.validate(data, schema)
        bad = {**data, "cohort": "lukewarm"}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_build_is_pure(pack, rules) -> None:
    log = refund_conversation()
    before = [r.to_dict() for r in log.events]
    assert build(log, pack, rules) == build(log, pack, rules)
    assert [r.to_dict() for r in log.events] == before


def test_next_action_skips_done_steps(pack, rules) -> None:
    log = refund_conversation()
    log.customer("is it done?")
    payload = build(log, pack, rules)
    step = payload.next_action
    assert step is not None and "pull-up-account" in step.steps_done
    assert step.step != "pull-up-account"
    assert "open the customer's account" in step.reasoning and "pull-up-account" not in step.reasoning


def test_next_action_speaks_the_stores_words_not_the_procedure_consoles(pack, rules) -> None:
    payload = build(refund_conversation(), pack, rules)
    step = payload.next_action
    assert step is not None and step.step is not None
    wording = next(s for s in pack.procedure("product_defect", "refund_initiate") if s.action == step.step)
    assert step.action.startswith(wording.label) and wording.label != wording.button
    assert wording.how in step.reasoning and "Guideline:" not in step.reasoning
    every_step = {s.action for steps in pack.procedures.values() for s in steps}
    assert all(s.label != s.button and s.how for steps in pack.procedures.values() for s in steps), every_step
