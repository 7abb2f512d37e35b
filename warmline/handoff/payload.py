"""The handoff payload (DESIGN §6), built purely from the event log (its schema: ``schema.py``).

``build_payload`` is pure: the conversation's events, the latest analysis, the account, the
routing and the policy decision in; a :class:`Payload` out. Nothing is invented: every key fact
is a value typed in a turn (and cites that turn), the summary and the draft only restate values
from the transcript and the account. The cold cohort (the measured control group) gets the
transcript and the customer's name only, plus the routing the queue needs.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from warmline.conversation.events import (
    AgentMessage,
    BotMessage,
    ConversationStarted,
    CustomerMessage,
    EventRecord,
    HandedBack,
    NoteAdded,
    TurnAnalysed,
)
from warmline.handoff.draft import compose_draft, second_person
from warmline.handoff.next_action import recommend
from warmline.handoff.schema import (
    SCHEMA_VERSION,
    Cohort,
    Draft,
    Escalation,
    Handback,
    Intent,
    KeyFact,
    Payload,
    TranscriptTurn,
    payload_json_schema,
)
from warmline.handoff.store_work import StoreWork, store_work
from warmline.handoff.summary import SummaryInput, compose_summary
from warmline.model.analysis import Citation, Fact, TurnAnalysis
from warmline.model.facts import extract_facts
from warmline.packs import Pack
from warmline.routing import Routing

# ---- building ----------------------------------------------------------------------------------


def build_payload(
    *,
    conversation_id: str,
    history: list[EventRecord],
    analysis: TurnAnalysis | None,
    account: dict[str, Any] | None,
    routing: Routing,
    decision: dict[str, Any],
    pack: Pack,
    cohort: Cohort,
    now: datetime,
    earlier_conversations: list[dict[str, Any]] | None = None,
) -> Payload:
    transcript = transcript_of(history)
    analyses = _analyses(history, analysis)
    facts = key_facts(history, analyses)
    name = _customer_name(history, account, facts)
    escalation = Escalation(
        trigger=decision.get("trigger"),
        reason=str(decision.get("reason", "")),
        rule=decision.get("rule"),
        policy_version=decision.get("policy_version"),
        mode=str(decision.get("mode") or "live"),
    )
    if cohort == "cold":
        return Payload(
            cohort="cold",
            conversation_id=conversation_id,
            built_at=now,
            customer_name=name,
            routing=routing,
            escalation=escalation,
            transcript=transcript,
        )

    latest = analysis or (analyses[-1] if analyses else None)
    flow = latest.flow if latest else None
    subflow = latest.subflow if latest else None
    intent = Intent(flow=flow, subflow=subflow, confidence=latest.confidence) if latest and flow else None
    handbacks = [
        Handback(seq=r.seq, agent_id=r.event.agent_id, note=r.event.note, at=r.at)
        for r in history
        if isinstance(r.event, HandedBack)
    ]
    citations = _citations(history, analyses)
    work = store_work(history)
    customer_seqs = [r.seq for r in history if isinstance(r.event, CustomerMessage)]
    last_customer = customer_seqs[-1] if customer_seqs else None
    next_action = recommend(
        pack,
        flow=flow,
        subflow=subflow,
        facts_before=[f for f in facts if last_customer is None or f.source_seq < last_customer],
        facts_now=facts,
        bot_texts=[t.text for t in transcript if t.speaker == "bot"],
        agent_texts=[t.text for t in transcript if t.speaker in ("agent", "note", "handback")],
        intent_known_before=any(a.flow for a in analyses if last_customer is None or a.message_seq < last_customer),
        bot_answered_from_kb=bool(citations),
        has_account=account is not None,
        bot_verified=work.verified,
        bot_found_order=bool(work.orders),
    )
    description = None
    if flow and subflow:
        sub = pack.subflow(flow, _ontology_subflow(flow, subflow))
        description = (pack.texts.needs.get(sub.label) or sub.description) if sub else None
    pairs = [(f.kind, f"{f.value} ({f.resolved})" if f.kind == "date" and f.resolved else f.value) for f in facts]
    summary = compose_summary(
        SummaryInput(
            who=_who(name, account),
            need=_need(description, flow, subflow, latest),
            facts=pairs,
            bot_tried=_bot_tried(transcript, analyses, citations, work),
            escalation=_why(escalation, routing),
            handback_note=handbacks[-1].note if handbacks else None,
        )
    )
    draft_seq = history[-1].seq if history else 0
    draft = Draft(
        id=f"dr_{conversation_id}_{draft_seq}",
        text=compose_draft(
            first_name=name.split()[0].title() if name else None,
            need=second_person(description) if description else None,
            facts=pairs,
            next_action=next_action,
            team=routing.team,
        ),
    )
    return Payload(
        cohort="warm",
        conversation_id=conversation_id,
        built_at=now,
        customer_name=name,
        summary=summary,
        intent=intent,
        key_facts=[
            KeyFact(kind=f.kind, value=f.value, source_seq=f.source_seq, speaker=f.speaker, resolved=f.resolved)
            for f in facts
        ],
        draft=draft,
        next_action=next_action,
        citations=citations,
        routing=routing,
        escalation=escalation,
        account=account_section(account, earlier_conversations),
        handbacks=handbacks,
        transcript=transcript,
    )


def transcript_of(history: list[EventRecord]) -> list[TranscriptTurn]:
    """Every turn a person typed or saw: customer, bot, agent, internal notes, handback notes."""
    turns = []
    for record in history:
        event = record.event
        if isinstance(event, CustomerMessage):
            turns.append(
                TranscriptTurn(seq=record.seq, speaker="customer", author=record.actor, text=event.text, at=record.at)
            )
        elif isinstance(event, BotMessage):
            turns.append(
                TranscriptTurn(
                    seq=record.seq, speaker="bot", author=record.actor, text=event.text, at=record.at, kind=event.kind
                )
            )
        elif isinstance(event, AgentMessage):
            turns.append(
                TranscriptTurn(seq=record.seq, speaker="agent", author=record.actor, text=event.text, at=record.at)
            )
        elif isinstance(event, NoteAdded):
            turns.append(
                TranscriptTurn(seq=record.seq, speaker="note", author=record.actor, text=event.text, at=record.at)
            )
        elif isinstance(event, HandedBack):
            turns.append(
                TranscriptTurn(seq=record.seq, speaker="handback", author=record.actor, text=event.note, at=record.at)
            )
    return turns


def key_facts(history: list[EventRecord], analyses: list[TurnAnalysis]) -> list[Fact]:
    """Facts from every turn, each citing the turn where it was typed.

    Customer turns: the facts their analysis found plus a fresh extraction (turns sent while an
    agent had the conversation are not analysed by the bot). Agent turns, notes and handback
    notes: extracted here. One fact per (kind, value); a customer's own turn is preferred as the
    source, then the earliest turn.
    """
    by_seq = {a.message_seq: a for a in analyses}
    found: list[Fact] = []
    asked: str | None = None
    for record in history:
        event = record.event
        if isinstance(event, CustomerMessage):
            stored = list(by_seq[record.seq].facts) if record.seq in by_seq else []
            # a fresh extraction first: it resolves dates against the time the message was sent
            found += extract_facts(event.text, record.seq, "customer", asked=asked, sent_at=record.at) + stored
        elif isinstance(event, BotMessage):
            asked = event.text
        elif isinstance(event, AgentMessage):
            asked = event.text
            found += extract_facts(event.text, record.seq, "agent")
        elif isinstance(event, NoteAdded):
            found += extract_facts(event.text, record.seq, "note")
        elif isinstance(event, HandedBack):
            found += extract_facts(event.note, record.seq, "note")
    best: dict[tuple[str, str], Fact] = {}
    order: list[tuple[str, str]] = []
    for fact in found:
        key = (fact.kind, normalise_value(fact.kind, fact.value))
        if key not in best:
            best[key] = fact
            order.append(key)
        elif best[key].speaker != "customer" and fact.speaker == "customer":
            best[key] = fact
    return sorted((best[k] for k in order), key=lambda f: f.source_seq)


def normalise_value(kind: str, value: str) -> str:
    """Case, spacing and punctuation folded; phones compared by digits (last 10)."""
    if kind == "phone":
        return re.sub(r"\D", "", value)[-10:]
    if kind == "email":
        return value.strip().lower()
    return re.sub(r"[^a-z0-9@]+", "", value.lower())


def account_section(account: dict[str, Any] | None, earlier: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """Profile, membership, orders and earlier conversations, from the account record as given."""
    if account is None and not earlier:
        return None
    account = account or {}
    profile_keys = ("name", "username", "email", "phone", "address")
    section: dict[str, Any] = {
        "id": account.get("id"),
        "name": account.get("name"),
        "profile": {k: account[k] for k in profile_keys if account.get(k) is not None},
        "membership": account.get("membership"),
        "orders": list(account.get("orders") or []),
        "earlier_conversations": list(earlier if earlier is not None else account.get("history") or []),
    }
    for extra in ("value_tier", "churn_risk", "flags", "bot_activity"):
        if extra in account:
            section[extra] = account[extra]
    return section


# ---- helpers ---------------------------------------------------------------------------------


def _analyses(history: list[EventRecord], latest: TurnAnalysis | None) -> list[TurnAnalysis]:
    found: dict[int, TurnAnalysis] = {}
    for record in history:
        if isinstance(record.event, TurnAnalysed):
            analysis = record.event.analysis
            found[analysis.message_seq] = analysis
    if latest is not None:
        found[latest.message_seq] = latest
    return [found[k] for k in sorted(found)]


def _citations(history: list[EventRecord], analyses: list[TurnAnalysis]) -> list[Citation]:
    """The passages the bot's answers were grounded in, best score per article, most recent first:
    what the bot's replies quoted (the store's help center) when they quoted anything, else the
    passages of the model's own replies that were sent (a pack without a store). A reply from the
    store's records quotes nothing, and the passages the model read for it were never shown."""
    sent = [r.event for r in reversed(history) if isinstance(r.event, BotMessage)]
    quoted = [message.citations for message in sent if message.citations]
    said = {message.text for message in sent}
    grounded = [a.citations for a in reversed(analyses) if a.reply_kind == "answer" and a.reply in said]
    best: dict[str, Citation] = {}
    for citations in quoted or grounded:
        for citation in citations:
            if citation.article_id not in best or citation.score > best[citation.article_id].score:
                best[citation.article_id] = citation
    return list(best.values())[:5]


