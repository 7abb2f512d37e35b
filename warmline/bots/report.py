"""How Warmline's decisions on an outside bot's conversations compare with the bot's own handoff
requests: the shadow-mode report (``warmline bots report``), computed from the event log."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select

from warmline.conversation.events import PolicyDecided
from warmline.storage.sql.schema import bot_conversations
from warmline.storage.sql.store import SqlStore

CELLS = {(True, True): "both", (True, False): "warmline_only", (False, True): "bot_only", (False, False): "neither"}


def shadow_report(store: SqlStore, source: str, since: datetime | None = None) -> dict[str, Any]:
    """Per decided customer turn: did Warmline's policy escalate, did the bot ask for a person.

    ``agreement`` is the share of decisions where both said the same; ``warmline_only`` are the
    turns Warmline would hand to a person and the bot would not (what switching would add),
    ``bot_only`` the reverse (what the bot's own handoff catches that the policy does not)."""
    query = select(bot_conversations.c.conversation_id).where(bot_conversations.c.source == source)
    if since is not None:
        query = query.where(bot_conversations.c.created_at >= since)
    with store.engine.connect() as connection:
        ids = [row[0] for row in connection.execute(query)]
    cells: Counter[str] = Counter()
    triggers: Counter[str] = Counter()
    shadowed = 0
    for conversation_id in ids:
        for record in store.load_events(conversation_id):
            if not isinstance(record.event, PolicyDecided) or record.event.decision.source != source:
                continue
            decision = record.event.decision
            warmline = decision.escalates
            bot = bool((decision.inputs.get("bot") or {}).get("handoff_requested"))
            cells[
                "both" if warmline and bot else "warmline_only" if warmline else "bot_only" if bot else "neither"
            ] += 1
            if warmline:
                triggers[str(decision.trigger)] += 1
            shadowed += bool(decision.shadow)
    total = sum(cells.values())
    return {
        "source": source,
        "conversations": len(ids),
        "decisions": total,
        "shadow_decisions": shadowed,
        "warmline_escalations": cells["both"] + cells["warmline_only"],
        "bot_requests": cells["both"] + cells["bot_only"],
        "both": cells["both"],
        "warmline_only": cells["warmline_only"],
        "bot_only": cells["bot_only"],
        "neither": cells["neither"],
        "agreement": round((cells["both"] + cells["neither"]) / total, 4) if total else None,
        "by_trigger": dict(sorted(triggers.items())),
    }
