"""The assistant's written sentences, from the pack's ``store/replies.yaml``."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
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
    ask_name: str
    ask_identity_again: str
    offer_lookup: str
    identity_mismatch: str
    identity_mismatch_again: str
    verified: str
    how_can_i_help: str
    no_orders: str
    no_such_item: str
    store_down: str
    propose_cancel: str
    propose_2fa: str
    ask_address: str
    declined: str
    cancelled: str
    return_started: str
    code_sent: str
    resume_greeting: str
    resume: str
    resume_note: str
    resume_tail: str
    rephrase: str
    # language -> phrase name -> the phrase in that language (English is the fields above)
    languages: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, hash=False)

    def localized(self, text: str, language: str) -> str:
        """``text`` with the assistant's own sentences in ``language`` where the pack has them
        (the help center's and the records' words stay as written)."""
        for english, translated in self._pairs(language):
            text = text.replace(english, translated)
        return text

    def in_language(self, name: str, language: str) -> str:
        """The phrase ``name`` in ``language`` (the English one when the pack has no translation);
        for phrases with placeholders, which :meth:`localized` cannot find once filled in."""
        return self.languages.get(language, {}).get(name) or str(getattr(self, name))

    def english(self, text: str) -> str:
        """``text`` with the assistant's sentences of any language back in English (what the
        dialogue compares its earlier replies with)."""
        for language in self.languages:
            for english, translated in self._pairs(language):
                text = text.replace(translated, english)
        return text

    def _pairs(self, language: str) -> list[tuple[str, str]]:
        own = self.languages.get(language, {})
        pairs = [(getattr(self, name), text) for name, text in own.items()]
        return sorted(pairs, key=lambda pair: -len(pair[0]))  # "Source:" inside no longer phrase

    def asks_who(self, reply: str) -> bool:
        """Whether a reply of the assistant (in English: see :meth:`english`) asked the customer who they are."""
        asks = (
            self.ask_identity,
            self.ask_name,
            self.ask_identity_again,
            self.identity_mismatch,
            self.identity_mismatch_again,
        )
        return reply in asks or reply.endswith(self.offer_lookup)

    def rephrase_of(self, text: str) -> str:
        """The same content in other words, so no reply is sent twice in a row."""
        return self.rephrase.format(text=text)


def load_phrases(pack_path: Path) -> Phrases:
    path = pack_path / REPLIES_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise PackError(f"{path}: unreadable replies ({error})") from None
    names = [f.name for f in fields(Phrases) if f.name != "languages"]
    missing = [name for name in names if not isinstance(data.get(name), str)]
    if missing:
        raise PackError(f"{path}: missing replies {', '.join(missing)}")
    languages = data.get("languages") or {}
    if not isinstance(languages, dict) or not all(
        isinstance(own, dict) and all(k in names and isinstance(v, str) for k, v in own.items())
        for own in languages.values()
    ):
        raise PackError(f"{path}: 'languages' maps a language to replies by the names above")
    return Phrases(**{name: data[name] for name in names}, languages={str(k): dict(v) for k, v in languages.items()})


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


QUESTIONS_FILE = "store/questions.yaml"


@dataclass(frozen=True)
class Question:
    """Phrasings customers use for what one sentence of an article answers."""

    article: str
    answer: str  # how the answering sentence starts (or a part of it)
    asks: tuple[str, ...]


def load_questions(pack_path: Path) -> tuple[Question, ...]:
    """The pack's customer phrasings mapped to the help-center sentences that answer them (none
    when the pack has no ``store/questions.yaml``)."""
    path = pack_path / QUESTIONS_FILE
    data = _optional_yaml(path) or []
    if not isinstance(data, list) or not all(
        isinstance(entry, dict)
        and isinstance(entry.get("article"), str)
        and isinstance(entry.get("answer"), str)
        and isinstance(entry.get("asks"), list)
        and all(isinstance(a, str) and a.strip() for a in entry["asks"])
        for entry in data
    ):
        raise PackError(f"{path}: a list of {{article, answer, asks: [phrasings]}}")
    return tuple(Question(e["article"], e["answer"], tuple(e["asks"])) for e in data)
