"""Escalation quality: ``warmline eval escalation`` metrics (stable JSON).

A case is ``{"id", "turns": [customer messages], "expect": category}`` with the category one of
``human_request``, ``out_of_scope``, ``frustration``, ``none``. ``run_case(turns)`` plays the turns
through the bot (stopping at the first escalation) and returns ``(first_trigger or None,
[decision_ms per turn])``.

Trigger -> category: ``human_request``, ``out_of_scope`` and ``frustration`` map to themselves;
``looping`` maps to ``frustration`` (a customer who restates the same unresolved need is what the
data set labels frustration, and DESIGN §3 lists repetition as a frustration cue);
``low_confidence`` is its own category: it is never expected by the sets, so it always counts as
a miss, and an expected ``none`` case that escalates for it is a false escalation. No trigger is
``none``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from warmline.evaluation.jsonl import json_lines

CATEGORIES = ("human_request", "out_of_scope", "frustration", "none")
TRIGGER_CATEGORY = {
    "human_request": "human_request",
    "out_of_scope": "out_of_scope",
    "frustration": "frustration",
    "looping": "frustration",
    "low_confidence": "low_confidence",
}
RunCase = Callable[[Sequence[str]], tuple[str | None, list[float]]]


class EscalationDataError(ValueError):
    """An escalation data file is unreadable; the message names the file and line."""


def read_cases(path: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for number, case in json_lines(path, EscalationDataError):
        turns = case.get("turns") if isinstance(case, dict) else None
        if (
            not isinstance(turns, list)
            or not turns
            or not all(isinstance(t, str) for t in turns)
            or case.get("expect") not in CATEGORIES
        ):
            raise EscalationDataError(
                f"{path}:{number}: a case needs 'turns' (non-empty list of strings) and 'expect' in {CATEGORIES}"
            )
        cases.append(case)
    return cases


def category(trigger: str | None) -> str:
    return "none" if trigger is None else TRIGGER_CATEGORY.get(trigger, trigger)


def escalation_metrics(results: Sequence[tuple[str, str | None, Sequence[float]]]) -> dict[str, Any]:
    """``results``: (expected category, first trigger or None, decision times in ms)."""
    expected = [e for e, _, _ in results]
    got = [category(t) for _, t, _ in results]
    timings = [ms for _, _, times in results for ms in times]
    n = len(results)
    per_category: dict[str, dict[str, float | int | None]] = {}
    for name in CATEGORIES:
        tp = sum(1 for e, g in zip(expected, got, strict=True) if e == name and g == name)
        predicted = sum(1 for g in got if g == name)
        actual = sum(1 for e in expected if e == name)
        per_category[name] = {
            "precision": round(tp / predicted, 4) if predicted else None,
            "recall": round(tp / actual, 4) if actual else None,
            "n": actual,
        }
    negatives = [g for e, g in zip(expected, got, strict=True) if e == "none"]
    return {
        "n": n,
        "accuracy": round(sum(e == g for e, g in zip(expected, got, strict=True)) / n, 4) if n else None,
        "per_category": per_category,
        "false_escalation_rate": round(sum(g != "none" for g in negatives) / len(negatives), 4) if negatives else None,
        "decision_p99_ms": round(float(np.percentile(timings, 99)), 4) if timings else None,
        "decision_p50_ms": round(float(np.percentile(timings, 50)), 4) if timings else None,
        "decisions": len(timings),
    }


def evaluate_cases(cases: Iterable[dict[str, Any]], run_case: RunCase) -> dict[str, Any]:
    """Run every case and compute the metrics; ``errors`` lists the cases that went wrong."""
    results: list[tuple[str, str | None, Sequence[float]]] = []
    errors: list[dict[str, Any]] = []
    for case in cases:
        trigger, times = run_case(case["turns"])
        results.append((case["expect"], trigger, times))
        if category(trigger) != case["expect"]:
            errors.append(
                {"id": case.get("id"), "expect": case["expect"], "got": category(trigger), "trigger": trigger}
            )
    report = escalation_metrics(results)
    report["errors"] = errors
    return report
