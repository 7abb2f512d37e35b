"""Out of scope: the signal model's ``out_of_scope`` head reads the turn (``warmline.model.signals``,
trained on CLINC150's other domains and its out-of-scope examples, NLU++ hotel and bank
requests and out-of-scope questions written in eight languages, against the store's own
requests in the same languages); this module holds its one narrow backstop and the store's
other witness, its help center (``ScopeEvidence``, below: how close the help center came to
answering weighs on the head's probability).

Requests about another company's service ("my Netflix password", "is my Amazon package
coming?") are out of scope however close their words are to the store's: both the encoder and
the n-grams hear "password" or "package" and not whose.

A mention alone is not enough: "Walmart sells these boots cheaper" is a price-match request and
"I paid with PayPal" a payment detail. Only a company named as the owner of the thing asked
about (an account, order, package, subscription, app...) marks the turn.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Consumer services a clothing store's customers also use. Carriers, banks and payment
# providers are left out on purpose: they take part in the store's own orders and refunds.
OTHER_SERVICES = (
    "amazon",
    "prime video",
    "netflix",
    "spotify",
    "hulu",
    "disney\\+?",
    "hbo(?: max)?",
    "youtube",
    "apple music",
    "icloud",
    "itunes",
    "gmail",
    "hotmail",
    "outlook",
    "yahoo",
    "facebook",
    "instagram",
    "whatsapp",
    "tiktok",
    "twitter",
    "snapchat",
    "linkedin",
    "uber(?: ?eats)?",
    "lyft",
    "doordash",
    "grubhub",
    "instacart",
    "airbnb",
    "booking\\.com",
    "expedia",
    "ebay",
    "etsy",
    "temu",
    "shein",
    "aliexpress",
    "xbox",
    "playstation",
    "steam",
    "nintendo",
    "comcast",
    "xfinity",
    "verizon",
    "at&t",
    "t-mobile",
    "planet fitness",
    "peloton",
    "duolingo",
    "zoom",
    "dropbox",
)
OWNED_THINGS = (
    "account",
    "accounts",
    "password",
    "login",
    "log-in",
    "order",
    "orders",
    "package",
    "parcel",
    "delivery",
    "subscription",
    "membership",
    "premium",
    "plan",
    "app",
    "profile",
    "playlist",
    "ride",
    "driver",
    "reservation",
    "booking",
    "bill",
    "gift card",
    "prime",
    "seller",
    "refund",
    "return",
    "cart",
    "wishlist",
    "feed",
    "stream",
    "show",
    "game",
    "console",
    "phone plan",
    "internet",
)
_service = "|".join(OTHER_SERVICES)
_thing = "|".join(re.escape(t) for t in OWNED_THINGS)
# "my Netflix password", "the Amazon package", "an Uber ride", "Spotify premium"
OWNER = re.compile(rf"\b(?:{_service})(?:'s)?\s+(?:\w+\s+)?(?:{_thing})\b", re.IGNORECASE)
# "sign up for Spotify", "cancel Hulu", "log into Instagram", "on Netflix", "from eBay"
VERB = re.compile(
    rf"\b(?:sign up for|subscribe to|cancel|unsubscribe from|log ?in(?:to)?|sign in(?:to)?|watch|stream|"
    rf"ordered from|bought from|ordered on|bought on) (?:my )?(?:{_service})\b"
    rf"(?! (?:sells?|has|had|offers?|lists?|is cheaper))",
    re.IGNORECASE,
)

# "my membership at Planet Fitness", "an order with Temu"
THING_AT = re.compile(rf"\b(?:{_thing})\s+(?:at|with|from)\s+(?:{_service})\b", re.IGNORECASE)


def other_company_request(text: str) -> str | None:
    """The company whose service the message asks about, or None."""
    match = OWNER.search(text) or VERB.search(text) or THING_AT.search(text)
    if match is None:
        return None
    company = re.search(rf"(?:{_service})", match.group(0), re.IGNORECASE)
    return company.group(0) if company else None


# ---- what the store's help center says about a turn the head calls off-topic -------------------
#
# "Out of scope" for a store means that nothing the store knows or does answers the turn. The
# signals head reads the words; the help center is the other witness. A turn it answers well is in
# scope whatever the head says (the bot answers it: ``help_center_answers``). For a turn it does
# not answer well, how close its best passage came is still evidence, and it enters the head's
# calibrated probability as a likelihood ratio (Bayes' rule on the log-odds):
#
#     logit p = logit p_head + b0 + b_score * score + b_coverage * coverage
#
# The ratio is a logistic fit, classes weighted equally, on the signal training data's own
# off-topic and in-scope examples that the help center does not answer well (so the ratio is the
# one of the region where it is used): ``warmline.model.scope_training`` writes it to
# ``<pack>/model/scope.json``. No evaluation set is part of that data.
#
# The product weighs how sure the off-topic reading is, not whether it stands: a turn the head
# calls off-topic and the help center does not answer well stays off-topic (it still counts
# towards the policy's off-topic turns in a row), with the weighed probability as its score, which
# the policy's single-message limit (``immediate_above``) reads. Turning near misses into in-scope
# turns as well lowered the shared dev2 set's out-of-scope recall (0.575 -> 0.5625).

# A help-center answer at least this good makes a turn in scope ...
IN_SCOPE_ANSWER = 0.62
# ... or one nearly as good that uses most of the customer's words ("how fast is overnight and
# what does it cost": overnight, cost; "what's the capital of France" meets "France" only).
LIKELY_IN_SCOPE, IN_SCOPE_COVERAGE = 0.45, 0.6
SCOPE_ARTIFACT = "model/scope.json"
SCOPE_SCHEMA = "warmline-scope-evidence/1"


def help_center_answers(score: float, coverage: float) -> bool:
    """Whether a help-center answer with this scope score and word coverage answers the turn."""
    return score >= IN_SCOPE_ANSWER or (score >= LIKELY_IN_SCOPE and coverage >= IN_SCOPE_COVERAGE)


@dataclass(frozen=True)
class HelpCenterEvidence:
    """How well the help center answers a turn: the best passage's scope score (0..1) and the share
    of the turn's words that the answering article uses."""

    score: float
    coverage: float


