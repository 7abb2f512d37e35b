"""Evaluations behind ``warmline eval intents|conversations|frustration`` and ``warmline bench model``.

Each returns a plain dict (the stable JSON interface); the CLI only parses flags and prints.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from warmline.evaluation.jsonl import json_lines
from warmline.model.analysis import Speaker, TurnAnalysis
from warmline.model.classifier import IntentClassifier


class EvaluationInputError(ValueError):
    """A data file is missing or malformed; the message says which file and line."""


def read_jsonl(path: Path, required: Sequence[str] = ("text", "intent")) -> list[dict[str, Any]]:
    if not path.is_file():
        raise EvaluationInputError(f"{path}: no such file")
    rows = []
    for number, row in json_lines(path, EvaluationInputError):
        if not isinstance(row, dict) or any(not isinstance(row.get(key), str) for key in required):
            raise EvaluationInputError(f"{path}:{number}: expected an object with string fields {list(required)}")
        rows.append(row)
    if not rows:
        raise EvaluationInputError(f"{path}: no examples")
    return rows


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            total += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(total)


def macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    scores = []
    for label in np.unique(gold):
        tp = np.sum((pred == label) & (gold == label))
        fp = np.sum((pred == label) & (gold != label))
        fn = np.sum((pred != label) & (gold == label))
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def evaluate_intents(
    train: list[dict[str, Any]],
    test: list[dict[str, Any]],
    oos_label: str = "oos",
    embed: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> dict[str, Any]:
    """Train a fresh product classifier on ``train`` and score it on ``test``."""
    if embed is None:
        from warmline.model.encoder import shared_encoder

        embed = shared_encoder().encode
    started = time.perf_counter()
    train_texts = [r["text"] for r in train]
    classifier = IntentClassifier(oos_label=oos_label)
    classifier.fit(train_texts, [r["intent"] for r in train], embed(train_texts))
    train_seconds = time.perf_counter() - started

    texts = [r["text"] for r in test]
    gold = np.array([r["intent"] for r in test])
    predictions = classifier.predict(texts, embed(texts))
    pred = np.array([label for label, _ in predictions])
    confidence = np.array([c for _, c in predictions])
    has_oos = oos_label in set(gold.tolist()) or oos_label in classifier.classes_
    in_scope = gold != oos_label
    result: dict[str, Any] = {
        "n": len(test),
        "n_train": len(train),
        "labels": len(set(classifier.classes_)),
        "accuracy": float(np.mean(pred == gold)),
        "in_scope_accuracy": float(np.mean(pred[in_scope] == gold[in_scope])) if in_scope.any() else None,
        "macro_f1": macro_f1(gold, pred),
        "ece": expected_calibration_error(confidence, (pred == gold).astype(float)),
        "oos_precision": None,
        "oos_recall": None,
        "oos_threshold": classifier.threshold if has_oos else None,
        "temperature": classifier.temperature,
        "train_seconds": round(train_seconds, 2),
    }
    if has_oos and (~in_scope).any():
        flagged = pred == oos_label
        result["oos_recall"] = float(np.mean(flagged[~in_scope]))
        result["oos_precision"] = float(np.mean(~in_scope[flagged])) if flagged.any() else 0.0
    latencies = []
    for text in texts[:200]:
        tick = time.perf_counter()
        classifier.predict([text], embed([text]))
        latencies.append((time.perf_counter() - tick) * 1000)
    result["p50_ms"] = round(float(np.percentile(latencies, 50)), 2)
    result["p99_ms"] = round(float(np.percentile(latencies, 99)), 2)
    return result


def evaluate_conversations(data: Path, model: Any | None = None) -> dict[str, Any]:
    """Feed each conversation's customer turns through the demo pack; score the held intent."""
    from warmline.model.analysis import Turn, TurnContext
    from warmline.packs import load_pack, normalise_subflow

    if not data.is_dir():
        raise EvaluationInputError(f"{data}: no such directory")
    files = sorted(data.glob("*.json"))
    if not files:
        raise EvaluationInputError(f"{data}: no conversation files (*.json)")
    pack = load_pack("demo")
    if model is None:
        from warmline.model import create_model

        model = create_model("embedded", pack)
    flow_ok = subflow_ok = team_ok = 0
    errors = []
    for file in files:
        try:
            convo = json.loads(file.read_text(encoding="utf-8"))
            gold_flow = convo["source_fields"]["flow"]
            gold_sub = normalise_subflow(gold_flow, convo["source_fields"]["subflow"])
            turns = convo["turns"]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise EvaluationInputError(f"{file}: not a conversation in the curated ABCD format ({error})") from None
        history: list[Turn] = []
        analyses: list[TurnAnalysis] = []
        facts: list[Any] = []
        for seq, turn in enumerate(turns, start=1):
            speakers: dict[str, Speaker] = {"customer": "customer", "agent": "agent"}
            speaker = speakers.get(turn.get("speaker"))
            if speaker is None:
                continue
            if speaker == "customer":
                analysis = model.analyse(
                    TurnContext(
                        conversation_id=convo.get("id", file.stem),
                        message_seq=seq,
                        text=turn["text"],
                        history=list(history),
                        analyses=list(analyses),
                        known_facts=list(facts),
                    )
                )
                analyses.append(analysis)
                facts.extend(analysis.facts)
            history.append(Turn(seq=seq, speaker=speaker, text=turn["text"]))
        final = analyses[-1] if analyses else None
        pred_flow = final.flow if final else None
        pred_sub = final.subflow if final else None
        flow_ok += pred_flow == gold_flow
        subflow_ok += pred_flow == gold_flow and pred_sub == gold_sub
        team_ok += pack.team_for(gold_flow, gold_sub) == (
            pack.team_for(pred_flow, pred_sub or "") if pred_flow else None
        )
        if (pred_flow, pred_sub) != (gold_flow, gold_sub):
            errors.append(
                {"id": convo.get("id", file.stem), "gold": f"{gold_flow}/{gold_sub}", "pred": f"{pred_flow}/{pred_sub}"}
            )
    n = len(files)
    return {
        "n": n,
        "flow_accuracy": flow_ok / n,
        "subflow_accuracy": subflow_ok / n,
        "team_accuracy": team_ok / n,
        "errors": errors,
    }


