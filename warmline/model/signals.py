"""The escalation signals: learned, calibrated detectors for a request for a person, frustration
and an out-of-scope request, in the languages of the pack's training data.

Each signal is a logistic head on the same features of a customer turn:

* hashed TF-IDF-like counts of word 1-2-grams and character 2-5-grams (inside word boundaries) of
  the lower-cased, accent-stripped text, digits folded to ``0``, each block L2-normalised; the
  character n-grams carry the signal across typos and across languages the sentence encoder
  does not know;
* a few style features of the raw text (share of capitals, shouted words, exclamation and
  question runs, letters typed with spaces between them, length);
* the turn's MiniLM sentence embedding (shared with the intent classifier and retrieval).

Probabilities are calibrated (Platt scaling on a held-out share of the training data), so the
thresholds in ``policy.yaml`` mean what they say. Frustration is decided over the conversation by
a second, small logistic stage on the turn's own frustration, the strongest earlier one, and how
closely the turn repeats an earlier customer turn (cosine of embeddings, word overlap).

Trained by ``warmline model build`` (``warmline.model.signals_training``) into
``<pack>/model/signals.npz``: float32 arrays and a JSON header, no pickle.
"""

from __future__ import annotations

import json
import logging
import math
import re
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
HASH_BITS = 18
HASH_SIZE = 1 << HASH_BITS
STYLE_FEATURES = 7
EMBEDDING_DIM = 384
DENSE_SIZE = STYLE_FEATURES + EMBEDDING_DIM
SIGNALS = ("human_request", "frustration", "out_of_scope")
# Conversation-stage inputs, in order (see conversation_features).
CONVERSATION_FEATURES = ("turn_logit", "earlier_max", "repeat_cosine", "repeat_overlap", "has_earlier")
SCHEMA = "warmline-signals/1"

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")
_SHOUT = re.compile(r"\b[A-ZÀ-ÖØ-Þ]{3,}\b")
_SPACED = re.compile(r"(?:\b\w\s+){4,}\w\b")
_ANGRY_EMOJI = re.compile("[\U0001f620\U0001f621\U0001f624\U0001f92c\U0001f644\U0001f643\U0001f612]")


