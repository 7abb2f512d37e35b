"""Training the escalation signals (``warmline.model.signals``) from the pack's signal data.

Data, all in ``<pack>/signals/`` (see its README): the templates of eight languages expanded by
``generate.py``, the public examples of ``public.jsonl`` (Bitext, NLU++, CLINC150, ABCD) and the
hand-written ``handwritten.jsonl``; the pack's own intent utterances count as in scope. Each
example has a *kind*; ``LABELS`` says what each kind is for each signal (``None``: not used).

Every step is seeded, so a build is reproducible. Each head is calibrated (Platt scaling) on
out-of-source scores: the sources are dealt into five folds, a head fitted without a fold scores
it, and the pooled scores calibrate the head fitted on everything. The conversation stage is
trained on dialogues scored in the same way, by heads that were not fitted on their turns.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from warmline.model.signals import (
    DENSE_SIZE,
    HASH_SIZE,
    SIGNALS,
    LogisticHead,
    SignalModel,
    conversation_features,
    sparse_features,
    style_features,
)

log = logging.getLogger(__name__)
Embed = Callable[[Sequence[str]], np.ndarray]

# kind -> (human_request, frustration, out_of_scope) label; None leaves the example out of that head.
LABELS: dict[str, tuple[int | None, int | None, int | None]] = {
    "human_request": (1, None, 0),
    "not_human_request": (0, 0, 0),
    "frustrated": (0, 1, 0),
    "not_frustrated": (0, 0, 0),
    "out_of_scope": (0, 0, 1),
    "in_scope": (0, 0, 0),
    # Single messages for the frustration head alone (``signals/first_messages.yaml``): an angry
    # first message, and a lively calm one ("!!", "lol", emojis, a mild complaint). The request and
    # off-topic heads do not read them, so this data cannot move those two signals.
    "frustrated_message": (None, 1, None),
    "calm_message": (None, 0, None),
}
L2 = {"human_request": 3e-5, "frustration": 3e-5, "out_of_scope": 3e-5}
STEPS = 400
CALIBRATION_FOLDS = 5
WRITTEN_WEIGHT = 3.0
LEARNING_RATE = 0.05
FIRST_MESSAGES = "first_messages"


@dataclass(frozen=True)
class Row:
    text: str
    kind: str
    lang: str
    source: str

    @property
    def group(self) -> str:
        """The data source, for leave-one-source-out: ``bitext``, ``generated/de``, ``team/pl``, ``handwritten``..."""
        head = self.source.split(":", 1)[0]
        return head if head.startswith(("generated/", "team/")) else head.split("/", 1)[0]

    @property
    def weight(self) -> float:
        """Examples written one by one count more than template expansions and public data: they are
        the closest to what customers type, and there are far fewer of them."""
        return WRITTEN_WEIGHT if self.group.startswith(("team/", "handwritten", FIRST_MESSAGES)) else 1.0


def signal_rows(pack_path: Path) -> list[Row]:
    from warmline.packs.demo.signals.generate import generate

    rows = [Row(e.text, e.kind, e.lang, e.source) for e in generate()]
    rows.extend(team_rows(pack_path))
    rows.extend(first_message_rows(pack_path))
    for name in ("public.jsonl", "handwritten.jsonl"):
        path = pack_path / "signals" / name
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    item = json.loads(line)
                    rows.append(Row(item["text"], item["kind"], item.get("lang", "en"), item.get("source", name)))
    rows.extend(pack_intent_rows(pack_path))
    unknown = {r.kind for r in rows} - set(LABELS)
    if unknown:
        raise ValueError(f"unknown example kinds {sorted(unknown)}")
    return rows


def team_rows(pack_path: Path) -> list[Row]:
    """The examples written one by one per language (``signals/team/<lang>[-<part>].yaml``: kind -> texts)."""
    rows: list[Row] = []
    for path in sorted((pack_path / "signals" / "team").glob("*.yaml")):
        lang = path.stem.split("-", 1)[0]
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for kind, texts in spec.items():
            rows.extend(Row(str(text), kind, lang, f"team/{lang}:{path.stem}:{kind}") for text in texts or [])
    return rows


def first_message_rows(pack_path: Path) -> list[Row]:
    """The single messages of ``signals/first_messages.yaml`` (lang -> kind -> texts), one source
    (``first_messages``) for calibration and leave-one-source-out. Kept smaller than every other
    source so that dealing the sources into calibration folds (largest first) leaves theirs as
    they were."""
    path = pack_path / "signals" / f"{FIRST_MESSAGES}.yaml"
    if not path.is_file():
        return []
    spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        Row(str(text), kind, lang, f"{FIRST_MESSAGES}/{lang}:{kind}")
        for lang, kinds in spec.items()
        for kind, texts in (kinds or {}).items()
        for text in texts or []
    ]


def pack_intent_rows(pack_path: Path) -> list[Row]:
    """The intent classifier's training utterances (``intents.yaml``, ``generated.jsonl``): in
    scope, in every language they are written in, except the ones labelled out of scope."""
    rows = []
    intents = yaml.safe_load((pack_path / "intents.yaml").read_text(encoding="utf-8")) or {}
    for flow, subflows in intents.items():
        for subflow, spec in (subflows or {}).items():
            for text in spec.get("examples", []):
                rows.append(Row(text, "in_scope", "en", f"pack/intents:{flow}/{subflow}"))
    generated = pack_path / "generated.jsonl"
    if generated.is_file():
        for line in generated.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                kind = "out_of_scope" if item["intent"] == "oos" else "in_scope"
                lang = str(item.get("source", "")).rsplit(":", 1)[-1] or "en"
                rows.append(
                    Row(item["text"], kind, lang if len(lang) == 2 else "en", f"pack/generated:{item['intent']}")
                )
    return rows


def data_digest(pack_path: Path) -> str:
    """Content hash of the signal data (``<pack>/signals/``): the artifact's stamp. The pack's
    intent utterances are an input too but are not stamped, so that editing an intent does not
    make every start retrain the signals; ``warmline model build`` refreshes both."""
    digest = hashlib.sha256()
    folder = pack_path / "signals"
    for path in sorted([*folder.rglob("*.yaml"), *folder.glob("*.jsonl"), *folder.glob("*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


class Features:
    """Sparse (CSR) and dense features of a list of texts."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for text in texts:
            sparse = sparse_features(text)
            indices.extend(sparse.keys())
            data.extend(sparse.values())
            indptr.append(len(indices))
        self.indptr = np.array(indptr, dtype=np.int64)
        self.indices = np.array(indices, dtype=np.int64)
        self.data = np.array(data, dtype=np.float64)
        self.rows = np.repeat(np.arange(len(texts)), np.diff(self.indptr))
        style = np.stack([style_features(t) for t in texts]) if texts else np.zeros((0, 7))
        self.dense = np.concatenate([style, vectors], axis=1).astype(np.float64)
        self.n = len(texts)

    def subset(self, mask: np.ndarray) -> Features:
        chosen = np.flatnonzero(mask)
        new = object.__new__(Features)
        lengths = np.diff(self.indptr)[chosen]
        new.indptr = np.concatenate([[0], np.cumsum(lengths)])
        pieces = [np.arange(self.indptr[i], self.indptr[i + 1]) for i in chosen]
        take = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
        new.indices, new.data = self.indices[take], self.data[take]
        new.rows = np.repeat(np.arange(len(chosen)), lengths)
        new.dense, new.n = self.dense[chosen], len(chosen)
        return new

    def logits(self, sparse_w: np.ndarray, dense_w: np.ndarray, bias: float) -> np.ndarray:
        sparse = np.bincount(self.rows, weights=self.data * sparse_w[self.indices], minlength=self.n)
        return sparse + self.dense @ dense_w + bias


