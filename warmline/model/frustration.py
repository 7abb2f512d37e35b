"""Sentiment and a frustration score from conversation cues, not a lexicon alone.

Cues: repetition of an earlier customer turn (MiniLM cosine or token overlap), a restated request
(same intent as earlier turns while the conversation has not moved on), "again"/"still"/"already
told you", shouting in caps, exclamation runs, time pressure, negative words. Each cue adds a
weighted amount; the score is squashed into [0, 1] and the cue names are returned as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

NEGATIVE = {
    "angry",
    "annoyed",
    "annoying",
    "awful",
    "bad",
    "broken",
    "disappointed",
    "disappointing",
    "disgusting",
    "frustrated",
    "frustrating",
    "furious",
    "horrible",
    "hate",
    "joke",
    "pathetic",
    "poor",
    "rediculous",
    "ridiculous",
    "terrible",
    "unacceptable",
    "upset",
    "useless",
    "worst",
    "wrong",
    "sick",
    "tired",
    "fed",
    "waste",
    "scam",
    "nonsense",
    "incompetent",
    "stupid",
    "damn",
    "hell",
    "wtf",
    "seriously",
    "unbelievable",
    "pointless",
    "hopeless",
    "absurd",
    "insane",
    "kidding",
    "clueless",
}
POSITIVE = {
    "thanks",
    "thank",
    "great",
    "good",
    "awesome",
    "perfect",
    "love",
    "appreciate",
    "excellent",
    "wonderful",
    "helpful",
    "nice",
    "happy",
    "glad",
    "amazing",
    "fantastic",
}
REPEAT_PHRASES = re.compile(
    r"\b(already (?:told|said|gave|sent|explained|provided)|i (?:just )?told you|as i said|like i said|"
    r"(?:how )?many times|for the (?:second|third|fourth|\d+(?:st|nd|rd|th)) time|once again|yet again|"
    r"keep(?:s)? (?:asking|telling|saying)|i said|(?:explained|said|asked) (?:this|that|it) (?:\w+ )?(?:times|twice)|"
    r"(?:two|three|four|\d+) times(?: now)?|"
    r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time (?:i'?m|i am|i'?ve|i have) (?:asking|asked|telling|told|"
    r"contacting|contacted|writing|written|explaining))\b",
    re.I,
)
STILL_AGAIN = re.compile(
    r"\b(still|again|nothing (?:has )?changed|not (?:yet )?(?:fixed|resolved|solved)|"
    r"already (?:tried|did|done|updated|reinstalled|restarted|cleared|checked|reset|typed|entered|verified|sent|"
    r"answered|explained))\b",
    re.I,
)
# Sarcasm and dismissal of the bot's answers: "thanks for nothing", "that's not an answer".
DISMISSAL = re.compile(
    r"(thanks for nothing|(?:great|wow|very|so|really),? (?:really )?helpful|not (?:an|the) answer|not helpful|"
    r"(?:doesn'?t|does not|didn'?t|did not|isn'?t) help|you'?re not (?:listening|helping)|did you (?:even )?read|"
    r"are you (?:kidding|serious|joking)|you (?:keep|kept) (?:saying|telling|sending|giving)|"
    r"same (?:thing|answer|link|message) (?:you|again)|"
    r"(?:not|never|haven'?t|still haven'?t) (?:been )?answer(?:ed|ing)|"
    r"not listening|pay attention|what else do you want|sick of|i hate this|nobody (?:tells|answers|helps)|"
    r"taking forever|been at this|🙄|😡|😤|🤬)",
    re.I,
)
WAITING = re.compile(
    r"\b(\d+\s+(?:days|weeks|hours|times)|for (?:days|weeks|hours|ages)|all day|forever|"
    r"this is taking|waiting|wasting my time|waste of (?:my )?time|ridiculous|unacceptable)\b",
    re.I,
)
GIVE_UP = re.compile(
    r"\b(cancel (?:everything|my account)|never (?:again|shop)|done with|going elsewhere|lawyer|"
    r"complain|complaint|report you|bbb|(?:1|one)[- ]star|bad review|i'?m (?:cancell?ing|leaving|switching)|"
    r"(?:cancell?ing|closing) my (?:membership|account|subscription))\b",
    re.I,
)
WORD = re.compile(r"[a-z']+")

WEIGHTS = {
    "repetition": 0.9,
    "restated_request": 0.5,
    "already_told_you": 1.1,
    "still_again": 0.45,
    "waiting": 0.35,
    "caps": 0.6,
    "exclamations": 0.3,
    "negative_words": 0.35,
    "threat_to_leave": 0.6,
    "question_burst": 0.25,
    "dismissal": 0.9,
    "very_negative": 0.3,
}


def sentiment(text: str) -> float:
    """A small lexicon polarity in [-1, 1] (one input among the frustration cues)."""
    words = WORD.findall(text.lower())
    if not words:
        return 0.0
    negative = sum(w in NEGATIVE for w in words) + len(re.findall(r"\b(?:not|never|no)\b", text.lower())) * 0.3
    positive = sum(w in POSITIVE for w in words)
    score = (positive - negative) / (1.0 + 0.5 * (positive + negative))
    return float(max(-1.0, min(1.0, score)))


def _overlap(a: str, b: str) -> float:
    sa, sb = set(WORD.findall(a.lower())), set(WORD.findall(b.lower()))
    if len(sa) < 3 or len(sb) < 3:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def frustration_score(
    text: str,
    earlier_customer_turns: Sequence[str],
    *,
    vector: np.ndarray | None = None,
    earlier_vectors: np.ndarray | None = None,
    earlier_intents: Sequence[str | None] = (),
    intent: str | None = None,
    previous_score: float = 0.0,
) -> tuple[float, list[str]]:
    """Score in [0, 1] and the cues found. ``previous_score`` carries frustration across turns."""
    cues: list[str] = []
    letters = [c for c in text if c.isalpha()]
    upper_words = [w for w in re.findall(r"\b[A-Z]{3,}\b", text) if w not in {"ID", "USA", "PIN", "ATM", "OK"}]
    if len(letters) >= 8 and (sum(c.isupper() for c in letters) / len(letters) > 0.6 or len(upper_words) >= 2):
        cues.append("caps")
    if re.search(r"[!?]{2,}|!.*!", text):
        cues.append("exclamations")
    if REPEAT_PHRASES.search(text):
        cues.append("already_told_you")
    if STILL_AGAIN.search(text):
        cues.append("still_again")
    if WAITING.search(text):
        cues.append("waiting")
    if DISMISSAL.search(text):
        cues.append("dismissal")
    if GIVE_UP.search(text):
        cues.append("threat_to_leave")
    if text.count("?") >= 3:
        cues.append("question_burst")
    words = WORD.findall(text.lower())
    negative = sum(w in NEGATIVE for w in words)
    if negative >= 1:
        cues.append("negative_words")
    if negative >= 2:
        cues.append("very_negative")
    repeated = any(_overlap(text, earlier) >= 0.6 for earlier in earlier_customer_turns)
    if not repeated and vector is not None and earlier_vectors is not None and len(earlier_vectors) and len(words) >= 4:
        repeated = bool(np.max(earlier_vectors @ vector) >= 0.85)
    if repeated:
        cues.append("repetition")
    if intent and sum(1 for i in earlier_intents if i == intent) >= 2 and len(words) >= 4 and not repeated:
        cues.append("restated_request")
    raw = sum(WEIGHTS[c] for c in cues)
    # Frustration builds up over turns: carry the earlier evidence (in the same raw units), decayed,
    # and decay faster when this turn shows no cue at all (the customer calmed down).
    carried = -float(np.log(max(1e-6, 1.0 - min(previous_score, 0.999))))
    raw += carried * (0.7 if cues else 0.4)
    return round(float(min(1.0, 1.0 - np.exp(-raw))), 4), cues
