"""The configured model: ``Settings`` -> a :class:`Model` backend, one per process.

The openai backend gets its ``httpx.Client`` (endpoint, key, timeout) built here from the
settings; every other name goes to :func:`warmline.model.create_model`, which refuses unknown ones.
"""

from __future__ import annotations

import threading

from warmline.config import Settings
from warmline.errors import ConfigurationError
from warmline.model import Model, create_model
from warmline.packs import Pack

_models: dict[tuple[str, str], Model] = {}
_models_lock = threading.Lock()


def shared_model(settings: Settings, pack: Pack) -> Model:
    """One model per backend and pack per process: the embedded one takes seconds to load."""
    key = (settings.model, str(pack.path))
    with _models_lock:
        if key not in _models:
            _models[key] = configured_model(settings, pack)
        return _models[key]


def configured_model(settings: Settings, pack: Pack) -> Model:
    if settings.model == "openai":
        import httpx

        if not settings.model_endpoint:
            raise ConfigurationError("WARMLINE_MODEL=openai needs WARMLINE_MODEL_ENDPOINT")
        headers = {}
        if settings.model_api_key is not None:
            headers["Authorization"] = f"Bearer {settings.model_api_key.get_secret_value()}"
        client = httpx.Client(base_url=settings.model_endpoint, headers=headers, timeout=20.0)
        options = {"model": settings.model_name} if settings.model_name else {}
        return create_model("openai", pack, http_client=client, **options)
    try:
        return create_model(settings.model, pack)
    except ValueError as exc:
        raise ConfigurationError(str(exc), code="unknown_model") from exc
