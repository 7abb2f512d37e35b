"""``warmline eval bot``: does the bot answer? Customer turns played through the real service.

Each case ``{"id", "turns", "expect": "answered", "answer_contains": [[forms of fact 1], ...],
"kind", "customer_id"}`` starts a conversation (on the demo store's customer ``customer_id`` when
given) in a fresh throwaway store, on the demo store's records as loaded (what an earlier case
cancelled is back), sends the turns in order and reads the bot's replies. It is
*answered* when the bot did not hand off and every group has one of its forms in the replies:
case-insensitive, whitespace and dashes normalised, never inside a longer number or word ("Dec 1"
does not match "Dec 15", "$5.99" does not match "$5.995").
"""

from __future__ import annotations

import math
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from warmline.conversation import actions
from warmline.conversation.state import Status
from warmline.evaluation.harness import Harness
from warmline.evaluation.jsonl import json_lines

DASHES = re.compile(r"\s*[\u2010-\u2015\u2212-]\s*")


class BotDataError(ValueError):
    """A case file line that is not a bot case."""


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", DASHES.sub("-", text.lower().replace("\u00a0", " "))).strip()


def contains(reply: str, form: str) -> bool:
    """``form`` in ``reply`` as a whole: not inside a longer word or number."""
    needle = normalise(form)
    if not needle:
        return False
    pattern = rf"(?<![\w]){re.escape(needle)}(?![\w]|[.,]\d)"
    if needle[:1].isalnum() and needle[:1].isdigit():
        pattern = rf"(?<![\w])(?<!\d[.,]){re.escape(needle)}(?![\w]|[.,]\d)"
    return re.search(pattern, normalise(reply)) is not None


def read_bot_cases(path: Path) -> list[dict[str, Any]]:
    cases = []
    for number, case in json_lines(path, BotDataError):
        groups = case.get("answer_contains") if isinstance(case, dict) else None
        turns = case.get("turns") if isinstance(case, dict) else None
        if (
            not isinstance(turns, list)
            or not turns
            or not all(isinstance(t, str) for t in turns)
            or not isinstance(groups, list)
            or not all(isinstance(g, list) and g and all(isinstance(f, str) for f in g) for g in groups)
        ):
            raise BotDataError(
                f"{path}:{number}: a case needs 'turns' (non-empty list of strings) and 'answer_contains' "
                "(a list of non-empty lists of strings)"
            )
        customer = case.get("customer_id")
        if customer is not None and not isinstance(customer, str):
            raise BotDataError(f"{path}:{number}: 'customer_id' must be a string or null")
        cases.append(case)
    return cases


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(share * len(ordered)) - 1)])


def play(harness: Harness, case: dict[str, Any]) -> dict[str, Any]:
    """One case through the service: the replies, whether it left the bot, each turn's time."""
    services = harness.services
    restore_demo_store(harness)
    # A case's customer is signed in on the store's site as ``customer_id`` (the site vouches).
    customer = case.get("customer_id")
    started = actions.do_start_conversation(services, channel="eval", account_id=customer, signed_in=bool(customer))
    cid = started.conversation_id
    turn_ms: list[float] = []
    escalated = False
    for text in case["turns"]:
        if not text.strip():
            continue
        begin = time.perf_counter()
        outcome = actions.do_post_customer_message(services, cid, text)
        turn_ms.append((time.perf_counter() - begin) * 1000)
        if outcome.state.status != Status.BOT:
            escalated = outcome.state.status != Status.CLOSED
            break
    events = services.store.load_events(cid)
    replies = [r.event.text for r in events if r.type == "bot_message"]  # type: ignore[attr-defined]
    escalated = escalated or any(r.type == "escalated" for r in events)
    return {"replies": replies, "escalated": escalated, "turn_ms": turn_ms}


def restore_demo_store(harness: Harness) -> None:
    """Each case meets the demo store as loaded: a cancellation in one case is not the next one's."""
    from warmline.bot.model_bot import ModelBot
    from warmline.shop.backend import JsonStoreBackend

    bot = harness.services.bot
    if isinstance(bot, ModelBot) and bot.dialogue is not None and isinstance(bot.dialogue.store, JsonStoreBackend):
        bot.dialogue.store.restore()


def score_case(case: dict[str, Any], played: dict[str, Any]) -> dict[str, Any]:
    said = "\n".join(played["replies"])
    missing = [group for group in case["answer_contains"] if not any(contains(said, f) for f in group)]
    replies = played["replies"]
    repeated = any(a == b for a, b in zip(replies, replies[1:], strict=False))
    return {
        "id": case.get("id"),
        "kind": case.get("kind") or "other",
        "answered": not played["escalated"] and not missing,
        "escalated": played["escalated"],
        "repeated": repeated,
        "missing": missing,
        "reply_words": [len(r.split()) for r in replies],
        "turn_ms": played["turn_ms"],
    }


def aggregate_bot(scores: Sequence[dict[str, Any]]) -> dict[str, Any]:
    n = len(scores)
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for score in scores:
        by_kind[score["kind"]].append(score)

    def rate(rows: Sequence[dict[str, Any]], key: str) -> float:
        return round(sum(1 for r in rows if r[key]) / len(rows), 4) if rows else 0.0

    words = [w for s in scores for w in s["reply_words"]]
    times = [t for s in scores for t in s["turn_ms"]]
    return {
        "n": n,
        "answer_rate": rate(scores, "answered"),
        "by_kind": {k: {"n": len(v), "answer_rate": rate(v, "answered")} for k, v in sorted(by_kind.items())},
        "escalation_rate": rate(scores, "escalated"),
        "repeated_reply_rate": rate(scores, "repeated"),
        "reply_words_p90": percentile(words, 0.9),
        "p99_turn_ms": round(percentile(times, 0.99), 2),
        "errors": [
            {"id": s["id"], "kind": s["kind"], "escalated": s["escalated"], "missing": s["missing"]}
            for s in scores
            if not s["answered"]
        ],
    }


def evaluate_bot(path: Path, progress: Callable[[], None] | None = None, **settings: Any) -> dict[str, Any]:
    from warmline.packs.demo_data import load_demo_data

    cases = read_bot_cases(path)
    with Harness(**settings) as harness:
        load_demo_data(harness.services)
        # The first turn pays for lazy set-up (the model's caches): not a customer's cost.
        harness.converse(["hello"])
        scores = []
        for case in cases:
            scores.append(score_case(case, play(harness, case)))
            if progress is not None:
                progress()
    return aggregate_bot(scores)
