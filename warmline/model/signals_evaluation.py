"""Leave-one-source-out figures for the escalation signals (``warmline eval signals``).

For each data source (Bitext, NLU++, CLINC150, ABCD, the pack's intents, the hand-written set,
each language's generated templates), the signal model is trained without it and scored on it:
per signal, recall on the source's positives and the false-positive rate on its negatives at
the 0.5 threshold. A source that is all of one kind only has one of the two.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from warmline.model.signals import SIGNALS
from warmline.model.signals_training import LABELS, Row, signal_rows, train

Embed = Callable[[Sequence[str]], np.ndarray]


def source_groups(pack_path: Path) -> list[str]:
    return sorted({row.group for row in signal_rows(pack_path)})


def score_rows(model: Any, rows: Sequence[Row], embed: Embed) -> dict[str, Any]:
    vectors = embed([r.text for r in rows])
    turns = [model.turn(r.text, v) for r, v in zip(rows, vectors, strict=True)]
    result: dict[str, Any] = {"n": len(rows)}
    for column, signal in enumerate(SIGNALS):
        scores = np.array([getattr(t, signal) for t in turns])
        labels = np.array([-1 if (x := LABELS[r.kind][column]) is None else x for r in rows])
        positives, negatives = scores[labels == 1], scores[labels == 0]
        result[signal] = {
            "positives": int(len(positives)),
            "recall": round(float((positives >= 0.5).mean()), 4) if len(positives) else None,
            "negatives": int(len(negatives)),
            "false_positive_rate": round(float((negatives >= 0.5).mean()), 4) if len(negatives) else None,
        }
    return result


def memoised(embed: Embed) -> Embed:
    """``embed`` with every text encoded once (the runs share most of their texts)."""
    vectors: dict[str, np.ndarray] = {}

    def cached(texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in vectors]
        if missing:
            vectors.update(zip(missing, embed(missing), strict=True))
        return np.stack([vectors[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)

    return cached


def leave_one_source_out(pack_path: Path, embed: Embed, groups: Sequence[str] | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    embed = memoised(embed)
    rows = signal_rows(pack_path)
    chosen = list(groups) if groups else source_groups(pack_path)
    unknown = sorted(set(chosen) - {r.group for r in rows})
    if unknown:
        raise ValueError(f"unknown data sources {unknown}; known: {source_groups(pack_path)}")
    results = {}
    for group in chosen:
        model, _ = train(pack_path, embed, exclude_group=group)
        results[group] = score_rows(model, [r for r in rows if r.group == group], embed)
    return {"sources": results, "seconds": round(time.perf_counter() - started, 1)}
