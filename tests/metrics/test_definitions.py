"""Every metric on hand-built event logs with known answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests import builders
from warmline.conversation.events import (
    AgentMessage,
    BotMessage,
    Claimed,
    Closed,
    ConversationStarted,
    CustomerMessage,
    Escalated,
    EventBody,
    EventRecord,
    HandedBack,
    PayloadBuilt,
    SurveyAnswered,
    Transferred,
    TurnAnalysed,
)
from warmline.metrics.definitions import asks_for, read_conversation
from warmline.metrics.report import build_report

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class Log:
    """Builds one conversation's events; ``at`` is seconds after T0."""

    def __init__(self, cid: str = "cv_1"):
        self.cid = cid
        self.records: list[EventRecord] = []
        self.add(0, "customer", ConversationStarted())

    def add(self, at: float, actor: str, body: EventBody) -> EventRecord:
        record = EventRecord(
            conversation_id=self.cid, seq=len(self.records) + 1, actor=actor, at=T0 + timedelta(seconds=at), event=body
        )
        self.records.append(record)
        return record

    def customer(self, at: float, text: str, facts: list[tuple[str, str]] = (), **analysis: Any) -> EventRecord:  # type: ignore[assignment]
        message = self.add(at, "customer", CustomerMessage(text=text))
        fact_list = [{"kind": k, "value": v, "source_seq": message.seq, "speaker": "customer"} for k, v in facts]
        typed = builders.analysis(message.seq, facts=fact_list, **analysis)
        self.add(at, "bot", TurnAnalysed(message_seq=message.seq, analysis=typed))
        return message

    def escalate(
        self,
        at: float,
        team: str = "billing",
        cohort: str = "warm",
        draft: str | None = "d1",
        trigger: str = "human_request",
    ) -> None:
        shown = {"draft": {"id": draft, "text": "Hello"}} if draft else {}
        payload = builders.payload(self.cid, team=team, cohort=cohort, **shown)
        self.add(at, "system", PayloadBuilt(payload=payload))
        self.add(at, "system", Escalated(team=team, trigger=trigger, reason="r", cohort=cohort))


def test_a_warm_handoff_with_draft_used_and_no_repeat() -> None:
    log = Log()
    log.customer(1, "my order is ORD-1", [("order_id", "ORD-1")])
    log.escalate(2)
    log.add(62, "agent:a", Claimed(agent_id="a"))
    log.add(70, "agent:a", AgentMessage(agent_id="a", text="Hello!", draft_id="d1", draft_distance=0.1))
    log.add(362, "agent:a", Closed(agent_id="a"))
    log.add(400, "customer", SurveyAnswered(score=5))
    report = build_report([read_conversation(log.records)])
    warm = report["cohorts"]["warm"]
    assert warm["handoffs"] == 1
    assert warm["repeat_context_rate"] == 0.0
    assert warm["draft_usage_rate"] == 1.0
    assert warm["handle_time_s"] == 300.0
    assert warm["routing_accuracy"] == 1.0
    assert warm["csat"] == 1.0
    assert warm["time_to_pickup_s"] == 60.0
    assert report["cohorts"]["cold"]["handoffs"] == 0 and report["cohorts"]["cold"]["csat"] is None
    assert report["teams"]["billing"]["cohorts"]["warm"]["handoffs"] == 1
    assert report["overall"]["post_escalation_csat"] == 1.0


