"""The store the bot serves: its help center (answers), its systems (lookups and actions) and the
dialogue that uses both. ``shared_dialogue`` wires them for a pack and the configured store."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from warmline.config import Settings
from warmline.shop.backend import StoreBackend, demo_backend
from warmline.shop.dialogue import Dialogue
from warmline.shop.help_center import load_help_center
from warmline.shop.knowledge import Encode, Glossary, HelpCenterIndex, load_vectors, save_vectors
from warmline.shop.phrases import load_article_topics, load_glossary, load_phrases, load_questions

if TYPE_CHECKING:
    from warmline.model import Model
    from warmline.packs import Pack

log = logging.getLogger(__name__)
VECTORS_FILE = "model/help_center.npz"


def cache_dir() -> Path:
    return Path(os.environ.get("WARMLINE_CACHE_DIR", Path.home() / ".cache" / "warmline"))


def store_backend(settings: Settings, pack_path: Path) -> StoreBackend | None:
    """The configured store: a deployment's order system by URL, else the pack's demo store."""
    if settings.store_url:
        import httpx

        from warmline.shop.http import HttpStoreBackend

        headers = {}
        if settings.store_token is not None:
            headers["Authorization"] = f"Bearer {settings.store_token.get_secret_value()}"
        client = httpx.Client(base_url=settings.store_url, headers=headers, timeout=settings.store_timeout_s)
        return HttpStoreBackend(client)
    return demo_backend(pack_path)


def english_words() -> frozenset[str]:
    """The whole words of the encoder's vocabulary ("normally", "brands", "question"): a word
    among them is English as written, never a misspelling to respell."""
    import json

    from warmline.model.encoder import TOKENIZER_PATH

    try:
        vocabulary = json.loads(TOKENIZER_PATH.read_text(encoding="utf-8"))["model"]["vocab"]
    except (OSError, KeyError, ValueError):
        return frozenset()
    return frozenset(w for w in vocabulary if w.isalpha() and w.isascii())


def help_center_index(pack_path: Path, encode: Encode) -> HelpCenterIndex | None:
    """The pack's help center with its embeddings: shipped with the pack, else computed once and
    cached (``$WARMLINE_CACHE_DIR``); None when the pack has no help center."""
    articles = load_help_center(pack_path)
    if not articles:
        return None
    questions = load_questions(pack_path)
    vectors = load_vectors(pack_path / VECTORS_FILE, articles, encode, questions)
    if vectors is None:
        cached = cache_dir() / f"{pack_path.name}-help-center.npz"
        vectors = load_vectors(cached, articles, encode, questions)
        if vectors is None:
            log.info("embedding the %s help center (first start with these articles)", pack_path.name)
            try:
                vectors = save_vectors(cached, articles, encode, questions)
            except OSError as error:
                log.warning("could not cache the help-center vectors: %s", error)
    return HelpCenterIndex(
        articles, encode, vectors, Glossary(load_glossary(pack_path)), questions, english=english_words()
    )


_indexes: dict[tuple[str, str], HelpCenterIndex | None] = {}
_indexes_lock = threading.Lock()


def shared_dialogue(settings: Settings, pack: Pack, model: Model) -> Dialogue | None:
    """The dialogue for one bot: the help-center index is shared per pack in the process
    (embedding it takes seconds), the store is the bot's own (the demo store's actions change
    that bot's copy of the demo data only)."""
    from warmline.model.embedded import EmbeddedModel
    from warmline.model.encoder import shared_encoder

    key = (str(pack.path), pack.version)
    with _indexes_lock:
        if key not in _indexes:
            # The embedded model has already encoded the customer's turn: share its cache.
            encode = model.encode_cached if isinstance(model, EmbeddedModel) else shared_encoder().encode
            _indexes[key] = help_center_index(pack.path, encode)
        index = _indexes[key]
    if index is None:
        return None
    return Dialogue(index, store_backend(settings, pack.path), load_phrases(pack.path), load_article_topics(pack.path))