def fit_head(
    features: Features, y: np.ndarray, l2: float, steps: int = STEPS, row_weight: np.ndarray | None = None
) -> LogisticHead:
    """Class-balanced logistic regression (rows weighted by ``row_weight``), full-batch Adam (deterministic)."""
    row_weight = np.ones(len(y)) if row_weight is None else row_weight
    positives = max(1e-9, float(row_weight[y == 1].sum()))
    negatives = max(1e-9, float(row_weight[y == 0].sum()))
    weights = row_weight * np.where(y == 1, 0.5 / positives, 0.5 / negatives)
    params = [np.zeros(HASH_SIZE), np.zeros(DENSE_SIZE), np.zeros(1)]
    moments = [np.zeros_like(p) for p in params]
    squares = [np.zeros_like(p) for p in params]
    beta1, beta2 = 0.9, 0.999
    for step in range(1, steps + 1):
        z = features.logits(params[0], params[1], float(params[2][0]))
        residual = weights * (1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))) - y)
        grads = [
            np.bincount(features.indices, weights=features.data * residual[features.rows], minlength=HASH_SIZE)
            + l2 * params[0],
            features.dense.T @ residual + l2 * params[1],
            np.array([residual.sum()]),
        ]
        for p, g, m, v in zip(params, grads, moments, squares, strict=True):
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            p -= LEARNING_RATE * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + 1e-8)
    return LogisticHead(
        sparse=params[0].astype(np.float32), dense=params[1].astype(np.float32), bias=float(params[2][0])
    )