def test_repeat_context_when_the_agent_asks_again_or_the_customer_restates() -> None:
    asked = Log("cv_a")
    asked.customer(1, "order ORD-9", [("order_id", "ORD-9")])
    asked.escalate(2, cohort="cold", draft=None)
    asked.add(10, "agent:a", Claimed(agent_id="a"))
    asked.add(20, "agent:a", AgentMessage(agent_id="a", text="Could you give me your order number?"))
    restated = Log("cv_r")
    restated.customer(1, "my email is Ann@Example.com", [("email", "Ann@Example.com")])
    restated.escalate(2, cohort="cold", draft=None)
    restated.add(10, "agent:a", Claimed(agent_id="a"))
    restated.customer(20, "again: ann@example.com", [("email", "ann@example.com ")])
    unrelated = Log("cv_u")
    unrelated.customer(1, "order ORD-9", [("order_id", "ORD-9")])
    unrelated.escalate(2, cohort="cold", draft=None)
    unrelated.add(10, "agent:a", Claimed(agent_id="a"))
    unrelated.add(20, "agent:a", AgentMessage(agent_id="a", text="What is your email address?"))  # not given before
    report = build_report([read_conversation(c.records) for c in (asked, restated, unrelated)])
    cold = report["cohorts"]["cold"]
    assert cold["repeat_context_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert cold["draft_usage_rate"] is None and cold["draft_usage_rate_ci"] is None
    low, high = cold["repeat_context_rate_ci"]
    assert 0 < low < 2 / 3 < high < 1


def test_transfers_repeated_handbacks_and_an_open_conversation() -> None:
    log = Log()
    log.customer(1, "billing problem")
    log.escalate(2, draft="d1")
    log.add(12, "agent:a", Claimed(agent_id="a"))
    log.add(20, "agent:a", Transferred(from_team="billing", to_team="fraud", reason="fraud", agent_id="a"))
    log.add(30, "agent:b", Claimed(agent_id="b"))
    log.add(90, "agent:b", HandedBack(agent_id="b", note="done"))
    log.add(91, "bot", BotMessage(text="back", kind="resume"))
    log.customer(100, "one more thing")
    log.escalate(101, team="orders", draft="d2")
    log.add(111, "agent:c", Claimed(agent_id="c"))
    log.add(131, "agent:c", AgentMessage(agent_id="c", text="edited a lot", draft_id="d2", draft_distance=0.7))
    open_log = Log("cv_open")
    open_log.customer(1, "hello")
    open_log.escalate(2)  # still waiting
    conversations = [read_conversation(log.records), read_conversation(open_log.records)]
    report = build_report(conversations)
    warm = report["cohorts"]["warm"]
    assert warm["handoffs"] == 3 and warm["picked_up"] == 2
    assert warm["routing_accuracy"] == 0.0  # the only ended handoff was transferred
    assert warm["handle_time_s"] == 78.0  # first pickup to handback
    assert warm["draft_usage_rate"] == 0.0
    assert warm["time_to_pickup_s"] == 10.0
    assert report["overall"]["escalation_rate_by_trigger"] == {"human_request": 1.5}
    assert set(report["teams"]) == {"billing", "orders"}
    assert build_report(conversations, team="orders")["cohorts"]["warm"]["handoffs"] == 1


def test_no_handoffs_bot_resolution_refusals_and_csat() -> None:
    solved = Log("cv_s")
    solved.customer(1, "what are your hours?")
    solved.add(2, "bot", BotMessage(text="9-5", in_reply_to=2))
    solved.add(3, "customer", Closed())
    solved.add(4, "customer", SurveyAnswered(score=2))
    refused = Log("cv_f")
    message = refused.customer(1, "what is the weather", out_of_scope=True)
    refused.add(2, "bot", BotMessage(text="I can only help with AcmeBrands", kind="refuse", in_reply_to=message.seq))
    wrong = Log("cv_w")
    message = wrong.customer(1, "refund my order", out_of_scope=False)
    wrong.add(2, "bot", BotMessage(text="Sorry, I cannot help", kind="refuse", in_reply_to=message.seq))
    report = build_report([read_conversation(c.records) for c in (solved, refused, wrong)])
    overall = report["overall"]
    assert overall["handoffs"] == 0 and overall["escalation_rate_by_trigger"] == {}
    assert overall["bot_first_contact_resolution"] == 1.0
    assert overall["refusal_accuracy"] == 0.5
    assert overall["non_escalated_csat"] == 0.0 and overall["post_escalation_csat"] is None
    assert report["cohorts"]["warm"]["repeat_context_rate"] is None
    assert build_report([])["overall"]["conversations"] == 0


@pytest.mark.parametrize(
    ("text", "kinds", "expected"),
    [
        ("Could you give me your order number?", {"order_id"}, {"order_id"}),
        ("What is your email address?", {"email", "phone"}, {"email"}),
        ("I have updated your email.", {"email"}, set()),
        ("May I have your full name and zip code?", {"name", "zip_code"}, {"name", "zip_code"}),
        ("Please confirm the shipping address", {"address"}, {"address"}),
    ],
)
def test_asks_for(text: str, kinds: set[str], expected: set[str]) -> None:
    assert asks_for(text, kinds) == expected


def test_only_request_sentences_count_as_asking_again() -> None:
    known = {"name", "phone", "zip_code", "username", "order_id"}
    draft = (
        "Hi Chloe, I'm from the account team. I have your phone number (585) 710-9578 and zip code 99948 "
        "here, so there's no need to repeat them. To finish this, could you give me the order ID?"
    )
    assert asks_for(draft, known) == {"order_id"}
    assert asks_for("Could you give me your username?", known) == {"username"}  # not "name"
    assert asks_for("Could I have your full name, please?", known) == {"name"}
    assert asks_for("Thanks, your zip code is noted.", known) == set()