def evaluate_frustration(path: Path, model: Any | None = None, threshold: float = 0.6) -> dict[str, Any]:
    """Precision/recall of the cue-based frustration score on labelled multi-turn conversations
    (``{"id", "turns": [customer texts], "frustrated": bool}``); the conversation's score is the
    score after its last turn."""
    from warmline.model.analysis import Turn, TurnContext

    rows = read_jsonl(path, required=("id",))
    if model is None:
        from warmline.model import create_model
        from warmline.packs import load_pack

        model = create_model("embedded", load_pack("demo"))
    tp = fp = fn = tn = 0
    for row in rows:
        if not isinstance(row.get("turns"), list) or not isinstance(row.get("frustrated"), bool):
            raise EvaluationInputError(f"{path}: {row['id']}: expected 'turns' (list) and 'frustrated' (bool)")
        history: list[Turn] = []
        analyses: list[TurnAnalysis] = []
        for seq, text in enumerate(row["turns"], start=1):
            analyses.append(
                model.analyse(
                    TurnContext(
                        conversation_id=row["id"],
                        message_seq=seq,
                        text=text,
                        history=list(history),
                        analyses=list(analyses),
                    )
                )
            )
            history.append(Turn(seq=seq, speaker="customer", text=text))
        flagged = analyses[-1].frustration >= threshold
        tp += flagged and row["frustrated"]
        fp += flagged and not row["frustrated"]
        fn += (not flagged) and row["frustrated"]
        tn += (not flagged) and not row["frustrated"]
    return {
        "n": len(rows),
        "threshold": threshold,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "accuracy": (tp + tn) / len(rows),
    }


def environment_size_mb(root: str = "warmline") -> float:
    """Installed size, in MB, of ``root`` and its runtime dependency closure (no test/dev extras),
    plus the Python interpreter's own files are not counted."""
    import re
    from importlib import metadata

    seen: set[str] = set()
    stack = [root]
    total = 0
    while stack:
        name = re.sub(r"[-_.]+", "-", stack.pop()).lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for file in dist.files or []:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                total += path.stat().st_size
        for requirement in dist.requires or []:
            if "extra ==" in requirement:
                continue
            stack.append(re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0])
    if root == "warmline" and "warmline" in seen:  # an editable install lists no files: count the source
        package = Path(__file__).resolve().parents[1]
        total += sum(f.stat().st_size for f in package.rglob("*") if f.is_file() and "__pycache__" not in f.parts)
    return round(total / 1e6, 1)