def fit_platt(logits: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling (a·z + b) by Newton's method on the held-out logits, with Platt's smoothed targets."""
    positives, negatives = y.sum(), len(y) - y.sum()
    target = np.where(y == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(a * logits + b, -30, 30)))
        w = np.maximum(p * (1 - p), 1e-9)
        g = np.array([np.sum((p - target) * logits), np.sum(p - target)])
        h = np.array([[np.sum(w * logits * logits) + 1e-6, np.sum(w * logits)], [np.sum(w * logits), np.sum(w) + 1e-6]])
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-7:
            break
    return float(a), float(b)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    """Small dense logistic regression by Newton's method: returns [bias, weights...]."""
    design = np.concatenate([np.ones((len(x), 1)), x], axis=1)
    w = np.zeros(design.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ w, -30, 30)))
        g = design.T @ (p - y) / len(y) + l2 * np.r_[0.0, w[1:]]
        h = (design * (p * (1 - p))[:, None]).T @ design / len(y) + l2 * np.diag(np.r_[1e-6, np.ones(len(w) - 1)])
        step = np.linalg.solve(h, g)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def head_labels(rows: Sequence[Row], signal: str) -> np.ndarray:
    """+1/0 per row for ``signal``, -1 for rows the head does not use."""
    column = SIGNALS.index(signal)
    return np.array([-1 if (label := LABELS[r.kind][column]) is None else label for r in rows])


def calibration_folds(rows: Sequence[Row], folds: int = CALIBRATION_FOLDS) -> np.ndarray:
    """Each row's calibration fold. Whole sources go to one fold (dealt out by size), so that a
    head is calibrated on writers it was not fitted on; the pack's intent utterances, one source
    that is most of the in-scope data, are spread over the folds by a hash of the text."""
    sizes: dict[str, int] = {}
    for row in rows:
        if row.group != "pack":
            sizes[row.group] = sizes.get(row.group, 0) + 1
    fold_of = {group: i % folds for i, group in enumerate(sorted(sizes, key=lambda g: (-sizes[g], g)))}
    return np.array(
        [zlib.crc32(r.text.lower().encode("utf-8")) % folds if r.group == "pack" else fold_of[r.group] for r in rows]
    )


@dataclass
class TrainedHeads:
    """The heads fitted on every row, the heads fitted without each fold, and each row's
    calibrated out-of-fold logit (the score a head gives a writer it was not fitted on)."""

    heads: dict[str, LogisticHead]
    folds: np.ndarray
    fold_heads: list[dict[str, LogisticHead]]
    out_of_fold: dict[str, np.ndarray]  # calibrated logit per row (nan where the head does not use the row)


def _fit(rows: Sequence[Row], features: Features, labels: np.ndarray, mask: np.ndarray, signal: str) -> LogisticHead:
    weight = np.array([r.weight for r, chosen in zip(rows, mask, strict=True) if chosen])
    return fit_head(features.subset(mask), labels[mask].astype(np.float64), L2[signal], row_weight=weight)


def _raw_logits(head: LogisticHead, features: Features) -> np.ndarray:
    return features.logits(head.sparse.astype(np.float64), head.dense.astype(np.float64), head.bias)


def train_heads(
    rows: Sequence[Row], features: Features, folds: int = CALIBRATION_FOLDS, signals: Sequence[str] = SIGNALS
) -> TrainedHeads:
    """One head per signal on every row, Platt-calibrated on out-of-source logits: for each fold,
    a head fitted on the other folds scores it; Platt scaling is fitted on those pooled scores and
    applied to the head fitted on everything. So a 0.5 means "likely" for customers who write
    unlike any one source, not only for text like the training data."""
    fold = calibration_folds(rows, folds)
    heads: dict[str, LogisticHead] = {}
    fold_heads: list[dict[str, LogisticHead]] = [{} for _ in range(folds)]
    out_of_fold: dict[str, np.ndarray] = {}
    for signal in signals:
        labels = head_labels(rows, signal)
        used = labels >= 0
        raw = np.full(len(rows), np.nan)
        for f in range(folds):
            head = _fit(rows, features, labels, used & (fold != f), signal)
            held = used & (fold == f)
            raw[held] = _raw_logits(head, features.subset(held))
            fold_heads[f][signal] = head
        a, b = fit_platt(raw[used], labels[used].astype(np.float64))
        heads[signal] = _fit(rows, features, labels, used, signal)
        for head in [heads[signal], *(h[signal] for h in fold_heads)]:
            head.platt_a, head.platt_b = a, b
        out_of_fold[signal] = a * raw + b
    return TrainedHeads(heads, fold, fold_heads, out_of_fold)


