"""The trainable intent classifier: one kind for the product and for ``warmline eval intents``.

Design (docs/model.md has the measurements):

* Features: TF-IDF word 1-2-grams + TF-IDF character 2-5-grams (robust to typos and morphology)
  concatenated with the MiniLM sentence embedding (paraphrase-level meaning), scaled so that both
  parts matter. One multinomial logistic regression over the joint features.
* Out-of-scope examples in the training data (``oos_label``) are a class of their own.
* Calibration and the out-of-scope threshold are chosen automatically on an internal held-out
  share of the *training* data (never the test data): a temperature that minimises held-out NLL,
  then the highest confidence threshold whose held-out in-scope accuracy stays within
  ``accuracy_budget`` of the accuracy without any threshold. Below the threshold a prediction
  becomes out-of-scope. Without out-of-scope training examples no threshold is applied.

Only numpy: the vectoriser reproduces scikit-learn's ``TfidfVectorizer`` (same tokens, smoothed idf,
sublinear tf, l2 norm per block) and the regression is trained by mini-batch momentum SGD over the
mini-batch's own columns, so each step is two small dense matrix products (BLAS) instead of a
sparse-matrix library. The trained state is saved as plain arrays plus a JSON header (no pickle).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

Embedder = Callable[[Sequence[str]], np.ndarray]

ARTIFACT_FORMAT = "warmline-intent-classifier/1"
_WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token: two or more word characters
_SPACES = re.compile(r"\s\s+")


# ---- n-grams ----------------------------------------------------------------------------------
def word_ngrams(text: str) -> list[str]:
    """Lower-cased word unigrams and bigrams (bigrams joined by one space)."""
    tokens = _WORD_TOKEN.findall(text.lower())
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]


def char_wb_ngrams(text: str, low: int = 2, high: int = 5) -> list[str]:
    """Character n-grams inside space-padded words; a word shorter than n counts once, whole."""
    grams: list[str] = []
    for word in _SPACES.sub(" ", text.lower()).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if len(padded) <= n:
                grams.append(padded)
                break
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


_ANALYZERS: dict[str, Callable[[str], list[str]]] = {"word": word_ngrams, "char_wb": char_wb_ngrams}


# ---- sparse rows ------------------------------------------------------------------------------
class SparseRows(NamedTuple):
    """Compressed sparse rows: row ``r`` has columns ``indices[indptr[r]:indptr[r+1]]``."""

    indptr: np.ndarray  # int64, n_rows + 1
    indices: np.ndarray  # int32
    data: np.ndarray  # float32
    n_cols: int

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def take(self, rows: np.ndarray) -> SparseRows:
        """The given rows, in the given order."""
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        lengths = ends - starts
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        # position of every kept entry: its row's start plus its offset inside the row
        positions = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
        return SparseRows(indptr, self.indices[positions], self.data[positions], self.n_cols)

    def dense_block(self) -> tuple[np.ndarray, np.ndarray]:
        """(columns used, dense rows x used-columns matrix): a batch touches few columns, so this is small."""
        columns, inverse = np.unique(self.indices, return_inverse=True)
        block = np.zeros((self.n_rows, len(columns)), dtype=np.float32)
        block[np.repeat(np.arange(self.n_rows), np.diff(self.indptr)), inverse] = self.data
        return columns, block


def hstack_rows(left: SparseRows, right: SparseRows) -> SparseRows:
    """Columns of ``right`` after those of ``left``, row by row."""
    lengths = np.diff(left.indptr) + np.diff(right.indptr)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    rows_left = np.repeat(np.arange(left.n_rows), np.diff(left.indptr))
    rows_right = np.repeat(np.arange(right.n_rows), np.diff(right.indptr))
    order = np.argsort(np.concatenate([rows_left, rows_right]), kind="stable")
    indices = np.concatenate([left.indices, right.indices + left.n_cols])[order].astype(np.int32)
    data = np.concatenate([left.data, right.data])[order]
    return SparseRows(indptr, indices, data, left.n_cols + right.n_cols)


# ---- TF-IDF -----------------------------------------------------------------------------------
@dataclass
class TfidfBlock:
    """One TF-IDF block: sublinear tf (1 + ln count) x smoothed idf, each row l2-normalised."""

    analyzer: str
    vocabulary: dict[str, int]
    idf: np.ndarray

    @classmethod
    def fit(cls, analyzer: str, texts: Sequence[str], min_df: int = 1, max_features: int | None = None) -> TfidfBlock:
        document_freq: Counter[str] = Counter()
        total_freq: Counter[str] = Counter()
        for text in texts:
            counts = Counter(_ANALYZERS[analyzer](text))
            document_freq.update(counts.keys())
            total_freq.update(counts)
        kept = [gram for gram, df in document_freq.items() if df >= min_df]
        if not kept:  # tiny data: nothing occurs min_df times, keep everything rather than nothing
            kept = list(document_freq)
        if max_features is not None and len(kept) > max_features:
            kept = sorted(kept, key=lambda gram: (-total_freq[gram], gram))[:max_features]
        kept.sort()
        df = np.array([document_freq[gram] for gram in kept], dtype=np.float64)
        idf = np.log((1 + len(texts)) / (1 + df)) + 1  # smoothed: as if one document held every term
        return cls(analyzer, {gram: i for i, gram in enumerate(kept)}, idf.astype(np.float32))

    def transform(self, texts: Sequence[str]) -> SparseRows:
        analyze, vocabulary = _ANALYZERS[self.analyzer], self.vocabulary
        lengths, columns, counts = [], [], []
        for text in texts:
            known = [(vocabulary[g], c) for g, c in Counter(analyze(text)).items() if g in vocabulary]
            lengths.append(len(known))
            for column, count in known:
                columns.append(column)
                counts.append(count)
        indptr = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        indices = np.array(columns, dtype=np.int32)
        data = (1 + np.log(np.array(counts, dtype=np.float32))) * self.idf[indices]
        rows = np.repeat(np.arange(len(texts)), lengths)
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=len(texts)))
        data = data / np.maximum(norms, 1e-12)[rows]
        return SparseRows(indptr, indices, data.astype(np.float32), len(self.idf))

    def terms(self) -> list[str]:
        """The vocabulary in column order (how it is stored)."""
        ordered = [""] * len(self.vocabulary)
        for gram, column in self.vocabulary.items():
            ordered[column] = gram
        return ordered


# ---- multinomial logistic regression -----------------------------------------------------------
@dataclass
class SoftmaxWeights:
    """logits = sparse @ sparse_w + dense @ dense_w + bias."""

    sparse_w: np.ndarray  # (sparse columns, classes)
    dense_w: np.ndarray  # (dense columns, classes)
    bias: np.ndarray  # (classes,)

    def logits(self, sparse: SparseRows, dense: np.ndarray, batch: int = 512) -> np.ndarray:
        out = np.empty((sparse.n_rows, len(self.bias)), dtype=np.float32)
        for start in range(0, sparse.n_rows, batch):
            rows = np.arange(start, min(start + batch, sparse.n_rows))
            columns, block = sparse.take(rows).dense_block()
            out[rows] = block @ self.sparse_w[columns] + dense[rows] @ self.dense_w + self.bias
        return out


@dataclass
class _Momentum:
    """Heavy-ball SGD for one parameter; with ``rows`` only those rows move (the momentum of
    untouched sparse columns waits until their n-grams appear in a batch again)."""

    value: np.ndarray
    rate: float
    momentum: float
    velocity: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.velocity = np.zeros_like(self.value)

    def step(self, gradient: np.ndarray, rows: np.ndarray | slice = slice(None)) -> None:
        velocity = self.velocity[rows] * self.momentum + gradient
        self.velocity[rows] = velocity
        self.value[rows] -= self.rate * velocity


def train_softmax(
    sparse: SparseRows,
    dense: np.ndarray,
    target: np.ndarray,
    n_classes: int,
    *,
    l2: float,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    momentum: float,
    seed: int,
) -> SoftmaxWeights:
    """Minimise mean cross-entropy + l2/2 * |W|^2 with mini-batch momentum SGD and a fixed epoch budget.

    The budget, not convergence, is the stopping rule: with the weak L2 of C=10 the data are nearly
    separable and a converged fit only grows the weights; the temperature step re-calibrates anyway.
    """
    rng = np.random.default_rng(seed)
    dense = dense.astype(np.float32)
    sparse_w, dense_w, bias = (
        _Momentum(np.zeros(shape, dtype=np.float32), learning_rate, momentum)
        for shape in ((sparse.n_cols, n_classes), (dense.shape[1], n_classes), (n_classes,))
    )
    for _ in range(epochs):
        order = rng.permutation(sparse.n_rows)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            columns, block = sparse.take(rows).dense_block()
            logits = block @ sparse_w.value[columns] + dense[rows] @ dense_w.value + bias.value
            probs = _softmax(logits)
            probs[np.arange(len(rows)), target[rows]] -= 1  # d(cross-entropy)/d(logits)
            probs /= len(rows)
            sparse_w.step(block.T @ probs + l2 * sparse_w.value[columns], columns)
            dense_w.step(dense[rows].T @ probs + l2 * dense_w.value)
            bias.step(probs.sum(axis=0))
    return SoftmaxWeights(sparse_w.value, dense_w.value, bias.value)


# ---- the classifier ---------------------------------------------------------------------------
@dataclass
class IntentClassifier:
    """Fit on texts and labels; ``predict_proba`` returns calibrated probabilities per class."""

    oos_label: str | None = "oos"
    embed_scale: float = 2.0
    c: float = 10.0
    accuracy_budget: float = 0.005
    holdout_share: float = 0.2
    max_char_features: int | None = None
    # Measured on CLINC150 train -> val (docs/model.md): 30 epochs of batch-256 momentum SGD match a
    # converged L-BFGS fit within noise at a third of the time.
    epochs: int = 30
    batch_size: int = 256
    learning_rate: float = 3.0
    momentum: float = 0.9
    seed: int = 13
    classes_: list[str] = field(default_factory=list)
    temperature: float = 1.0
    threshold: float = 0.0
    # The log-odds of the best in-scope class against the out-of-scope class under which ``predict``
    # says out of scope (None: the max-probability ``threshold`` decides, as artifacts before it).
    oos_odds: float | None = None
    fit_seconds: float = 0.0
    _word: TfidfBlock | None = None
    _char: TfidfBlock | None = None
    _weights: SoftmaxWeights | None = None

    # ---- training -------------------------------------------------------------------------
    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        embeddings: np.ndarray,
        groups: Sequence[str] | None = None,
    ) -> IntentClassifier:
        """``groups``: texts that are variants of one phrasing share a group and are held out
        together, so that calibration sees phrasings the probe was not fitted on."""
        started = time.perf_counter()
        texts, y = list(texts), np.asarray(labels)
        if len(set(y)) < 2:
            raise ValueError("training data needs at least two distinct labels")
        if groups is not None and len(groups) != len(texts):
            raise ValueError("groups must give one group per text")
        held = self._holdout_indices(y, None if groups is None else np.asarray(groups))
        if held is not None:
            train = np.setdiff1d(np.arange(len(y)), held)
            probe = self._fit_once([texts[i] for i in train], y[train], embeddings[train])
            logits = probe._logits([texts[i] for i in held], embeddings[held])
            self.temperature = _fit_temperature(logits, probe.classes_, y[held])
            if self.oos_label is not None and self.oos_label in set(y):
                probs = _softmax(logits / self.temperature)
                self.threshold = _choose_threshold(probs, probe.classes_, y[held], self.oos_label, self.accuracy_budget)
                self.oos_odds = _choose_odds(probs, probe.classes_, y[held], self.oos_label, self.accuracy_budget)
        fitted = self._fit_once(texts, y, embeddings)
        self._word, self._char, self._weights, self.classes_ = (
            fitted._word,
            fitted._char,
            fitted._weights,
            fitted.classes_,
        )
        self.fit_seconds = time.perf_counter() - started
        return self

    def _holdout_indices(self, y: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray | None:
        counts = Counter(y.tolist())
        if len(y) < 40 or self.holdout_share <= 0:
            return None
        rng = np.random.default_rng(self.seed)
        held: list[int] = []
        for label in counts:
            index = np.flatnonzero(y == label)
            if len(index) < 3:
                continue  # too rare to spare one
            if groups is None:
                rng.shuffle(index)
                held.extend(index[: max(1, int(round(len(index) * self.holdout_share)))].tolist())
                continue
            names = np.unique(groups[index])
            if len(names) < 3:
                continue
            rng.shuffle(names)
            chosen = names[: max(1, int(round(len(names) * self.holdout_share)))]
            held.extend(index[np.isin(groups[index], chosen)].tolist())
        return np.array(sorted(held)) if held else None

    def _fit_once(self, texts: list[str], y: np.ndarray, embeddings: np.ndarray) -> IntentClassifier:
        part = IntentClassifier(**self.hyper_parameters())
        part._word = TfidfBlock.fit("word", texts)
        part._char = TfidfBlock.fit("char_wb", texts, min_df=2, max_features=self.max_char_features)
        part.classes_ = sorted({str(label) for label in y})
        target = np.searchsorted(np.array(part.classes_), y.astype(str))
        part._weights = train_softmax(
            part._sparse(texts),
            embeddings * self.embed_scale,
            target,
            len(part.classes_),
            l2=1.0 / (self.c * len(texts)),  # scikit-learn's C on the summed loss, per example here
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            momentum=self.momentum,
            seed=self.seed,
        )
        return part

    def hyper_parameters(self) -> dict[str, Any]:
        names = ("oos_label", "embed_scale", "c", "accuracy_budget", "holdout_share", "max_char_features")
        training = ("epochs", "batch_size", "learning_rate", "momentum", "seed")
        return {name: getattr(self, name) for name in (*names, *training)}

    # ---- inference ------------------------------------------------------------------------
    def _sparse(self, texts: Sequence[str]) -> SparseRows:
        if self._word is None or self._char is None:
            raise RuntimeError("the classifier is not trained")
        return hstack_rows(self._word.transform(texts), self._char.transform(texts))

    def _logits(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        if self._weights is None:
            raise RuntimeError("the classifier is not trained")
        dense = np.asarray(embeddings, dtype=np.float32).reshape(len(texts), -1) * np.float32(self.embed_scale)
        return self._weights.logits(self._sparse(texts), dense).astype(np.float64)

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities, columns in ``classes_`` order."""
        return _softmax(self._logits(texts, embeddings) / self.temperature)

    def predict(self, texts: Sequence[str], embeddings: np.ndarray) -> list[tuple[str, float]]:
        """(label, confidence) per text. Out of scope (``oos_label``) when the best in-scope class is
        not ``oos_odds`` more likely (in log-odds) than the out-of-scope class; without ``oos_odds``,
        below the max-probability threshold."""
        probs = self.predict_proba(texts, embeddings)
        oos = self.classes_.index(self.oos_label) if self.oos_label in self.classes_ else None
        out = []
        for row in probs:
            best = int(row.argmax())
            label, confidence = self.classes_[best], float(row[best])
            if oos is not None and self.oos_odds is not None:
                if in_odds(row[None, :], oos)[0] < self.oos_odds:
                    label = self.classes_[oos]
                else:
                    label = self.classes_[_in_scope_best(row[None, :], oos)[0]]
            elif self.oos_label is not None and confidence < self.threshold:
                label = self.oos_label
            out.append((label, confidence))
        return out

    # ---- persistence ----------------------------------------------------------------------
    def save(self, path: Path, meta: dict[str, Any] | None = None) -> None:
        """Arrays + a JSON header in one compressed ``.npz``; written to a temporary file, then renamed."""
        if self._word is None or self._char is None or self._weights is None:
            raise RuntimeError("the classifier is not trained")
        header = {
            "format": ARTIFACT_FORMAT,
            "meta": meta or {},
            "hyper_parameters": self.hyper_parameters(),
            "classes": self.classes_,
            "temperature": self.temperature,
            "threshold": self.threshold,
            "oos_odds": self.oos_odds,
            "fit_seconds": self.fit_seconds,
            "word_terms": self._word.terms(),
            "char_terms": self._char.terms(),
        }
        temporary = path.with_name(path.name + ".tmp")
        with temporary.open("wb") as handle:
            np.savez_compressed(
                handle,
                header=np.array(json.dumps(header, ensure_ascii=False)),
                word_idf=self._word.idf,
                char_idf=self._char.idf,
                sparse_w=self._weights.sparse_w,
                dense_w=self._weights.dense_w,
                bias=self._weights.bias,
            )
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> tuple[IntentClassifier, dict[str, Any]]:
        """(classifier, meta); raises ValueError for a file in another format."""
        with np.load(path, allow_pickle=False) as stored:
            header = json.loads(str(stored["header"]))
            if header.get("format") != ARTIFACT_FORMAT:
                raise ValueError(f"{path}: not a {ARTIFACT_FORMAT} artifact")
            classifier = cls(**header["hyper_parameters"])
            classifier.classes_ = list(header["classes"])
            classifier.temperature = float(header["temperature"])
            classifier.threshold = float(header["threshold"])
            odds = header.get("oos_odds")
            classifier.oos_odds = None if odds is None else float(odds)
            classifier.fit_seconds = float(header["fit_seconds"])
            classifier._word = _block("word", header["word_terms"], stored["word_idf"])
            classifier._char = _block("char_wb", header["char_terms"], stored["char_idf"])
            classifier._weights = SoftmaxWeights(
                stored["sparse_w"].astype(np.float32), stored["dense_w"].astype(np.float32), stored["bias"]
            )
        return classifier, header["meta"]


