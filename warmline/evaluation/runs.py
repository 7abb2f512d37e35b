"""The evaluation commands' runs: each case goes through the real pipeline in a :class:`Harness`,
then the policy's and the payload's scorers turn the stored events into the reported figures."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from warmline.conversation import views
from warmline.conversation.events import EventRecord
from warmline.evaluation.harness import Harness, first_escalation
from warmline.handoff.evaluation import (
    account_from_record,
    aggregate,
    customer_turns_until_handoff,
    load_conversations,
    score_conversation,
)
from warmline.packs import load_pack
from warmline.policy.evaluation import evaluate_cases, read_cases


def escalation_runner(harness: Harness) -> Callable[[Sequence[str]], tuple[str | None, list[float]]]:
    """Send the turns to a fresh conversation; the first escalation's trigger and the time each
    policy decision took (recorded by the pipeline with the decision)."""

    def run(turns: Sequence[str]) -> tuple[str | None, list[float]]:
        _, events = harness.converse(list(turns))
        return first_escalation(events), views.decision_times_ms(events)

    return run


def evaluate_escalation(path: Path, **settings: Any) -> dict[str, Any]:
    cases = read_cases(path)
    with Harness(**settings) as harness:
        return evaluate_cases(cases, escalation_runner(harness))


def latest_payload(events: Sequence[EventRecord]) -> dict[str, Any]:
    payload = views.latest_payload(events)
    return payload.model_dump(mode="json") if payload is not None else {}


def evaluate_handoff(directory: Path, progress: Callable[[], None] | None = None, **settings: Any) -> dict[str, Any]:
    """Each ABCD conversation: its account loaded, the customer's turns up to the handoff point
    sent (the bot keeps listening if the policy escalated earlier), the handoff forced there, and
    the payload the agent would open scored."""
    records = load_conversations(directory)
    scores = []
    with Harness(**settings) as harness:
        pack = load_pack(harness.settings.pack)  # the bot's own pack (loaded once, cached)
        for record in records:
            account_id = harness.add_account(account_from_record(record))
            turns = [t["text"] for t in customer_turns_until_handoff(record)]
            cid, _ = harness.converse(turns, account_id=account_id, stop_at_handoff=False)
            events = harness.force_handoff(cid)
            scores.append(score_conversation(record, events, latest_payload(events), pack))
            if progress is not None:
                progress()
    result = aggregate(scores)
    result["scores"] = scores
    return result
