"""Rebuild the AcmeBrands demo pack's derived data files from the public datasets.

    python -m warmline.packs.demo.build [--data ../shared/data]

Writes (next to this file): ``team_map.json``, ``articles.json``, ``procedures.json``,
``accounts.json``, ``negatives.jsonl`` (CLINC150, CC BY 3.0), ``bitext.jsonl`` (Bitext,
CDLA-Sharing-1.0) and the licence texts. ``intents.yaml`` is hand-written and not touched.
Then ``python -m warmline.model.build demo`` retrains the shipped classifier.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

# CLINC150 intents too close to retail support to serve as out-of-scope examples.
CLINC_SUPPORT_LIKE = {
    "order",
    "order_status",
    "shopping_list",
    "shopping_list_update",
    "card_declined",
    "pay_bill",
    "bill_balance",
    "bill_due",
    "cancel",
    "change_user_name",
    "user_name",
    "report_fraud",
    "account_blocked",
    "transactions",
    "spending_history",
    "redeem_rewards",
    "rewards_balance",
    "new_card",
    "replacement_card_duration",
    "damaged_card",
    "international_fees",
    "balance",
    "min_payment",
    "freeze_account",
    "pin_change",
    "expiration_date",
}
CLINC_SMALLTALK = {"greeting", "goodbye", "thank_you", "yes", "no", "maybe"}
# Bitext intents that match an ABCD subflow closely enough to add their phrasings.
BITEXT_TO_SUBFLOW = {
    "recover_password": "account_access/recover_password",
    "get_refund": "product_defect/refund_initiate",
    "track_refund": "product_defect/refund_status",
    "check_refund_policy": "storewide_query/policy",
    "track_order": "shipping_issue/status",
    "payment_issue": "troubleshoot_site/credit_card",
    "cancel_order": "order_issue/manage_cancel",
}
BITEXT_PER_INTENT = 25
CLINC_PER_INTENT = 6


def flow_id(display: str) -> str:
    return re.sub(r"[^a-z]+", "_", display.lower()).strip("_")


def build(data: Path) -> None:
    abcd = data / "abcd"
    ontology = json.loads((abcd / "ontology.json").read_text())
    guidelines = json.loads((abcd / "guidelines.json").read_text())
    kb = json.loads((abcd / "kb.json").read_text())
    shutil.copyfile(abcd / "team_map.json", HERE / "team_map.json")
    licences = HERE / "licences"
    licences.mkdir(exist_ok=True)
    shutil.copyfile(abcd / "LICENSE", licences / "ABCD-MIT.txt")
    shutil.copyfile(data / "clinc150" / "LICENSE", licences / "CLINC150-CC-BY-3.0.txt")
    shutil.copyfile(data / "bitext" / "LICENSE.txt", licences / "Bitext-CDLA-Sharing-1.0.txt")

    articles: list[dict[str, Any]] = []
    procedures: dict[str, list[dict[str, str]]] = {}
    for display, flow in guidelines.items():
        fid = flow_id(display)
        subflow_ids = ontology["intents"]["subflows"][fid]
        if len(subflow_ids) != len(flow["subflows"]):
            raise SystemExit(f"guidelines and ontology disagree on {fid}")
        for subflow_id, (title, sub) in zip(subflow_ids, flow["subflows"].items(), strict=True):
            key = f"{fid}/{subflow_id}"
            steps = []
            for action in sub["actions"]:
                text = " ".join([action["text"], *action["subtext"]]).strip()
                steps.append({"button": action["button"], "type": action["type"], "text": text})
            buttons = kb.get(subflow_id, [])
            procedures[key] = [{"action": b, **_guideline_for(b, steps)} for b in buttons]
            passages = [p for p in sub["instructions"] if p.strip()]
            passages += [f"{s['button']}: {s['text']}" for s in steps if s["button"] not in ("N/A", "")]
            articles.append(
                {
                    "id": f"acme-{fid.replace('_', '-')}-{subflow_id.replace('_', '-')}",
                    "title": f"{display}: {title}",
                    "flow": fid,
                    "subflow": subflow_id,
                    "summary": flow["description"],
                    "passages": passages,
                    "source": "ABCD guidelines.json and kb.json (MIT)",
                }
            )
    (HERE / "articles.json").write_text(json.dumps(articles, indent=1, ensure_ascii=False) + "\n")
    (HERE / "procedures.json").write_text(json.dumps(procedures, indent=1, ensure_ascii=False) + "\n")

    rng = random.Random(13)
    clinc = [json.loads(line) for line in (data / "clinc150" / "train.jsonl").read_text().splitlines() if line]
    by_intent: dict[str, list[str]] = {}
    for row in clinc:
        by_intent.setdefault(row["intent"], []).append(row["text"])
    negatives = []
    for intent, texts in sorted(by_intent.items()):
        if intent in CLINC_SUPPORT_LIKE:
            continue
        if intent == "oos":
            chosen, label = texts, "oos"
        elif intent in CLINC_SMALLTALK:
            chosen, label = rng.sample(texts, 15), "smalltalk"
        else:
            chosen, label = rng.sample(texts, CLINC_PER_INTENT), "oos"
        negatives += [{"text": t, "intent": label, "source": f"clinc150/train:{intent}"} for t in chosen]
    _write_jsonl(HERE / "negatives.jsonl", negatives)

    bitext = [json.loads(line) for line in (data / "bitext" / "train.jsonl").read_text().splitlines() if line]
    extra = []
    for intent, target in BITEXT_TO_SUBFLOW.items():
        texts = [r["text"] for r in bitext if r["intent"] == intent]
        for text in rng.sample(texts, min(BITEXT_PER_INTENT, len(texts))):
            extra.append({"text": text, "intent": target, "source": f"bitext/train:{intent}"})
    _write_jsonl(HERE / "bitext.jsonl", extra)

    accounts: dict[str, dict[str, Any]] = {}
    for path in sorted((data / "abcd_conversations" / "dev").glob("*.json")):
        record = json.loads(path.read_text())["customer_record"]
        username = record.get("username")
        if not username or username in accounts or len(accounts) >= 12:
            continue
        order = record.get("order") or {}
        accounts[username] = {
            "id": username,
            "name": record["customer_name"].title(),
            "username": username,
            "email": record.get("email"),
            "phone": record.get("phone"),
            "membership": record.get("member_level"),
            "address": record.get("address"),
            "orders": [
                {
                    "order_id": order.get("order_id") or f"{abs(hash(username)) % 10**10:010d}",
                    "purchase_date": order.get("purchase_date"),
                    "products": order.get("products", []),
                }
            ],
            "history": [],
            "source": "ABCD customer record (MIT)",
        }
    (HERE / "accounts.json").write_text(json.dumps(list(accounts.values()), indent=1, ensure_ascii=False) + "\n")


def _guideline_for(button: str, steps: list[dict[str, str]]) -> dict[str, str]:
    wanted = button.replace("-", " ").lower()
    for step in steps:
        if step["button"].lower() == wanted:
            return {"button": step["button"], "guideline": step["text"]}
    return {"button": button.replace("-", " ").title(), "guideline": ""}


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    build(parser.parse_args().data)