def _block(analyzer: str, terms: list[str], idf: np.ndarray) -> TfidfBlock:
    return TfidfBlock(analyzer, {term: i for i, term in enumerate(terms)}, idf.astype(np.float32))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _fit_temperature(logits: np.ndarray, classes: list[str], y: np.ndarray) -> float:
    index = {c: i for i, c in enumerate(classes)}
    known = np.array([label in index for label in y])
    if not known.any():
        return 1.0
    target = np.array([index[label] for label in y[known]])
    logits = logits[known]
    best, best_nll = 1.0, np.inf
    for temperature in np.exp(np.linspace(np.log(0.05), np.log(5.0), 61)):
        probs = _softmax(logits / temperature)
        nll = -np.mean(np.log(probs[np.arange(len(target)), target] + 1e-12))
        if nll < best_nll:
            best, best_nll = float(temperature), nll
    return best


def _choose_threshold(probs: np.ndarray, classes: list[str], y: np.ndarray, oos_label: str, budget: float) -> float:
    """Highest threshold keeping held-out in-scope accuracy within ``budget`` of the unthresholded one."""
    pred = np.array(classes)[probs.argmax(axis=1)]
    return _highest_limit(probs.max(axis=1), pred, y, oos_label, budget, none=0.0)


def _highest_limit(
    scores: np.ndarray, pred: np.ndarray, y: np.ndarray, oos_label: str, budget: float, none: float
) -> float:
    """The highest limit on ``scores`` (a turn under it is out of scope) that keeps held-out
    in-scope accuracy within ``budget`` of the accuracy of ``pred`` without a limit; ``none`` when
    no limit does (or there is no in-scope example)."""
    in_scope = y != oos_label
    if not in_scope.any():
        return none
    base = float(np.mean(pred[in_scope] == y[in_scope]))
    best = none
    for limit in np.unique(np.round(scores, 4)):
        thresholded = np.where(scores < limit, oos_label, pred)
        if np.mean(thresholded[in_scope] == y[in_scope]) >= base - budget:
            best = float(limit)
    return best


def _in_scope_best(probs: np.ndarray, oos: int) -> np.ndarray:
    masked = probs.copy()
    masked[:, oos] = -1.0
    return np.asarray(masked.argmax(axis=1))


def in_odds(probs: np.ndarray, oos: int) -> np.ndarray:
    """Log-odds of each row's best in-scope class against the out-of-scope class (column ``oos``)."""
    best = probs[np.arange(len(probs)), _in_scope_best(probs, oos)]
    return np.asarray(np.log(best + 1e-12) - np.log(probs[:, oos] + 1e-12))


def _choose_odds(probs: np.ndarray, classes: list[str], y: np.ndarray, oos_label: str, budget: float) -> float:
    """Highest log-odds limit keeping held-out in-scope accuracy within ``budget`` of the accuracy of
    the best in-scope class without one (``_choose_threshold`` on the odds instead of the maximum)."""
    oos = classes.index(oos_label)
    pred = np.array(classes)[_in_scope_best(probs, oos)]
    return _highest_limit(in_odds(probs, oos), pred, y, oos_label, budget, none=float("-inf"))
