"""Offline handoff evaluation behind ``warmline eval handoff --data DIR`` (DESIGN §7).

Definitions (every report and test uses these):
- the *handoff point* of a conversation is its last customer turn before its last
  ``system_action`` turn (or its last customer turn if it has none);
- a *required fact* is a value of the customer record (name, username, email, phone, order id,
  zip code, street address) that the customer typed at or before the handoff point (compared
  normalised: case, spacing, punctuation; phones by digits);
- a required fact is *kept* only when a key fact holds that value and cites a customer turn
  (``source_seq`` of a ``customer_message``) in which the customer typed it;
- repeat_context_rate: share of conversations where some required fact is not kept;
  baseline_repeat_context_rate: the same for a cold-transfer payload that keeps only the
  customer's name, email and phone (key facts restricted to those kinds);
- fact_recall: kept / required over all conversations;
- team_accuracy: routed team vs the pack team of the true subflow;
- next_action_accuracy: recommended step vs the next ``actions_taken`` step not yet done at the
  handoff point (the one after the system actions already taken), over conversations where known;
- unsupported_fact_rate: share of key facts whose value appears neither in the transcript nor
  in the account.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from warmline.conversation.events import CustomerMessage, EventRecord
from warmline.packs import Pack

BASELINE_KINDS = ("name", "email", "phone")
RECORD_FIELDS = ("name", "username", "email", "phone", "order_id", "zip_code", "address")


class HandoffDataError(ValueError):
    """A conversation file is missing or malformed; the message names the file."""


# ---- data --------------------------------------------------------------------------------------


def load_conversations(directory: Path | str) -> list[dict[str, Any]]:
    """The curated ABCD conversations (``*.json``) in ``directory``, sorted by file name."""
    path = Path(directory)
    if not path.is_dir():
        raise HandoffDataError(f"{path}: no such directory")
    files = sorted(path.glob("*.json"))
    if not files:
        raise HandoffDataError(f"{path}: no conversation files (*.json)")
    records = []
    for file in files:
        try:
            record = json.loads(file.read_text(encoding="utf-8"))
            record["turns"], record["source_fields"]["flow"]  # noqa: B018 - shape check
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise HandoffDataError(f"{file}: not a conversation in the curated ABCD format ({error})") from None
        record.setdefault("id", file.stem)
        records.append(record)
    return records


def handoff_point(record: dict[str, Any]) -> int | None:
    """The ``n`` of the last customer turn before the last system action (or the last customer turn)."""
    turns = record["turns"]
    actions = [t["n"] for t in turns if t["speaker"] == "system_action"]
    last_action = actions[-1] if actions else None
    customer = [t["n"] for t in turns if t["speaker"] == "customer" and (last_action is None or t["n"] < last_action)]
    if not customer:
        customer = [t["n"] for t in turns if t["speaker"] == "customer"]
    return customer[-1] if customer else None


def customer_turns_until_handoff(record: dict[str, Any]) -> list[dict[str, Any]]:
    point = handoff_point(record)
    return [t for t in record["turns"] if t["speaker"] == "customer" and point is not None and t["n"] <= point]


def account_from_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record's customer data as an account dict (the shape of the pack's accounts.json)."""
    customer = record.get("customer_record") or {}
    order = customer.get("order") or {}
    name = customer.get("customer_name")
    account_id = (
        record.get("customer_id")
        or customer.get("username")
        or (re.sub(r"[^a-z0-9]+", "", name.lower()) if name else None)
        or record.get("id")
    )
    return {
        "id": str(account_id),
        "name": name.title() if isinstance(name, str) and name.islower() else name,
        "username": customer.get("username"),
        "email": customer.get("email"),
        "phone": customer.get("phone"),
        "membership": customer.get("member_level"),
        "address": customer.get("address"),
        "orders": [order] if order else [],
        "history": [],
        "source": "ABCD customer record (MIT)",
    }


def record_values(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, value) of the customer record that count as facts the customer may give."""
    customer = record.get("customer_record") or {}
    address = customer.get("address") or {}
    order = customer.get("order") or {}
    values = [
        ("name", customer.get("customer_name")),
        ("username", customer.get("username")),
        ("email", customer.get("email")),
        ("phone", customer.get("phone")),
        ("order_id", order.get("order_id")),
        ("zip_code", address.get("zip_code")),
        ("address", address.get("street")),
    ]
    return [(field, str(value)) for field, value in values if value]


# ---- matching ------------------------------------------------------------------------------------


def _tokens(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def typed_in(field: str, value: str, text: str) -> bool:
    """Whether ``value`` (a record value of ``field``) was typed in ``text``, normalised."""
    if field == "phone":
        digits = _digits(value)[-10:]
        runs = ["".join(re.findall(r"\d", chunk)) for chunk in re.split(r"[^\d\s().+-]+", text)]
        return len(digits) >= 7 and any(digits in run for run in runs)
    needle = _tokens(value)
    if not needle:
        return False
    haystack = _tokens(text)
    return re.search(rf"(?:^| ){re.escape(needle)}(?: |$)", haystack) is not None or (
        " " in needle and needle.replace(" ", "") in haystack.split()
    )


def holds(field: str, value: str, fact_value: str) -> bool:
    """Whether a key fact's value holds the record value (equal, or contains it as whole words)."""
    if field == "phone":
        return len(_digits(fact_value)) >= 7 and _digits(value)[-10:] == _digits(fact_value)[-10:]
    return typed_in(field, value, fact_value)


