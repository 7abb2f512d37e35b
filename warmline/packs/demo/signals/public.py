"""Extract the public examples the escalation signals train on into ``public.jsonl``.

    python -m warmline.packs.demo.signals.public [--data ../shared/data]

Each line is ``{"text", "kind", "lang": "en", "source"}`` with ``kind`` one of the generator's
kinds (see ``generate.py``). Sources (licences in ``../licences/``, see ``../ATTRIBUTION.md``):

* Bitext train split (CDLA-Sharing-1.0): ``contact_human_agent`` and ``contact_customer_service``
  are requests for a person (except questions about opening hours, which the bot answers); a
  sample of the other 25 intents (orders, refunds, accounts, invoices...) is in scope.
* NLU++ (CC BY 4.0): the ``handoff`` examples of banking and hotels are requests for a person;
  hotel and bank-product examples (rooms, spa, mortgages, savings...) are out of scope for a
  clothing store.
* CLINC150 train split (CC BY 3.0): ``oos`` and the intents of other domains are out of scope;
  greetings, thanks and questions about the assistant are in scope (the bot answers them);
  intents close to retail support (order status, card declined...) are left out.
* ABCD conversations (MIT): every customer turn of the curated development conversations is in
  scope for the store (ABCD customers talk to agents, so none asks for one).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
OUTPUT = HERE / "public.jsonl"

BITEXT_HUMAN = {"contact_human_agent", "contact_customer_service"}
HOURS_QUESTION = re.compile(r"\b(hours?|time|when|schedule|open)\b", re.I)
BITEXT_IN_SCOPE_PER_INTENT = 40
NLUPP_OUT_OF_SCOPE = {
    "savings", "current", "business", "overdraft", "loan", "mortgage", "cheque", "direct_debit",
    "standing_order", "balance", "withdrawal", "appointment", "check_in", "check_out", "restaurant",
    "swimming_pool", "parking", "pets", "accesibility", "booking", "wifi", "gym", "spa",
    "room_ammenities", "housekeeping", "room_service",
}  # fmt: skip
CLINC_IN_SCOPE = {
    "greeting", "goodbye", "thank_you", "yes", "no", "maybe", "are_you_a_bot", "what_is_your_name",
    "who_do_you_work_for", "what_can_i_ask_you", "who_made_you",
}  # fmt: skip
CLINC_LEFT_OUT = {
    "order", "order_status", "shopping_list", "shopping_list_update", "card_declined", "pay_bill",
    "bill_balance", "bill_due", "cancel", "change_user_name", "user_name", "report_fraud",
    "account_blocked", "transactions", "spending_history", "redeem_rewards", "rewards_balance",
    "new_card", "replacement_card_duration", "damaged_card", "international_fees", "balance",
    "min_payment", "freeze_account", "pin_change", "expiration_date", "repeat", "change_language",
    "reset_settings", "sync_device", "change_ai_name", "whisper_mode", "change_speed",
    "change_volume", "change_accent", "make_call", "text", "credit_limit", "credit_limit_change",
    "improve_credit_score", "credit_score", "payday", "taxes", "direct_deposit",
}  # fmt: skip
CLINC_PER_INTENT = 25


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def extract(data: Path) -> list[dict[str, str]]:
    rng = random.Random(13)
    rows: list[dict[str, str]] = []

    def add(text: str, kind: str, source: str) -> None:
        rows.append({"text": text.strip(), "kind": kind, "lang": "en", "source": source})

    bitext = _jsonl(data / "bitext" / "train.jsonl")
    by_intent: dict[str, list[str]] = {}
    for row in bitext:
        by_intent.setdefault(row["intent"], []).append(row["text"])
    for intent, texts in sorted(by_intent.items()):
        if intent in BITEXT_HUMAN:
            for text in texts:
                if not HOURS_QUESTION.search(text):
                    add(text, "human_request", f"bitext/train:{intent}")
        else:
            for text in rng.sample(texts, min(BITEXT_IN_SCOPE_PER_INTENT, len(texts))):
                add(text, "in_scope", f"bitext/train:{intent}")

    for domain in ("banking", "hotels"):
        for row in _jsonl(data / "nlupp" / f"{domain}.jsonl"):
            intents = set(row.get("intents") or [])
            if "handoff" in intents:
                add(row["text"], "human_request", f"nlupp/{domain}:handoff")
            elif intents & NLUPP_OUT_OF_SCOPE:
                add(row["text"], "out_of_scope", f"nlupp/{domain}:{sorted(intents & NLUPP_OUT_OF_SCOPE)[0]}")

    clinc = _jsonl(data / "clinc150" / "train.jsonl")
    clinc_by_intent: dict[str, list[str]] = {}
    for row in clinc:
        clinc_by_intent.setdefault(row["intent"], []).append(row["text"])
    for intent, texts in sorted(clinc_by_intent.items()):
        if intent in CLINC_LEFT_OUT:
            continue
        kind = "in_scope" if intent in CLINC_IN_SCOPE else "out_of_scope"
        chosen = texts if intent == "oos" else rng.sample(texts, min(CLINC_PER_INTENT, len(texts)))
        for text in chosen:
            add(text, kind, f"clinc150/train:{intent}")

    for path in sorted((data / "abcd_conversations" / "dev").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        for turn in record["turns"]:
            if turn["speaker"] == "customer" and len(turn["text"].split()) >= 2:
                add(turn["text"], "in_scope", f"abcd/{record['id']}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    rows = extract(args.data)
    OUTPUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} examples -> {OUTPUT}")


if __name__ == "__main__":
    main()