def train_conversation_stage(rows: Sequence[Row], trained: TrainedHeads, embed: Embed, seed: int = 13) -> np.ndarray:
    """The conversation stage, trained on conversations whose turns the scoring head was not
    fitted on: each fold's dialogues are composed of that fold's turns and scored by the head
    fitted without it (calibrated as the shipped head is)."""
    from warmline.packs.demo.signals.generate import Example, conversations

    folds = len(trained.fold_heads)
    x, y = [], []
    for f in range(folds):
        in_fold = [r for r, rf in zip(rows, trained.folds, strict=True) if rf == f]
        written = [r for r in in_fold if r.group.startswith(("generated/", "team/"))]
        examples = [Example(r.text, r.kind, r.lang, r.source) for r in written]
        dialogues = list(conversations(examples, seed=seed + f, count=3000 // folds))
        singles = [r for r in in_fold if LABELS[r.kind][1] is not None]
        texts = sorted({t for d in dialogues for t in d.turns} | {r.text for r in singles})
        if not texts:
            continue
        vectors = dict(zip(texts, embed(texts), strict=True))
        frustration = trained.fold_heads[f]["frustration"]
        logits = {
            t: frustration.logit(sparse_features(t), np.concatenate([style_features(t), vectors[t]])) for t in texts
        }
        for dialogue in dialogues:
            *earlier, last = dialogue.turns
            earlier_vectors = np.stack([vectors[t] for t in earlier[-4:]])
            earlier_scores = [1.0 / (1.0 + np.exp(-logits[t])) for t in earlier]
            x.append(
                conversation_features(logits[last], last, vectors[last], earlier[-4:], earlier_vectors, earlier_scores)
            )
            y.append(1.0 if dialogue.frustrated else 0.0)
        for row in singles:
            x.append(conversation_features(logits[row.text], row.text, vectors[row.text], [], None, []))
            y.append(float(LABELS[row.kind][1] or 0))
    return fit_logistic(np.array(x), np.array(y))


def train(
    pack_path: Path, embed: Embed, *, exclude_group: str | None = None, keep: SignalModel | None = None
) -> tuple[SignalModel, dict[str, Any]]:
    """Train the signal model from the pack's data; ``exclude_group`` leaves one source out.

    With ``keep``, only frustration is retrained (its head and the conversation stage, which reads
    nothing else): the request and off-topic heads are ``keep``'s, unchanged. The frustration
    work then cannot move the other two signals, whatever else changed in the data since ``keep``
    was built (the pack's intent utterances, which all three heads read, are not stamped)."""
    started = time.perf_counter()
    rows = [r for r in signal_rows(pack_path) if r.group != exclude_group]
    features = Features([r.text for r in rows], embed([r.text for r in rows]))
    trained = train_heads(rows, features, signals=("frustration",) if keep else SIGNALS)
    if keep is not None:
        trained.heads = {**keep.heads, "frustration": trained.heads["frustration"]}
    conversation = train_conversation_stage(rows, trained, embed)
    report = {
        "examples": len(rows),
        "by_kind": {k: sum(r.kind == k for r in rows) for k in LABELS},
        "languages": sorted({r.lang for r in rows}),
        "train_seconds": round(time.perf_counter() - started, 1),
        "held_out": held_out_report(rows, trained),
    }
    meta: dict[str, object] = {
        "data": data_digest(pack_path),
        "examples": len(rows),
        "calibration": f"out-of-source, {CALIBRATION_FOLDS} folds",
    }
    if keep is not None:  # the data the kept heads were trained from, carried over repeated rebuilds
        meta["kept_heads"] = keep.meta.get("kept_heads") or {
            signal: keep.meta.get("data") for signal in SIGNALS if signal != "frustration"
        }
    return SignalModel(trained.heads, conversation, meta), report


def held_out_report(rows: Sequence[Row], trained: TrainedHeads) -> dict[str, Any]:
    """Per signal on the out-of-fold scores (each row scored by the head fitted without its
    source): recall, precision and expected calibration error at 0.5."""
    from warmline.model.evaluation import expected_calibration_error

    result = {}
    for signal in trained.out_of_fold:
        labels = head_labels(rows, signal)
        used = labels >= 0
        p = 1.0 / (1.0 + np.exp(-np.clip(trained.out_of_fold[signal][used], -30, 30)))
        y = labels[used]
        flagged = p >= 0.5
        result[signal] = {
            "n": int(used.sum()),
            "recall": round(float(flagged[y == 1].mean()), 4) if (y == 1).any() else None,
            "precision": round(float((y[flagged] == 1).mean()), 4) if flagged.any() else None,
            "ece": round(expected_calibration_error(p, y.astype(float)), 4),
        }
    return result