# ---- scoring -----------------------------------------------------------------------------------


def score_conversation(
    record: dict[str, Any], events: list[EventRecord], payload: dict[str, Any], pack: Pack
) -> dict[str, Any]:
    """Score one handoff payload against its source conversation (see the module docstring)."""
    customer_text = {e.seq: e.event.text for e in events if isinstance(e.event, CustomerMessage)}
    until = customer_turns_until_handoff(record)
    typed_texts = [t["text"] for t in until]

    required = []
    for field, value in record_values(record):
        if any(typed_in(field, value, text) for text in typed_texts):
            required.append((field, value))

    facts = [f for f in payload.get("key_facts") or [] if isinstance(f, dict)]

    def kept(field: str, value: str, allowed: Collection[str] | None = None) -> bool:
        for fact in facts:
            if allowed is not None and fact.get("kind") not in allowed:
                continue
            source = fact.get("source_seq")
            text = customer_text.get(source) if isinstance(source, int) else None
            if text is None or not holds(field, value, str(fact.get("value", ""))):
                continue
            if typed_in(field, value, text):
                return True
        return False

    missed = [f"{field}={value}" for field, value in required if not kept(field, value)]
    baseline_missed = [f"{field}={value}" for field, value in required if not kept(field, value, BASELINE_KINDS)]

    flow = record["source_fields"]["flow"]
    subflow = record["source_fields"]["subflow"]
    gold_team = pack.team_for(flow, subflow)
    routed = (payload.get("routing") or {}).get("team")

    gold_next = expected_next_step(record)
    next_action = payload.get("next_action") or {}
    predicted_next = next_action.get("step") if isinstance(next_action, dict) else None

    transcript = " \n ".join(str(t.get("text", "")) for t in payload.get("transcript") or [])
    if not transcript:
        transcript = " \n ".join(str(getattr(e.event, "text", "")) for e in events)
    account_text = json.dumps(payload.get("account") or {}, default=str)
    unsupported = [
        f"{f.get('kind')}={f.get('value')}"
        for f in facts
        if not (_supported(str(f.get("value", "")), transcript) or _supported(str(f.get("value", "")), account_text))
    ]
    summary = payload.get("summary") or ""
    return {
        "id": record.get("id"),
        "intent": f"{flow}/{subflow}",
        "required": [f"{field}={value}" for field, value in required],
        "missed": missed,
        "baseline_missed": baseline_missed,
        "team": routed,
        "gold_team": gold_team,
        "team_ok": routed == gold_team,
        "next_step": predicted_next,
        "gold_next_step": gold_next,
        "next_ok": None if gold_next is None else predicted_next == gold_next,
        "summary_words": len(summary.split()),
        "key_facts": len(facts),
        "unsupported": unsupported,
    }


def _supported(value: str, text: str) -> bool:
    if not value.strip():
        return False
    digits = _digits(value)
    if len(digits) >= 7 and len(digits) >= len(re.sub(r"\W", "", value)) - 2:  # phone-like: digits only
        return digits in _digits(text) or typed_in("value", value, text)
    return typed_in("value", value, text)


def expected_next_step(record: dict[str, Any]) -> str | None:
    """The ``actions_taken`` step after the system actions taken before the handoff point."""
    point = handoff_point(record)
    actions = record["source_fields"].get("actions_taken") or []
    if point is None:
        return None
    done = sum(1 for t in record["turns"] if t["speaker"] == "system_action" and t["n"] < point)
    return actions[done] if done < len(actions) else None


def aggregate(scores: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(scores)
    if not n:
        return {"n": 0}
    required = sum(len(s["required"]) for s in scores)
    missed = sum(len(s["missed"]) for s in scores)
    words = [s["summary_words"] for s in scores]
    known_next = [s for s in scores if s["next_ok"] is not None]
    facts = sum(s["key_facts"] for s in scores)
    return {
        "n": n,
        "repeat_context_rate": sum(1 for s in scores if s["missed"]) / n,
        "baseline_repeat_context_rate": sum(1 for s in scores if s["baseline_missed"]) / n,
        "fact_recall": (required - missed) / required if required else 1.0,
        "required_facts": required,
        "summary_words_max": max(words),
        "summary_words_mean": round(sum(words) / n, 1),
        "team_accuracy": sum(1 for s in scores if s["team_ok"]) / n,
        "next_action_accuracy": sum(1 for s in known_next if s["next_ok"]) / len(known_next) if known_next else None,
        "next_action_known": len(known_next),
        "unsupported_fact_rate": sum(len(s["unsupported"]) for s in scores) / facts if facts else 0.0,
        "misses": [{"id": s["id"], "missed": s["missed"]} for s in scores if s["missed"]],
        "unsupported": [{"id": s["id"], "facts": s["unsupported"]} for s in scores if s["unsupported"]],
    }