def _customer_name(history: list[EventRecord], account: dict[str, Any] | None, facts: list[Fact]) -> str | None:
    if account and account.get("name"):
        return str(account["name"])
    for record in history:
        if isinstance(record.event, ConversationStarted) and record.event.customer_name:
            return record.event.customer_name
    # "Lee, Sam" reads as the normal form the fact resolved it to ("Sam Lee").
    return next((f.resolved or f.value for f in facts if f.kind == "name" and f.speaker == "customer"), None)


# Why it escalated, as the agent wants to read it (the policy's full reason is in the payload's
# escalation section and the audit log).
WHY = {
    "human_request": "the customer asked for a person",
    "frustration": "the customer is frustrated",
    "looping": "the bot was going in circles",
    "out_of_scope": "the request is outside what the bot handles",
    "low_confidence": "the bot was unsure on a sensitive request",
}


def _who(name: str | None, account: dict[str, Any] | None) -> str:
    who = name.title() if name and name.islower() else (name or "The customer")
    membership = (account or {}).get("membership")
    if membership:
        who += f" ({membership} member)"
    return who


def _ontology_subflow(flow: str, subflow: str) -> str:
    return subflow.split("_", 1)[0] if flow in ("single_item_query", "storewide_query") else subflow


def _need(description: str | None, flow: str | None, subflow: str | None, latest: TurnAnalysis | None) -> str | None:
    if not flow:
        return None
    label = f"{flow}/{subflow}" if subflow else flow
    text = description.strip().rstrip(".") if description else ""
    if text.lower().startswith("the customer's "):
        text = "reports that their " + text[len("the customer's ") :]  # "Dana Reyes reports that their promo code ..."
    elif text.lower().startswith("the customer "):
        text = text[len("the customer ") :]  # "Dana Reyes wants to return ..."
    elif text:
        text = "— " + text[:1].lower() + text[1:]
    text = f"{text} ({label})" if text else f"— request {label}"
    if latest is not None and latest.out_of_scope:
        text += "; the last message was out of scope"
    return text


