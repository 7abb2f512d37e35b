"""Rasa tracker events -> ingestion turns (pure).

Shapes: Rasa's ``Event.as_dict()`` as the event broker publishes it, with ``sender_id`` added by
the tracker store (recorded in ``tests/bots/fixtures/rasa/``, with their sources). ``user``
events carry Rasa's NLU result (``parse_data``: intent name and confidence, entities) and a
``message_id``; ``bot`` events have no id, so theirs is derived from the sender, timestamp and
text (the same event delivered twice is stored once). A ``pause`` event is Rasa's own handoff
(``ConversationPaused``, e.g. from a handoff action).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from warmline.bots.assess import BotTurnAnalysis
from warmline.bots.ingest import IncomingTurn
from warmline.bots.rasa.config import RasaConfig

CHANNEL = re.compile(r"[^a-z0-9_-]")


@dataclass(frozen=True)
class RasaUpdate:
    """What one broker message means for Warmline: the conversation, and a turn or a handoff."""

    sender_id: str
    channel: str
    turn: IncomingTurn | None = None
    handoff_reason: str | None = None


def parse_event(event: dict[str, Any], config: RasaConfig) -> RasaUpdate | None:
    """The update for one tracker event, or None for events Warmline does not need."""
    sender = str(event.get("sender_id") or "")
    kind = event.get("event")
    if not sender or kind not in ("user", "bot", "pause"):
        return None
    channel = _channel(event.get("input_channel"))
    at = _time(event.get("timestamp"))
    if kind == "pause":
        return RasaUpdate(sender, channel, handoff_reason="the Rasa assistant paused the conversation")
    text = str(event.get("text") or "")
    if not text.strip():
        return None  # a button payload or an image without text: nothing to read
    if kind == "bot":
        digest = hashlib.sha256(f"{sender}|{event.get('timestamp')}|{text}".encode()).hexdigest()[:24]
        return RasaUpdate(sender, channel, IncomingTurn(f"bot-{digest}", "bot", text, at))
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    name = intent.get("name")
    confidence = intent.get("confidence")
    entities = tuple(
        (str(e["entity"]), str(e["value"]))
        for e in parse.get("entities") or []
        if isinstance(e, dict) and "entity" in e and "value" in e
    )
    analysis = BotTurnAnalysis(
        intent=name,
        confidence=float(confidence) if isinstance(confidence, int | float) else None,
        out_of_scope=name in config.out_of_scope_intents if name else None,
        entities=entities,
    )
    message_id = str(event.get("message_id") or parse.get("message_id") or "")
    if not message_id:
        message_id = "user-" + hashlib.sha256(f"{sender}|{event.get('timestamp')}|{text}".encode()).hexdigest()[:24]
    handoff = f"the Rasa intent {name}" if name in config.handoff_intents else None
    return RasaUpdate(sender, channel, IncomingTurn(message_id[:200], "customer", text, at, analysis, handoff), handoff)


def _channel(value: object) -> str:
    name = CHANNEL.sub("-", str(value or "rasa").lower())[:32]
    return name if name and name[0].isalpha() else "rasa"


def _time(value: object) -> datetime | None:
    return datetime.fromtimestamp(float(value), UTC) if isinstance(value, int | float) else None
