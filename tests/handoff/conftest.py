from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from warmline.conversation.events import (
    BOT,
    CUSTOMER,
    SYSTEM,
    AgentMessage,
    BotMessage,
    Claimed,
    ConversationStarted,
    CustomerMessage,
    EventBody,
    EventRecord,
    HandedBack,
    TurnAnalysed,
    agent_actor,
)
from warmline.model.analysis import Citation, EscalationRecommendation, Fact, TurnAnalysis
from warmline.model.facts import extract_facts
from warmline.packs import load_pack
from warmline.routing import load_routing

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


class Log:
    """Builds a conversation's event log the way the pipeline does (analysis after each customer turn)."""

    def __init__(self, conversation_id: str = "c1", flow: str = "product_defect", subflow: str = "refund_initiate"):
        self.conversation_id = conversation_id
        self.flow, self.subflow = flow, subflow
        self.events: list[EventRecord] = []
        self.analyses: list[TurnAnalysis] = []
        self.add(SYSTEM, ConversationStarted(channel="web"))

    def add(self, actor: str, body: EventBody) -> EventRecord:
        record = EventRecord(
            conversation_id=self.conversation_id,
            seq=len(self.events) + 1,
            actor=actor,
            at=START + timedelta(seconds=30 * len(self.events)),
            event=body,
        )
        self.events.append(record)
        return record

    def customer(self, text: str, *, analyse: bool = True, reply: str = "Thanks, let me check.") -> int:
        asked = next(
            (r.event.text for r in reversed(self.events) if isinstance(r.event, BotMessage | AgentMessage)), None
        )
        message = self.add(CUSTOMER, CustomerMessage(text=text))
        if analyse:
            analysis = TurnAnalysis(
                model="test/1",
                message_seq=message.seq,
                flow=self.flow,
                subflow=self.subflow,
                confidence=0.8,
                out_of_scope=False,
                oos_score=0.0,
                human_request=0.0,
                sentiment=0.0,
                frustration=0.2,
                facts=extract_facts(text, message.seq, "customer", asked=asked),
                citations=[
                    Citation(article_id="kb-refund", title="Refunds", passage="Refunds take 5 days.", score=0.7)
                ],
                reply=reply,
                reply_kind="answer",
                recommendation=EscalationRecommendation(escalate=False),
            )
            self.analyses.append(analysis)
            self.add(BOT, TurnAnalysed(message_seq=message.seq, analysis=analysis.model_dump(mode="json")))
            self.add(BOT, BotMessage(text=reply, in_reply_to=message.seq))
        return message.seq

    def agent(self, text: str, agent_id: str = "ag_1") -> int:
        return self.add(agent_actor(agent_id), AgentMessage(agent_id=agent_id, text=text)).seq

    def claim(self, agent_id: str = "ag_1") -> None:
        self.add(agent_actor(agent_id), Claimed(agent_id=agent_id))

    def hand_back(self, note: str, agent_id: str = "ag_1") -> int:
        return self.add(agent_actor(agent_id), HandedBack(agent_id=agent_id, note=note)).seq


DECISION: dict[str, Any] = {
    "outcome": "escalate",
    "trigger": "human_request",
    "reason": "the customer asked for a person",
    "rule": "human_request",
    "policy_version": "test-1",
    "mode": "live",
}


@pytest.fixture(scope="session")
def pack():
    return load_pack("demo")


@pytest.fixture(scope="session")
def rules(pack):
    return load_routing(pack)


@pytest.fixture
def log() -> Log:
    return Log()


__all__ = ["DECISION", "START", "Fact", "Log"]