def normalise(text: str) -> str:
    """Lower case, no accents, digits folded, single spaces: what the n-grams are taken from."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("’", "'")
    return _DIGIT.sub("0", " ".join(text.split()))


def _bucket(gram: str) -> int:
    return zlib.crc32(gram.encode("utf-8")) & (HASH_SIZE - 1)


def _block(grams: list[str]) -> dict[int, float]:
    counts: dict[int, float] = {}
    for gram in grams:
        index = _bucket(gram)
        counts[index] = counts.get(index, 0.0) + 1.0
    if not counts:
        return counts
    values = {i: 1.0 + math.log(c) for i, c in counts.items()}  # sublinear term frequency
    norm = math.sqrt(sum(v * v for v in values.values()))
    return {i: v / norm for i, v in values.items()}


def sparse_features(text: str) -> dict[int, float]:
    """Hashed word 1-2-grams and char 2-5-grams; collisions between the two blocks just add up."""
    words = _WORD.findall(normalise(text))
    word_grams = [f"w {w}" for w in words] + [f"b {a} {b}" for a, b in zip(words, words[1:], strict=False)]
    char_grams: list[str] = []
    for word in words[:80]:
        padded = f" {word} "
        for n in range(2, 6):
            char_grams.extend(f"c{padded[i : i + n]}" for i in range(max(1, len(padded) - n + 1)))
    features = _block(word_grams)
    for index, value in _block(char_grams).items():
        features[index] = features.get(index, 0.0) + value
    return features


def style_features(text: str) -> np.ndarray:
    letters = [c for c in text if c.isalpha()]
    caps = sum(c.isupper() for c in letters) / len(letters) if len(letters) >= 6 else 0.0
    shouted = min(1.0, len(_SHOUT.findall(text)) / 3.0)
    exclaim = min(1.0, text.count("!") / 3.0)
    question_run = 1.0 if re.search(r"[?!]{2,}", text) else 0.0
    spaced = 1.0 if _SPACED.search(text) else 0.0
    length = min(1.0, math.log1p(len(text.split())) / 4.0)
    emoji = 1.0 if _ANGRY_EMOJI.search(text) else 0.0
    return np.array([caps, shouted, exclaim, question_run, spaced, length, emoji], dtype=np.float32)


@dataclass
class LogisticHead:
    """A binary logistic model on (sparse hashed, dense) features with Platt calibration."""

    sparse: np.ndarray  # (HASH_SIZE,)
    dense: np.ndarray  # (DENSE_SIZE,)
    bias: float
    platt_a: float = 1.0
    platt_b: float = 0.0

    def logit(self, sparse: dict[int, float], dense: np.ndarray) -> float:
        raw = self.bias + float(dense @ self.dense)
        if sparse:
            index = np.fromiter(sparse.keys(), dtype=np.int64, count=len(sparse))
            value = np.fromiter(sparse.values(), dtype=np.float32, count=len(sparse))
            raw += float(value @ self.sparse[index])
        return self.platt_a * raw + self.platt_b

    def probability(self, sparse: dict[int, float], dense: np.ndarray) -> float:
        return sigmoid(self.logit(sparse, dense))


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


@dataclass(frozen=True)
class TurnSignals:
    human_request: float
    frustration: float  # this turn's own frustration, before the conversation stage
    out_of_scope: float
    frustration_logit: float


class SignalModel:
    """The three trained heads and the conversation stage. Thread-safe (read-only arrays)."""

    def __init__(
        self, heads: dict[str, LogisticHead], conversation: np.ndarray, meta: dict[str, object] | None = None
    ) -> None:
        missing = set(SIGNALS) - set(heads)
        if missing:
            raise ValueError(f"signal model lacks heads {sorted(missing)}")
        if conversation.shape != (len(CONVERSATION_FEATURES) + 1,):
            raise ValueError("conversation stage has the wrong shape")
        self.heads = heads
        self.conversation = conversation.astype(np.float64)
        self.meta = dict(meta or {})

    def dense(self, text: str, vector: np.ndarray) -> np.ndarray:
        return np.concatenate([style_features(text), vector.astype(np.float32)])

    def turn(self, text: str, vector: np.ndarray) -> TurnSignals:
        sparse, dense = sparse_features(text), self.dense(text, vector)
        frustration_logit = self.heads["frustration"].logit(sparse, dense)
        return TurnSignals(
            human_request=self.heads["human_request"].probability(sparse, dense),
            frustration=sigmoid(frustration_logit),
            out_of_scope=self.heads["out_of_scope"].probability(sparse, dense),
            frustration_logit=frustration_logit,
        )

    def turn_frustration(self, text: str, vector: np.ndarray) -> float:
        return self.heads["frustration"].probability(sparse_features(text), self.dense(text, vector))

    def conversation_frustration(self, features: np.ndarray) -> float:
        return sigmoid(float(self.conversation[0] + features @ self.conversation[1:]))

    # ---- storage ---------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        arrays: dict[str, np.ndarray] = {"conversation": self.conversation.astype(np.float32)}
        header: dict[str, object] = {"schema": SCHEMA, "meta": self.meta, "heads": {}}
        for name, head in self.heads.items():
            arrays[f"{name}.sparse"] = head.sparse.astype(np.float16)
            arrays[f"{name}.dense"] = head.dense.astype(np.float32)
            header["heads"][name] = {"bias": head.bias, "platt_a": head.platt_a, "platt_b": head.platt_b}  # type: ignore[index]
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays["header"] = np.array(json.dumps(header, sort_keys=True))
        np.savez_compressed(path, allow_pickle=False, **arrays)

    @classmethod
    def load(cls, path: Path) -> SignalModel:
        with np.load(path, allow_pickle=False) as stored:
            header = json.loads(str(stored["header"]))
            if header.get("schema") != SCHEMA:
                raise ValueError(f"{path}: not a {SCHEMA} artifact")
            heads = {
                name: LogisticHead(
                    sparse=stored[f"{name}.sparse"].astype(np.float32),
                    dense=stored[f"{name}.dense"].astype(np.float32),
                    bias=float(spec["bias"]),
                    platt_a=float(spec["platt_a"]),
                    platt_b=float(spec["platt_b"]),
                )
                for name, spec in header["heads"].items()
            }
            return cls(heads, stored["conversation"].astype(np.float64), header.get("meta"))


_OVERLAP_WORD = re.compile(r"\w+")


def word_overlap(a: str, b: str) -> float:
    """Jaccard overlap of the word sets (0 when either turn is too short to tell)."""
    sa, sb = set(_OVERLAP_WORD.findall(a.lower())), set(_OVERLAP_WORD.findall(b.lower()))
    if len(sa) < 3 or len(sb) < 3:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def conversation_features(
    turn_logit: float,
    text: str,
    vector: np.ndarray,
    earlier_texts: Sequence[str],
    earlier_vectors: np.ndarray | None,
    earlier_frustration: Sequence[float],
) -> np.ndarray:
    """The conversation stage's inputs for the newest customer turn (CONVERSATION_FEATURES)."""
    cosine = 0.0
    if earlier_vectors is not None and len(earlier_vectors) and len(text.split()) >= 3:
        cosine = max(0.0, float(np.max(earlier_vectors @ vector)))
    overlap = max((word_overlap(text, e) for e in earlier_texts), default=0.0)
    earlier = max(earlier_frustration, default=0.0)
    return np.array(
        [max(-12.0, min(12.0, turn_logit)), earlier, cosine, overlap, 1.0 if earlier_texts else 0.0],
        dtype=np.float64,
    )


ARTIFACT = "model/signals.npz"


def load_signals(pack_path: Path, embed: Callable[[Sequence[str]], np.ndarray], cache: Path) -> SignalModel:
    """The pack's shipped signal model when it matches the pack's signal data, else one trained
    now (a few minutes, once) and kept in ``cache``."""
    from warmline.model.signals_training import data_digest

    digest = data_digest(pack_path)
    candidates = [pack_path / ARTIFACT, cache / f"signals-{pack_path.name}-{digest}.npz"]
    for path in candidates:
        if path.is_file():
            try:
                model = SignalModel.load(path)
            except (OSError, ValueError, KeyError) as error:  # a foreign or broken file is retrained
                log.warning("ignoring signal model %s: %s", path, error)
                continue
            if model.meta.get("data") == digest:
                return model
    log.warning("training the %s pack's escalation signals (their data changed since the build)", pack_path.name)
    from warmline.model.signals_training import train

    model, _ = train(pack_path, embed)
    try:
        model.save(candidates[1])
    except OSError as error:
        log.warning("could not cache the signal model: %s", error)
    return model
