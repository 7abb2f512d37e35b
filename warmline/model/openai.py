"""A second backend: an OpenAI-compatible chat endpoint (``POST /chat/completions``).

The caller injects the ``httpx.Client`` (base URL, auth, timeouts, or ``httpx.MockTransport`` in
tests). The LLM is asked for a JSON object with the intent, out-of-scope flag, sentiment and a
reply grounded in the passages we retrieve and send; facts, the escalation signals (a request for a
person, frustration over the conversation: ``warmline.model.signals``) and the recommendation stay
the embedded components', so the analysis keeps its shape.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from warmline.model.analysis import EscalationRecommendation, IntentScore, TurnAnalysis, TurnContext
from warmline.model.facts import extract_facts
from warmline.model.frustration import frustration_score
from warmline.model.human_request import human_request_score
from warmline.model.signals import SignalModel, load_signals
from warmline.packs import Pack

CODE_VERSION = "openai/1"


class ModelBackendError(RuntimeError):
    """The remote model failed or answered with something we cannot use."""


class OpenAIModel:
    name = "openai"

    def __init__(
        self,
        pack: Pack,
        *,
        http_client: httpx.Client,
        model: str = "gpt-4o-mini",
        retriever: Any = None,
        signals: SignalModel | None = None,
    ) -> None:
        from warmline.model.embedded import cache_dir
        from warmline.model.encoder import shared_encoder

        self.pack = pack
        self._encode = shared_encoder().encode
        self.signals = signals or load_signals(pack.path, self._encode, cache_dir())
        self.client = http_client
        self.model = model
        self.retriever = retriever  # optional KnowledgeIndex; citations are empty without one
        self._labels = {f"{s.flow}/{s.name}": s.description for s in pack.subflows}

    def _prompt(self, context: TurnContext, passages: list[str]) -> list[dict[str, str]]:
        intents = "\n".join(f"- {label}: {desc}" for label, desc in self._labels.items())
        history = "\n".join(f"{t.speaker}: {t.text}" for t in context.history[-8:])
        system = (
            f"You analyse customer-support turns for {self.pack.name}. Intents:\n{intents}\n"
            'Answer with one JSON object: {"intent": "flow/subflow" or null, "confidence": 0..1, '
            '"out_of_scope": bool, "sentiment": -1..1, "reply": str}. Ground the reply only in these '
            "passages:\n" + "\n".join(f"[{i}] {p}" for i, p in enumerate(passages))
        )
        return [
            {"role": "system", "content": system},
            {"role": "user", "content": f"Conversation so far:\n{history}\n\nCustomer: {context.text}"},
        ]

    def analyse(self, context: TurnContext) -> TurnAnalysis:
        started = time.perf_counter()
        citations = self.retriever.search(context.text, k=3) if self.retriever else []
        body = {
            "model": self.model,
            "messages": self._prompt(context, [c.passage for c in citations]),
            "temperature": 0,
            "response_format": {"type": "json_object"},
        }
        try:
            response = self.client.post("/chat/completions", json=body)
            response.raise_for_status()
            content = response.json()["choices"][0]["message"]["content"]
            data = json.loads(content)
        except httpx.HTTPError as error:
            raise ModelBackendError(f"model endpoint failed: {error}") from error
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise ModelBackendError(f"model endpoint returned an unusable answer: {error}") from error
        label = data.get("intent")
        flow = subflow = None
        if isinstance(label, str) and label in self._labels:
            flow, subflow = label.split("/", 1)
        confidence = _clamp(data.get("confidence", 0.0), 0.0, 1.0) if flow else 0.0
        out_of_scope = bool(data.get("out_of_scope", False))
        earlier = [t.text for t in context.history if t.speaker == "customer"][-4:]
        vectors = self._encode([*earlier, context.text or " "])
        signals = self.signals.turn(context.text or " ", vectors[-1])
        human, _ = human_request_score(context.text, signals.human_request)
        frustration, cues = frustration_score(
            self.signals, signals, context.text, vectors[-1], earlier, vectors[:-1] if earlier else None
        )
        recommendation = EscalationRecommendation(escalate=False)
        if human >= 0.5:
            recommendation = EscalationRecommendation(
                escalate=True, trigger="human_request", reason="the customer asks for a person"
            )
        elif frustration >= 0.5:
            recommendation = EscalationRecommendation(escalate=True, trigger="frustration", reason=", ".join(cues))
        reply = str(data.get("reply") or "Could you tell me a little more about what you need?")
        return TurnAnalysis(
            model=f"{CODE_VERSION}:{self.model}",
            message_seq=context.message_seq,
            flow=flow,
            subflow=subflow,
            confidence=confidence,
            alternatives=[IntentScore(flow=flow, subflow=subflow, confidence=confidence)] if flow and subflow else [],
            out_of_scope=out_of_scope,
            oos_score=1.0 if out_of_scope else 0.0,
            human_request=human,
            sentiment=_clamp(data.get("sentiment", 0.0), -1.0, 1.0),
            frustration=frustration,
            frustration_cues=cues,
            facts=extract_facts(context.text, context.message_seq),
            citations=citations,
            reply=reply,
            reply_kind="refuse" if out_of_scope else ("answer" if flow else "clarify"),
            recommendation=recommendation,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
        )


def _clamp(value: Any, low: float, high: float) -> float:
    try:
        return float(min(high, max(low, float(value))))
    except (TypeError, ValueError):
        return 0.0