@dataclass(frozen=True)
class ScopeEvidence:
    """The fitted log-likelihood ratio of the help-center evidence (off-topic against in scope)."""

    bias: float
    score_weight: float
    coverage_weight: float
    meta: dict[str, Any] = field(default_factory=dict)

    def log_ratio(self, evidence: HelpCenterEvidence) -> float:
        return self.bias + self.score_weight * evidence.score + self.coverage_weight * evidence.coverage

    def probability(self, head: float, evidence: HelpCenterEvidence) -> float:
        """The out-of-scope probability of a turn the head scores ``head``, given the evidence."""
        head = min(max(head, 1e-6), 1.0 - 1e-6)
        logit = math.log(head / (1.0 - head)) + self.log_ratio(evidence)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, logit))))

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCOPE_SCHEMA,
            "bias": self.bias,
            "score_weight": self.score_weight,
            "coverage_weight": self.coverage_weight,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ScopeEvidence:
        if data.get("schema") != SCOPE_SCHEMA:
            raise ValueError(f"not a {SCOPE_SCHEMA} file")
        return cls(
            float(data["bias"]), float(data["score_weight"]), float(data["coverage_weight"]), dict(data.get("meta", {}))
        )


def load_scope_evidence(pack_path: Path) -> ScopeEvidence | None:
    """The pack's fitted help-center evidence (None when it ships none: the head's score stands)."""
    path = pack_path / SCOPE_ARTIFACT
    if not path.is_file():
        return None
    try:
        return ScopeEvidence.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("ignoring %s: %s", path, error)
        return None


# ---- the request of a long message ---------------------------------------------------------------
#
# A long message wraps its request in context: "I bought boots from you last month, love them.
# Unrelated, but could you help me draft a cover letter?" Read whole, the store words around the
# ask outweigh it (the head gave such messages 0.2-0.3); read alone, the ask is plainly off-topic.
# And "My son starts college in September and I'm ordering for his dorm. Do you have a student
# discount?" asks the store something, whatever the chatter around it. So a long message's scope is
# the scope of its request: the pieces that ask (end in a question mark), or the last piece when
# none does (customers put the ask last). A piece too short to stand alone ("What can you do?") is
# read with the piece before it.

# Messages shorter than this are read whole.
LONG_MESSAGE_WORDS = 15
# A request piece shorter than this is read together with the piece before it.
SHORT_PIECE_WORDS = 6
_PIECE_END = re.compile(r"(?<=[.!?;:])\s+|\s*\n+\s*|\s+(?=[¿¡])")


def message_pieces(text: str) -> list[str]:
    """The sentences and colon- or semicolon-separated parts of a message, in order."""
    return [p.strip() for p in _PIECE_END.split(text) if p and p.strip()]


def request_pieces(text: str) -> list[str]:
    """What a long message asks, to be read for scope on its own (empty: read the message whole)."""
    if len(text.split()) < LONG_MESSAGE_WORDS:
        return []
    pieces = message_pieces(text)
    if len(pieces) < 2:
        return []
    asking = [i for i, p in enumerate(pieces) if p.rstrip().endswith("?")] or [len(pieces) - 1]
    requests = []
    for i in asking:
        piece = pieces[i]
        if len(piece.split()) < SHORT_PIECE_WORDS and i > 0:
            piece = f"{pieces[i - 1]} {piece}"
        requests.append(piece)
    return [] if requests == [text.strip()] else requests
