"""The embedded default backend: offline, CPU-only, pack-trained.

Per customer turn: one MiniLM embedding (shared by the classifier, retrieval and the repetition
cue), the joint TF-IDF + embedding classifier, facts, frustration cues, dense retrieval, a grounded
reply and an escalation recommendation.

Conversation context: ``flow``/``subflow``/``confidence`` are what the product holds for the
*conversation* (a confidence-weighted sum of the per-turn intent distributions of all customer
turns so far, so "Joseph Banter" or "ok thanks" do not overwrite the request made earlier);
``alternatives`` are the *turn's* own top intents, empty when the turn carries no intent
(small talk, out of scope, a bare fact such as an order id).

Trained state: ``<pack>/model/classifier.npz`` shipped with the pack (rebuilt by
``python -m warmline.model.build demo``); if it is missing or stale (pack content hash or code
version differ) the classifier is trained once and cached in ``$WARMLINE_CACHE_DIR`` (default
``~/.cache/warmline``).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from warmline.model import case_details
from warmline.model.analysis import EscalationRecommendation, Fact, IntentScore, TurnAnalysis, TurnContext
from warmline.model.classifier import IntentClassifier
from warmline.model.conversation_intent import TurnEvidence, asks_about_need, asks_for_details, conversation_intent
from warmline.model.encoder import SentenceEncoder, shared_encoder
from warmline.model.facts import extract_facts, is_bare_answer, merge_facts
from warmline.model.frustration import frustration_score, sentiment
from warmline.model.human_request import human_request_score
from warmline.model.replies import compose_reply
from warmline.model.retrieval import KnowledgeIndex, passage_texts
from warmline.model.scope import other_company_request, request_pieces
from warmline.model.signals import SignalModel, load_signals
from warmline.packs import OOS_LABEL, SMALLTALK_LABEL, VAGUE_LABEL, Pack

log = logging.getLogger(__name__)
CODE_VERSION = "embedded/2"
ARTIFACT = "model/classifier.npz"
PASSAGES = "model/passages.npz"
TOP_K = 5
NON_INTENT = {OOS_LABEL, SMALLTALK_LABEL, VAGUE_LABEL}
# A turn the classifier places in one subflow with at least CLEAR_NEED stays in scope unless the
# out-of-scope head is at least SURE_OUT_OF_SCOPE: the classifier has an out-of-scope class of its
# own, so 0.85 on one subflow leaves out of scope under 0.15, while the head, trained on far fewer
# of the store's phrasings, scores some plain account and subscription requests 0.85-0.99 (a store
# credit gone, a card to replace on the account, the balance of a plan). Two turns read together
# name a need at PAIR_CLEAR_NEED.
CLEAR_NEED = 0.85
SURE_OUT_OF_SCOPE = 0.995
PAIR_CLEAR_NEED = 0.9
# A long message's request piece read alone outvotes the whole message's scope at this (scope.py).
SURE_REQUEST = 0.9
# Facts that describe what the request is about rather than identify the customer or the order.
DESCRIBING_FACTS = {"product", "size", "colour", "date", "tried", "received_via"}
# An unsure in-scope prediction is out of scope when the out-of-scope class has at least this.
UNCERTAIN_OOS = 0.2
# Earlier customer turns the conversation-level frustration looks back at.
FRUSTRATION_LOOKBACK = 4
# How sure a request about another company's service is out of scope (warmline.model.scope).
OTHER_COMPANY_OOS = 0.97
# A customer who types their username has not lost it: such a turn answers, it asks nothing.
RECOVER_USERNAME = "account_access/recover_username"
# Words that may stand around an item's name in a turn that only names the item ("Micheal Kors shirt",
# "the $49 TH Boots"); besides them only capitalised words (brands) are allowed.
ITEM_FILLER = frozenset("the a an for it it's its is my this that one of from in was at by pair and with".split())
_WORD = re.compile(r"[^\W\d_][\w']*")


def names_only_item(text: str, facts: Sequence[Fact]) -> bool:
    """Whether ``text`` only names an item (a product, with its brand, price, size or colour), as a
    customer answering "which item?" does: such a later turn tells which item the need is about, it
    is not a question about the item."""
    if not any(f.kind == "product" for f in facts):
        return False
    rest = text
    for fact in facts:
        rest = re.sub(re.escape(fact.value), " ", rest, flags=re.IGNORECASE)
    words = _WORD.findall(rest)
    return all(w.lower() in ITEM_FILLER or w[0].isupper() for w in words)


def names_clear_need(label: str, top: float, oos_score: float) -> bool:
    """Whether the classifier's top label ``label`` at ``top`` keeps a turn in scope although the
    out-of-scope head scores it ``oos_score`` (at least 0.5)."""
    return label not in NON_INTENT and top >= CLEAR_NEED and oos_score < SURE_OUT_OF_SCOPE


def cache_dir() -> Path:
    return Path(os.environ.get("WARMLINE_CACHE_DIR", Path.home() / ".cache" / "warmline"))


def train_pack_classifier(pack: Pack, encoder: SentenceEncoder) -> IntentClassifier:
    rows = pack.training_examples()
    texts = [row.text for row in rows]
    return IntentClassifier(oos_label=OOS_LABEL, max_char_features=20000).fit(
        texts, [row.label for row in rows], encoder.encode(texts), groups=[row.group for row in rows]
    )


def load_or_train(pack: Pack, encoder: SentenceEncoder, *, train_if_missing: bool = True) -> IntentClassifier:
    stamp = {"pack_version": pack.version, "code_version": CODE_VERSION}
    candidates = [
        pack.path / ARTIFACT,
        cache_dir() / f"{pack.name}-{pack.version}-{CODE_VERSION.replace('/', '')}.npz",
    ]
    for path in candidates:
        if path.is_file():
            try:
                classifier, meta = IntentClassifier.load(path)
                if meta == stamp:
                    return classifier
            except Exception as error:  # a stale or foreign artifact is retrained, never trusted
                log.warning("ignoring model artifact %s: %s", path, error)
    if not train_if_missing:
        raise FileNotFoundError(f"no trained classifier for pack {pack.name} ({pack.version})")
    log.info("training the %s pack classifier (first start with this pack version)", pack.name)
    classifier = train_pack_classifier(pack, encoder)
    try:
        candidates[1].parent.mkdir(parents=True, exist_ok=True)
        classifier.save(candidates[1], stamp)
    except OSError as error:
        log.warning("could not cache the trained classifier: %s", error)
    return classifier


def save_artifact(pack: Pack, classifier: IntentClassifier, encoder: SentenceEncoder) -> Path:
    path = pack.path / ARTIFACT
    path.parent.mkdir(parents=True, exist_ok=True)
    classifier.save(path, {"pack_version": pack.version, "code_version": CODE_VERSION})
    texts = passage_texts(pack)
    np.savez_compressed(
        pack.path / PASSAGES, version=np.array(pack.version), vectors=encoder.encode(texts).astype(np.float16)
    )
    return path


def load_passage_vectors(pack: Pack) -> np.ndarray | None:
    """Precomputed passage vectors shipped with the pack (None when missing or stale)."""
    path = pack.path / PASSAGES
    if not path.is_file():
        return None
    with np.load(path) as stored:
        if str(stored["version"]) != pack.version:
            return None
        return stored["vectors"].astype(np.float32)


class EmbeddedModel:
    """The default :class:`~warmline.model.analysis.Model`. Thread-safe after construction."""

    name = "embedded"

    def __init__(
        self,
        pack: Pack,
        *,
        encoder: SentenceEncoder | None = None,
        classifier: IntentClassifier | None = None,
        signals: SignalModel | None = None,
        clarify_below: float = 0.45,
        frustration_escalate: float = 0.5,
    ) -> None:
        self.pack = pack
        self.encoder = encoder or shared_encoder()
        self._lock = threading.Lock()
        self._vectors: dict[str, np.ndarray] = {}
        self.classifier = classifier or load_or_train(pack, self.encoder)
        self.signals = signals or load_signals(pack.path, self.encoder.encode, cache_dir())
        self.index = KnowledgeIndex(pack, self.encode_cached, vectors=load_passage_vectors(pack))
        self.clarify_below = clarify_below
        self.frustration_escalate = frustration_escalate
        self._labels = [tuple(c.split("/", 1)) if "/" in c else (c, c) for c in self.classifier.classes_]
        threading.Thread(target=case_details.warm_up, name="warmline-dates-warm-up", daemon=True).start()

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Encode with a bounded per-model cache: earlier turns were encoded when they were analysed."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            for text, vector in zip(missing, self.encoder.encode(missing), strict=True):
                with self._lock:
                    if len(self._vectors) >= 4096:
                        self._vectors.pop(next(iter(self._vectors)))
                    self._vectors[text] = vector
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)

    def forget(self, text: str) -> None:
        """Drop ``text`` from the embedding cache (benchmarks time the encoding of new turns)."""
        with self._lock:
            self._vectors.pop(text, None)

    # ---- turn-level ---------------------------------------------------------------------------
    def turn_distribution(self, text: str, vector: np.ndarray) -> tuple[np.ndarray, str, float]:
        probs = self.classifier.predict_proba([text], vector[None, :])[0]
        best = int(probs.argmax())
        return probs, self.classifier.classes_[best], float(probs[best])

    def analyse(self, context: TurnContext) -> TurnAnalysis:
        started = time.perf_counter()
        text = context.text.strip()
        vector = self.encode_cached([text or " "])[0]
        probs, label, top = self.turn_distribution(text, vector)
        oos_index = self.classifier.classes_.index(OOS_LABEL) if OOS_LABEL in self.classifier.classes_ else None
        oos_prob = float(probs[oos_index]) if oos_index is not None else 0.0
        # The out-of-scope class's own probability is the score: a low top intent alone usually
        # means an in-scope request spread over similar subflows, which deserves a question, not a
        # refusal; it counts as out of scope only when the out-of-scope class shares the doubt.
        # Out of scope is the signal model's call (trained on far more, and more languages, than
        # the intent classifier's out-of-scope class); the classifier's doubt only decides whether
        # an in-scope turn names a need.
        signals = self.signals.turn(text or " ", vector)
        oos_score = self._request_scope(text, signals.out_of_scope)
        out_of_scope = oos_score >= 0.5
        if out_of_scope and names_clear_need(label, top, oos_score):
            # "I keep clicking add to cart but the cart stays at 0": the classifier, trained on the
            # pack's own subflows, names the need clearly; a less than certain head does not outvote it.
            out_of_scope = False
        uncertain = label not in NON_INTENT and top < self.classifier.threshold and oos_prob >= UNCERTAIN_OOS
        smalltalk = label == SMALLTALK_LABEL and not out_of_scope

        previous_agent = next((t.text for t in reversed(context.history) if t.speaker != "customer"), None)
        facts = extract_facts(text, context.message_seq, "customer", asked=previous_agent, sent_at=context.sent_at)
        known = merge_facts(list(context.known_facts), facts)
        # A short turn of identifiers answers a question ("Joseph Banter", "order 4417790312"); words that
        # describe the item ("are the boots waterproof") are part of a request, not an answer.
        identifying = [f for f in facts if f.kind not in DESCRIBING_FACTS]
        fact_only = bool(identifying) and (len(text.split()) <= 2 * len(identifying) + 2 or is_bare_answer(text, facts))
        human, _ = human_request_score(text, signals.human_request)
        # "I have a question about my account": in scope, but which need is not said yet; its
        # scattered intent scores are no evidence (and must not look like an unsure critical intent).
        # So is an in-scope turn the classifier cannot place ("ma commande AB44102").
        unrecognised = label == VAGUE_LABEL or (not out_of_scope and (label == OOS_LABEL or uncertain))
        if fact_only or human >= 0.5:
            # A bare answer ("99948", "Joseph Banter") or a request for a person is not an
            # out-of-scope question, whatever the classifier makes of its words.
            out_of_scope, oos_score = False, 0.0
        elif other_company_request(text):
            out_of_scope, oos_score = True, max(oos_score, OTHER_COMPANY_OOS)

        if (out_of_scope or unrecognised) and not (fact_only or human >= 0.5 or smalltalk):
            in_context = self._read_with_opening(context, text)
            if in_context is not None:
                probs, out_of_scope, unrecognised = in_context, False, False

        # "did you get the right username? it's jsmith42", once a need is held: an answer,
        # not a lost username (an opening may still name the username it cannot sign in with).
        gives_username = (
            self.classifier.classes_[int(probs.argmax())] == RECOVER_USERNAME
            and any(f.kind == "username" for f in facts)
            and any(a.alternatives for a in context.analyses)
        )
        alternatives: list[IntentScore] = []
        if not (out_of_scope or smalltalk or fact_only or unrecognised or gives_username):
            order = np.argsort(-probs)
            for i in order[: TOP_K + 2]:
                flow, subflow = self._labels[i]
                if self.classifier.classes_[i] in NON_INTENT:
                    continue
                alternatives.append(IntentScore(flow=flow, subflow=subflow, confidence=round(float(probs[i]), 4)))
                if len(alternatives) == TOP_K:
                    break

        flow, subflow, confidence = self._conversation_intent(
            context, alternatives, bool(facts), names_only_item(text, facts)
        )

        earlier = [t.text for t in context.history if t.speaker == "customer"][-FRUSTRATION_LOOKBACK:]
        earlier_vectors = self.encode_cached(earlier) if earlier else None
        frustration, cues = frustration_score(self.signals, signals, text, vector, earlier, earlier_vectors)
        citations = []
        if not out_of_scope and not smalltalk and human < 0.5:  # asking for a person needs no article
            citations = self.index.search(text, k=3, vector=vector, intent=(flow, subflow) if flow else None)
        reply, kind = compose_reply(
            self.pack,
            flow=flow,
            subflow=subflow,
            confidence=confidence,
            out_of_scope=out_of_scope and flow is None,
            smalltalk=smalltalk,
            alternatives=alternatives,
            citations=citations,
            known_facts=known,
            account=context.account,
            clarify_below=self.clarify_below,
        )
        if out_of_scope and flow is not None:
            reply, kind = (
                f"I can't help with that one, but I'm still here for your {self.pack.texts.brand} request. " + reply,
                kind,
            )
        recommendation = self._recommend(context, human, out_of_scope, frustration, cues, confidence, flow)
        return TurnAnalysis(
            model=CODE_VERSION,
            message_seq=context.message_seq,
            flow=flow,
            subflow=subflow,
            confidence=round(float(min(1.0, max(0.0, confidence))), 4),
            alternatives=alternatives,
            out_of_scope=out_of_scope,
            oos_score=round(float(min(1.0, max(0.0, oos_score))), 4),
            human_request=float(min(1.0, max(0.0, human))),
            sentiment=round(sentiment(text), 4),
            frustration=frustration,
            frustration_cues=cues,
            facts=facts,
            citations=citations,
            reply=reply,
            reply_kind=kind,
            recommendation=recommendation,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
        )

    def _request_scope(self, text: str, whole: float) -> float:
        """The out-of-scope probability of a turn: the higher of the whole turn's and, for a long
        message, of its request pieces (``warmline.model.scope.request_pieces``), each read on its
        own (one more encoder call, for long messages only), when that reading is sure: read
        alone, a short store question such as "how do I see where my order is?" often scores
        0.5-0.85 to the head, the off-topic asks of long messages 0.9 and more."""
        pieces = request_pieces(text)
        if not pieces:
            return whole
        vectors = self.encode_cached(pieces)
        request = max(self.signals.turn(p, v).out_of_scope for p, v in zip(pieces, vectors, strict=True))
        return max(whole, request) if request >= SURE_REQUEST else whole

    def _read_with_opening(self, context: TurnContext, text: str) -> np.ndarray | None:
        """The intent distribution of this turn read together with the previous customer turn, when
        that turn named no need either and together they name one clearly ("about the jacket on your
        homepage" / "can I wash it at home?"); None otherwise. It costs one more encoding, only on
        this path (the mean of the two cached turn vectors places the pair far less surely)."""
        previous = next((t for t in reversed(context.history) if t.speaker == "customer"), None)
        analysis = next((a for a in reversed(context.analyses) if previous and a.message_seq == previous.seq), None)
        if previous is None or analysis is None or analysis.alternatives or analysis.out_of_scope:
            return None
        together = f"{previous.text} {text}"
        probs, label, top = self.turn_distribution(together, self.encode_cached([together])[0])
        return probs if label not in NON_INTENT and top >= PAIR_CLEAR_NEED else None

    # ---- conversation-level ----------------------------------------------------------------
    @staticmethod
    def _conversation_intent(
        context: TurnContext, current: list[IntentScore], current_has_facts: bool, current_names_item: bool = False
    ) -> tuple[str | None, str | None, float]:
        turns: list[TurnEvidence] = []
        by_seq = {a.message_seq: a for a in context.analyses}
        asked = False  # the last agent or bot turn asked for identifying details
        need_asked = False  # ... or what the problem is
        answered = False  # ... or the bot answered
        for turn in context.history:
            if turn.speaker in ("agent", "bot"):
                asked, need_asked, answered = asks_for_details(turn.text), asks_about_need(turn.text), turn.answered
            elif turn.speaker == "customer" and turn.seq in by_seq:
                analysis = by_seq[turn.seq]
                has_facts = (asked and bool(analysis.facts)) or names_only_item(turn.text, analysis.facts)
                turns.append(TurnEvidence(turn.text, analysis.alternatives, has_facts, need_asked, answered))
                asked = need_asked = answered = False  # a second customer message in a row answers nothing new
        answers = (asked and current_has_facts) or current_names_item
        turns.append(TurnEvidence(context.text, current, answers, need_asked, answered))
        held = conversation_intent(turns)
        return (held.flow, held.subflow, held.confidence) if held else (None, None, 0.0)

    def _recommend(
        self,
        context: TurnContext,
        human: float,
        out_of_scope: bool,
        frustration: float,
        cues: list[str],
        confidence: float,
        flow: str | None,
    ) -> EscalationRecommendation:
        recent = context.analyses[-2:]
        if human >= 0.5:
            return EscalationRecommendation(
                escalate=True, trigger="human_request", reason="the customer asks for a person"
            )
        if frustration >= self.frustration_escalate:
            return EscalationRecommendation(
                escalate=True, trigger="frustration", reason=f"frustration {frustration:.2f} ({', '.join(cues)})"
            )
        if out_of_scope and recent and recent[-1].out_of_scope:
            return EscalationRecommendation(
                escalate=True, trigger="out_of_scope", reason="two out-of-scope requests in a row"
            )
        if len(recent) == 2 and all(a.reply_kind == "clarify" for a in recent) and confidence < self.clarify_below:
            return EscalationRecommendation(
                escalate=True, trigger="low_confidence", reason="the intent is still unclear after two clarifications"
            )
        if "repetition" in cues and len(context.analyses) >= 3:
            return EscalationRecommendation(escalate=True, trigger="looping", reason="the customer repeats themselves")
        reason = "" if flow is None else f"the bot can handle {flow}/{context.analyses and 'the request' or 'it'}"
        return EscalationRecommendation(escalate=False, reason=reason.strip())


def describe(model: EmbeddedModel) -> dict[str, Any]:
    return {
        "backend": CODE_VERSION,
        "pack": model.pack.name,
        "pack_version": model.pack.version,
        "labels": len(model.classifier.classes_),
        "oos_threshold": model.classifier.threshold,
        "temperature": model.classifier.temperature,
    }
