"""Fitting the help-center evidence of the out-of-scope decision (``warmline.model.scope``).

``python -m warmline.model.scope_training [pack]`` (also ``warmline model build --only scope``)
writes ``<pack>/model/scope.json``: the log-likelihood ratio, off-topic against in scope, of how
well the store's help center answers a turn (its best passage's scope score and the share of the
turn's words the answering article uses).

Data: the signal training data's ``out_of_scope`` and ``in_scope`` examples (``signals/``, the
pack's intent utterances; never an evaluation set), a seeded sample of at most
``PER_SOURCE`` per source and kind (``PER_PACK_SOURCE`` of the pack's own utterances, which are
most of the in-scope data), without the turns the bot settles before this evidence is read: a
question about the customer's own records (``warmline.shop.topics``), a request about another
company's service, and a turn the help center answers well (``help_center_answers``). The two
classes weigh the same, so the fit's log-odds are the likelihood ratio and the head's calibrated
probability stays the prior. Seeded: the same data gives the same file.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from warmline.model.scope import (
    SCOPE_ARTIFACT,
    HelpCenterEvidence,
    ScopeEvidence,
    help_center_answers,
    other_company_request,
)
from warmline.model.signals_evaluation import memoised

PER_SOURCE = 160
PER_PACK_SOURCE = 400
SEED = 7
L2 = 1e-3
KINDS = ("in_scope", "out_of_scope")
Evidence = Callable[[Sequence[str]], list[HelpCenterEvidence]]


def fit_weighted_logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray, l2: float = L2) -> np.ndarray:
    """Weighted logistic regression by Newton's method: [bias, weights...]."""
    design = np.concatenate([np.ones((len(x), 1)), x], axis=1)
    weight = weight / weight.sum()
    w = np.zeros(design.shape[1])
    penalty = l2 * np.diag(np.r_[0.0, np.ones(len(w) - 1)])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ w, -30, 30)))
        gradient = design.T @ (weight * (p - y)) + penalty @ w
        hessian = (design * (weight * p * (1 - p))[:, None]).T @ design + penalty + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return w


def sample_rows(pack_path: Path) -> list[tuple[str, str, str]]:
    """(text, kind, source) of the seeded sample of in-scope and off-topic examples."""
    from warmline.model.signals_training import signal_rows

    by_source: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for row in signal_rows(pack_path):
        if row.kind in KINDS:
            by_source[(row.group, row.kind)].append((row.text, row.kind, row.group))
    rng = random.Random(SEED)
    chosen: list[tuple[str, str, str]] = []
    for key in sorted(by_source):
        rows = by_source[key]
        cap = PER_PACK_SOURCE if key[0] == "pack" else PER_SOURCE
        chosen.extend(rng.sample(rows, min(cap, len(rows))))
    return chosen


def fit_scope_evidence(
    rows: Sequence[tuple[str, str, str]], evidence: Evidence
) -> tuple[ScopeEvidence, dict[str, Any]]:
    """Fit the likelihood ratio on ``rows`` (text, kind, source), ``evidence`` giving each text's
    help-center evidence."""
    from warmline.shop.topics import read_turn

    settled = [read_turn(t).topic is not None or other_company_request(t) is not None for t, _, _ in rows]
    kept = [r for r, s in zip(rows, settled, strict=True) if not s]
    found = evidence([t for t, _, _ in kept])
    used = [(r, e) for r, e in zip(kept, found, strict=True) if not help_center_answers(e.score, e.coverage)]
    if not used or len({r[1] for r, _ in used}) < 2:
        raise ValueError("the help-center evidence needs off-topic and in-scope examples")
    x = np.array([[e.score, e.coverage] for _, e in used])
    y = np.array([1.0 if r[1] == "out_of_scope" else 0.0 for r, _ in used])
    positives, negatives = y.sum(), len(y) - y.sum()
    weight = np.where(y == 1, 0.5 / positives, 0.5 / negatives)
    w = fit_weighted_logistic(x, y, weight)
    z = np.concatenate([np.ones((len(x), 1)), x], axis=1) @ w
    p = 1.0 / (1.0 + np.exp(-z))
    loss = -float(np.sum(weight * (y * np.log(p) + (1 - y) * np.log(1 - p))))
    report = {
        "examples": len(rows),
        "settled_by_rules": int(sum(settled)),
        "answered_by_help_center": len(kept) - len(used),
        "fitted_on": {"out_of_scope": int(positives), "in_scope": int(negatives)},
        "balanced_log_loss": round(loss, 4),
        "log_ratio_range": [round(float(z.min()), 3), round(float(z.max()), 3)],
    }
    model = ScopeEvidence(round(float(w[0]), 4), round(float(w[1]), 4), round(float(w[2]), 4), meta=report)
    return model, report


def help_center_evidence(pack_path: Path) -> Evidence:
    """The pack's help center as the bot reads it, encoding in batches."""
    from warmline.model.encoder import shared_encoder
    from warmline.shop import help_center_index

    index = help_center_index(pack_path, memoised(shared_encoder().encode))
    if index is None:
        raise ValueError(f"{pack_path}: the pack has no help center")

    def evidence(texts: Sequence[str]) -> list[HelpCenterEvidence]:
        found: list[HelpCenterEvidence] = []
        for start in range(0, len(texts), 256):
            chunk = texts[start : start + 256]
            index.prefetch(chunk)
            for text in chunk:
                answer = index.answer(text)
                if answer is None:
                    found.append(HelpCenterEvidence(0.0, 0.0))
                else:
                    found.append(HelpCenterEvidence(answer.scope_score, index.coverage(text, answer.article_id)))
        return found

    return evidence


def build_scope_evidence(pack_path: Path) -> str:
    """Fit and write ``<pack>/model/scope.json``; a summary line."""
    started = time.perf_counter()
    model, report = fit_scope_evidence(sample_rows(pack_path), help_center_evidence(pack_path))
    path = pack_path / SCOPE_ARTIFACT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    ratios = ", ".join(
        f"x{math.exp(model.log_ratio(HelpCenterEvidence(score, 0.0))):.2f} at score {score}"
        for score in (0.15, 0.3, 0.45)
    )
    return (
        f"{pack_path.name} scope evidence: {report['fitted_on']['out_of_scope']} off-topic and "
        f"{report['fitted_on']['in_scope']} in-scope examples the help center does not answer well; "
        f"log ratio {model.bias:+.3f} {model.score_weight:+.3f}*score {model.coverage_weight:+.3f}*coverage "
        f"({ratios}), "
        f"{time.perf_counter() - started:.0f}s -> {path}"
    )


def main(argv: list[str]) -> None:
    from warmline.packs import load_pack

    pack = load_pack(argv[0] if argv else "demo")
    print(build_scope_evidence(pack.path))


if __name__ == "__main__":
    main(sys.argv[1:])
