"""Frustration over the conversation, and a small sentiment polarity.

The score is the signal model's conversation stage (``warmline.model.signals``): a calibrated
logistic model on this turn's own frustration (the ``frustration`` head, trained on restated
facts, "for the third time", shouting, letters typed with spaces, sarcasm, chargeback and
leaving threats, insults to the bot, in eight languages), the strongest frustration of the
earlier customer turns, and how closely this turn repeats an earlier one. So "AB90014" typed a
third time, or a calm turn right after an angry one, is read in its conversation.

Cues name the evidence for the policy's explanation: ``message`` (this turn reads frustrated),
``earlier_turns`` (an earlier turn did), ``repetition`` (this turn repeats an earlier customer
turn: the looping trigger's evidence).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from warmline.model.signals import SignalModel, TurnSignals, conversation_features

REPEAT_COSINE = 0.9
REPEAT_OVERLAP = 0.6


def frustration_score(
    model: SignalModel,
    turn: TurnSignals,
    text: str,
    vector: np.ndarray,
    earlier_texts: Sequence[str],
    earlier_vectors: np.ndarray | None,
) -> tuple[float, list[str]]:
    """Score in [0, 1] for the conversation at this turn and the cues behind it.

    ``earlier_texts``/``earlier_vectors``: the previous customer turns (the last few are enough)
    and their embeddings, in order."""
    earlier_scores = []
    if earlier_texts and earlier_vectors is not None:
        earlier_scores = [model.turn_frustration(t, v) for t, v in zip(earlier_texts, earlier_vectors, strict=True)]
    features = conversation_features(
        turn.frustration_logit, text, vector, earlier_texts, earlier_vectors, earlier_scores
    )
    score = model.conversation_frustration(features)
    cues = []
    if turn.frustration >= 0.5:
        cues.append("message")
    if features[1] >= 0.5:
        cues.append("earlier_turns")
    if len(text.split()) >= 4 and (features[2] >= REPEAT_COSINE or features[3] >= REPEAT_OVERLAP):
        cues.append("repetition")
    return round(float(score), 4), cues


_NEGATIVE = frozenset(
    "angry annoyed awful bad broken disappointed frustrated furious horrible hate terrible unacceptable upset "
    "useless worst wrong ridiculous pathetic scam waste stupid".split()
)
_POSITIVE = frozenset(
    "thanks thank great good awesome perfect love appreciate excellent wonderful helpful nice happy glad".split()
)
_WORD = re.compile(r"[a-z']+")


def sentiment(text: str) -> float:
    """A small English lexicon polarity in [-1, 1], reported beside the frustration score."""
    words = _WORD.findall(text.lower())
    if not words:
        return 0.0
    negative = sum(w in _NEGATIVE for w in words) + 0.3 * sum(w in ("not", "never", "no") for w in words)
    positive = sum(w in _POSITIVE for w in words)
    return float(max(-1.0, min(1.0, (positive - negative) / (1.0 + 0.5 * (positive + negative)))))