def _bot_tried(
    transcript: list[TranscriptTurn], analyses: list[TurnAnalysis], citations: list[Citation], work: StoreWork
) -> str:
    replies = [t for t in transcript if t.speaker == "bot" and t.kind not in ("handoff_notice", "placeholder")]
    if not replies:
        return "The bot had not replied yet."
    kinds = [a.reply_kind for a in analyses]
    parts = [f"The bot replied {len(replies)} time{'s' if len(replies) != 1 else ''}"]
    if citations:
        parts.append(f"citing '{citations[0].title}'")
    if done := work.describe():
        parts.append(done)
    if "clarify" in kinds:
        parts.append(f"asked to clarify {kinds.count('clarify')}x")
    if "refuse" in kinds:
        parts.append("declined an out-of-scope request")
    return ", ".join(parts) + "."


def _why(escalation: Escalation, routing: Routing) -> str:
    reason = WHY.get(escalation.trigger or "", "") or escalation.reason.rstrip(".") or "the policy escalated"
    return f"Escalated because {reason}; routed to {routing.team} (P{routing.priority})."


__all__ = [
    "SCHEMA_VERSION",
    "Cohort",
    "Draft",
    "Escalation",
    "Handback",
    "Intent",
    "KeyFact",
    "Payload",
    "TranscriptTurn",
    "build_payload",
    "payload_json_schema",
]
