"""The model layer: per-turn analysis (DESIGN.md §3). Recommends; never decides.

``create_model(name, pack)`` builds a backend: ``"embedded"`` (default, offline) or ``"openai"``
(an OpenAI-compatible chat endpoint through an injected ``httpx.Client``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from warmline.model.analysis import (
    Citation,
    EscalationRecommendation,
    Fact,
    IntentScore,
    Model,
    Turn,
    TurnAnalysis,
    TurnContext,
)

if TYPE_CHECKING:
    import httpx

    from warmline.packs import Pack

BACKENDS = ("embedded", "openai")


class UnknownModelBackend(ValueError):
    """The configured model backend name is not one of :data:`BACKENDS`."""


def create_model(name: str, pack: Pack, *, http_client: httpx.Client | None = None, **options: Any) -> Model:
    """Build the named backend for ``pack``. Unknown names raise; there is no silent fallback."""
    if name == "embedded":
        from warmline.model.embedded import EmbeddedModel

        return EmbeddedModel(pack, **options)
    if name == "openai":
        from warmline.model.openai import OpenAIModel

        if http_client is None:
            raise ValueError("the openai backend needs an http_client (httpx.Client with base_url and auth)")
        return OpenAIModel(pack, http_client=http_client, **options)
    raise UnknownModelBackend(f"unknown model backend {name!r}; choose one of: {', '.join(BACKENDS)}")


__all__ = [
    "BACKENDS",
    "Citation",
    "EscalationRecommendation",
    "Fact",
    "IntentScore",
    "Model",
    "Turn",
    "TurnAnalysis",
    "TurnContext",
    "UnknownModelBackend",
    "create_model",
]
