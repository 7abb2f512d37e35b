"""The assistant's written sentences, from the pack's ``store/replies.yaml``."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from warmline.packs import PackError

REPLIES_FILE = "store/replies.yaml"


@dataclass(frozen=True)
class Phrases:
    greeting: str
    welcome: str
    anything_else: str
    closing: str
    clarify: str
    clarify_again: str
    out_of_scope: str
    source: str
    ask_identity: str
    ask_identity_again: str
    offer_lookup: str
    identity_mismatch: str
    verified: str
    how_can_i_help: str
    no_orders: str
    store_down: str
    propose_cancel: str
    propose_2fa: str
    ask_address: str
    declined: str
    cancelled: str
    return_started: str
    code_sent: str
    resume: str
    resume_note: str
    resume_tail: str
    rephrase: str

    def rephrase_of(self, text: str) -> str:
        """The same content in other words, so no reply is sent twice in a row."""
        return self.rephrase.format(text=text[:1].lower() + text[1:])


def load_phrases(pack_path: Path) -> Phrases:
    path = pack_path / REPLIES_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise PackError(f"{path}: unreadable replies ({error})") from None
    missing = [f.name for f in fields(Phrases) if not isinstance(data.get(f.name), str)]
    if missing:
        raise PackError(f"{path}: missing replies {', '.join(missing)}")
    return Phrases(**{f.name: data[f.name] for f in fields(Phrases)})


def _optional_yaml(path: Path) -> Any:
    """A pack file that may be absent: its YAML, or {} without it."""
    if not path.is_file():
        return {}
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise PackError(f"{path}: unreadable ({error})") from None


TOPICS_FILE = "store/topics.yaml"
TOPICS = frozenset(
    {
        "order_status",
        "order_problem",
        "order_charges",
        "refund",
        "membership",
        "plus",
        "store_credit",
        "gift_card",
        "payment_methods",
        "cancel_order",
        "change_address",
        "start_return",
        "two_factor",
    }
)


def load_article_topics(pack_path: Path) -> dict[str, str]:
    """Help-center article id -> the customer record it is about (empty when the pack has none)."""
    path = pack_path / TOPICS_FILE
    data = _optional_yaml(path)
    unknown = sorted({str(v) for v in data.values()} - TOPICS)
    if unknown:
        raise PackError(f"{path}: unknown topics {', '.join(unknown)}")
    return {str(k): str(v) for k, v in data.items()}


GLOSSARY_FILE = "store/glossary.yaml"


def load_glossary(pack_path: Path) -> dict[str, str]:
    """Other languages' support words -> English (empty when the pack has none)."""
    path = pack_path / GLOSSARY_FILE
    data = _optional_yaml(path)
    if not isinstance(data, dict) or not all(isinstance(v, str) and v.strip() for v in data.values()):
        raise PackError(f"{path}: a glossary maps words to their English")
    return {str(k): str(v) for k, v in data.items()}
