"""The numpy intent classifier: scikit-learn-compatible n-grams, training, calibration, persistence."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from warmline.model.classifier import IntentClassifier, TfidfBlock, char_wb_ngrams, word_ngrams

INTENTS = {
    "refund": ["I want my money back", "refund my order please", "how do I get a refund", "return and refund"],
    "password": ["I forgot my password", "reset my password", "cannot log in, password wrong", "change password"],
    "shipping": ["where is my package", "when will my order arrive", "track my delivery", "shipping status"],
    "oos": ["what is the weather today", "tell me a joke", "who won the game", "play some music"],
}


def fake_embeddings(texts: list[str]) -> np.ndarray:
    """Deterministic unit vectors from the words, standing in for MiniLM (no model download in unit tests)."""
    out = np.zeros((len(texts), 16), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in text.lower().split():
            out[row, sum(map(ord, word)) % 16] += 1
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


@pytest.fixture(scope="module")
def trained() -> IntentClassifier:
    texts = [t for examples in INTENTS.values() for t in examples] * 3  # 48 rows: enough for the held-out share
    labels = [label for label, examples in INTENTS.items() for _ in examples] * 3
    return IntentClassifier(oos_label="oos").fit(texts, labels, fake_embeddings(texts))


def test_ngrams_follow_scikit_learn() -> None:
    assert word_ngrams("I can't log-in!") == ["can", "log", "in", "can log", "log in"]  # 1-char tokens dropped
    assert char_wb_ngrams("Hi  you", 2, 5) == [" h", "hi", "i ", " hi", "hi ", " hi ", " y", "yo", "ou", "u ",
                                              " yo", "you", "ou ", " you", "you ", " you "]  # fmt: skip


def test_tfidf_rows_are_unit_length_and_rare_terms_weigh_more() -> None:
    block = TfidfBlock.fit("word", ["reset password", "reset account", "reset"])
    rows = block.transform(["reset password", "nothing known"])
    assert np.diff(rows.indptr).tolist() == [3, 0]
    assert np.sum(rows.data**2) == pytest.approx(1.0, abs=1e-6)
    weights = dict(zip((block.terms()[i] for i in rows.indices), rows.data, strict=True))
    assert weights["password"] > weights["reset"]


def test_fit_predict_and_calibration(trained: IntentClassifier) -> None:
    texts = ["I need a refund for my order", "reset password please", "where is my delivery"]
    predictions = trained.predict(texts, fake_embeddings(texts))
    assert [label for label, _ in predictions] == ["refund", "password", "shipping"]
    probs = trained.predict_proba(texts, fake_embeddings(texts))
    assert probs.shape == (3, 4) and np.allclose(probs.sum(axis=1), 1.0)
    assert trained.classes_ == sorted(INTENTS) and trained.temperature > 0 and trained.fit_seconds > 0


def test_save_and_load_round_trip(trained: IntentClassifier, tmp_path: Path) -> None:
    path = tmp_path / "classifier.npz"
    trained.save(path, meta={"pack_version": "x"})
    loaded, meta = IntentClassifier.load(path)
    texts = ["refund please", "weather tomorrow"]
    assert meta == {"pack_version": "x"}
    assert loaded.classes_ == trained.classes_ and loaded.threshold == trained.threshold
    assert trained.oos_odds is not None and loaded.oos_odds == trained.oos_odds
    np.testing.assert_allclose(
        loaded.predict_proba(texts, fake_embeddings(texts)), trained.predict_proba(texts, fake_embeddings(texts))
    )


def test_foreign_artifact_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, header=np.array('{"format": "something-else"}'))
    with pytest.raises(ValueError):
        IntentClassifier.load(path)


def test_needs_two_labels() -> None:
    with pytest.raises(ValueError):
        IntentClassifier().fit(["a b", "c d"], ["x", "x"], np.zeros((2, 4)))


def test_the_model_layer_does_not_import_scikit_learn_or_scipy() -> None:
    code = (
        "import sys, warmline.model.embedded, warmline.metrics.report; "
        "print(sorted({'sklearn', 'scipy', 'joblib'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_variants_of_one_phrasing_are_held_out_together() -> None:
    # Each phrasing appears three times (as a generator writes greeting and typo variants): a random
    # split would put a copy on both sides and calibrate on texts the probe had already seen.
    texts = [t for examples in INTENTS.values() for t in examples] * 3
    labels = [label for label, examples in INTENTS.items() for _ in examples] * 3
    groups = [text for text in texts]
    classifier = IntentClassifier(oos_label="oos")
    held = classifier._holdout_indices(np.asarray(labels), np.asarray(groups))
    assert held is not None and len(held) > 0
    held_groups = {groups[i] for i in held}
    kept_groups = {groups[i] for i in set(range(len(texts))) - set(held.tolist())}
    assert not held_groups & kept_groups
    fitted = classifier.fit(texts, labels, fake_embeddings(texts), groups=groups)
    assert fitted.temperature > 0
    with pytest.raises(ValueError, match="one group per text"):
        IntentClassifier().fit(texts, labels, fake_embeddings(texts), groups=groups[:-1])


def test_out_of_scope_when_the_best_intent_is_not_enough_more_likely_than_out_of_scope() -> None:
    from warmline.model.classifier import _choose_odds, in_odds

    classes = ["oos", "refund", "shipping"]
    probs = np.array([[0.02, 0.9, 0.08], [0.3, 0.6, 0.1], [0.7, 0.2, 0.1], [0.05, 0.5, 0.45]])
    odds = in_odds(probs, 0)
    assert odds[0] == pytest.approx(np.log(0.9 / 0.02)) and odds[2] < 0
    # the highest limit that flags no in-scope example: at most the lowest in-scope odds (log 0.5/0.05)
    y = np.array(["refund", "oos", "oos", "refund"])
    assert np.log(2) - 1e-3 <= _choose_odds(probs, classes, y, "oos", 0.0) <= np.log(10)
    classifier = IntentClassifier(oos_label="oos")
    classifier.classes_, classifier.oos_odds = classes, 2.0  # rows 0 and 3: odds 3.8 and 2.3
    classifier.predict_proba = lambda texts, embeddings: probs  # type: ignore[method-assign]
    labels = [label for label, _ in classifier.predict(["a", "b", "c", "d"], np.zeros((4, 1)))]
    assert labels == ["refund", "oos", "oos", "refund"]
