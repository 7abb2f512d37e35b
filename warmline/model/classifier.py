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
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

Embedder = Callable[[Sequence[str]], np.ndarray]


@dataclass
class IntentClassifier:
    """Fit on texts and labels; ``predict_proba`` returns calibrated probabilities per class."""

    oos_label: str | None = "oos"
    embed_scale: float = 2.0
    c: float = 10.0
    accuracy_budget: float = 0.005
    holdout_share: float = 0.2
    max_char_features: int | None = None
    seed: int = 13
    classes_: list[str] = field(default_factory=list)
    temperature: float = 1.0
    threshold: float = 0.0
    fit_seconds: float = 0.0
    _word: TfidfVectorizer | None = None
    _char: TfidfVectorizer | None = None
    _model: LogisticRegression | None = None

    # ---- training -------------------------------------------------------------------------
    def fit(self, texts: Sequence[str], labels: Sequence[str], embeddings: np.ndarray) -> IntentClassifier:
        started = time.perf_counter()
        texts, y = list(texts), np.asarray(labels)
        if len(set(y)) < 2:
            raise ValueError("training data needs at least two distinct labels")
        held = self._holdout_indices(y)
        if held is not None:
            train = np.setdiff1d(np.arange(len(y)), held)
            probe = self._fit_once([texts[i] for i in train], y[train], embeddings[train])
            logits = probe._logits([texts[i] for i in held], embeddings[held])
            self.temperature = _fit_temperature(logits, probe.classes_, y[held])
            if self.oos_label is not None and self.oos_label in set(y):
                probs = _softmax(logits / self.temperature)
                self.threshold = _choose_threshold(probs, probe.classes_, y[held], self.oos_label, self.accuracy_budget)
        fitted = self._fit_once(texts, y, embeddings)
        self._word, self._char, self._model, self.classes_ = fitted._word, fitted._char, fitted._model, fitted.classes_
        self.fit_seconds = time.perf_counter() - started
        return self

    def _holdout_indices(self, y: np.ndarray) -> np.ndarray | None:
        counts = Counter(y.tolist())
        if len(y) < 40 or self.holdout_share <= 0:
            return None
        rng = np.random.default_rng(self.seed)
        held: list[int] = []
        for label in counts:
            index = np.flatnonzero(y == label)
            if len(index) < 3:
                continue  # too rare to spare one
            rng.shuffle(index)
            held.extend(index[: max(1, int(round(len(index) * self.holdout_share)))].tolist())
        return np.array(sorted(held)) if held else None

    def _fit_once(self, texts: list[str], y: np.ndarray, embeddings: np.ndarray) -> IntentClassifier:
        part = IntentClassifier(
            oos_label=self.oos_label, embed_scale=self.embed_scale, c=self.c, max_char_features=self.max_char_features
        )
        part._word = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, lowercase=True)
        part._char = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, max_features=self.max_char_features
        )
        words = part._word.fit_transform(texts)
        try:
            chars = part._char.fit_transform(texts)
        except ValueError:  # tiny data: no character n-gram occurs twice
            part._char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
            chars = part._char.fit_transform(texts)
        features = hstack([words, chars, csr_matrix(embeddings * self.embed_scale)]).tocsr()
        part._model = LogisticRegression(C=self.c, max_iter=300)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings at max_iter are harmless here
            part._model.fit(features, y)
        part.classes_ = [str(c) for c in part._model.classes_]
        for vectorizer in (part._word, part._char):
            if hasattr(vectorizer, "stop_words_"):
                del vectorizer.stop_words_  # pruned n-grams: only needed for introspection, large to store
        part._model.coef_ = part._model.coef_.astype(np.float32)
        return part

    # ---- inference ------------------------------------------------------------------------
    def _logits(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        if self._model is None or self._word is None or self._char is None:
            raise RuntimeError("the classifier is not trained")
        features = hstack(
            [self._word.transform(texts), self._char.transform(texts), csr_matrix(embeddings * self.embed_scale)]
        ).tocsr()
        return np.asarray(self._model.decision_function(features), dtype=np.float64).reshape(len(texts), -1)

    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities, columns in ``classes_`` order."""
        logits = self._logits(texts, embeddings)
        if logits.shape[1] == 1:  # binary LogisticRegression returns one column
            logits = np.hstack([-logits, logits]) / 2
        return _softmax(logits / self.temperature)

    def predict(self, texts: Sequence[str], embeddings: np.ndarray) -> list[tuple[str, float]]:
        """(label, confidence) per text; below the threshold the label is ``oos_label``."""
        probs = self.predict_proba(texts, embeddings)
        out = []
        for row in probs:
            best = int(row.argmax())
            label, confidence = self.classes_[best], float(row[best])
            if self.oos_label is not None and confidence < self.threshold:
                label = self.oos_label
            out.append((label, confidence))
        return out


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
    in_scope = y != oos_label
    if not in_scope.any():
        return 0.0
    pred = np.array(classes)[probs.argmax(axis=1)]
    confidence = probs.max(axis=1)
    base = float(np.mean(pred[in_scope] == y[in_scope]))
    best = 0.0
    for threshold in np.unique(np.round(confidence, 4)):
        thresholded = np.where(confidence < threshold, oos_label, pred)
        if np.mean(thresholded[in_scope] == y[in_scope]) >= base - budget:
            best = float(threshold)
    return best
