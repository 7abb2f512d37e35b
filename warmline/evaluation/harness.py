"""Runs customer turns through the real bot pipeline, in process, on a throwaway database.

The evaluation commands (`warmline eval escalation`, `eval handoff`, `eval conversations`) use
this so that what they measure is exactly what the service does: the same actions, the same
model, policy, routing and payload builder, the same events.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from warmline.bus.memory import MemoryBus
from warmline.config import Settings
from warmline.conversation import actions
from warmline.conversation.events import Escalated, EventRecord
from warmline.conversation.state import Status
from warmline.queue import actions as queue_actions
from warmline.runtime import release_startup_heap, settle_startup_heap


class Harness:
    def __init__(self, **settings: Any):
        from warmline.app import build_services

        self._folder = tempfile.TemporaryDirectory(prefix="warmline-eval-")
        url = f"sqlite:///{Path(self._folder.name) / 'eval.db'}"
        defaults: dict[str, Any] = {"database_url": url, "environment": "test", "cold_transfer_share": 0.0}
        self.settings = Settings(**{**defaults, **settings})
        self.services = build_services(self.settings, bus=MemoryBus())
        settle_startup_heap()

    def add_account(self, account: dict[str, Any]) -> str:
        self.services.store.upsert_accounts([account])
        return str(account["id"])

    def converse(
        self, turns: list[str], *, account_id: str | None = None, stop_at_handoff: bool = True
    ) -> tuple[str, list[EventRecord]]:
        """Start a conversation and send the customer's turns in order; stops sending once the
        conversation leaves the bot (unless ``stop_at_handoff`` is False)."""
        started = actions.do_start_conversation(self.services, channel="eval", account_id=account_id)
        cid = started.conversation_id
        for text in turns:
            if not text.strip():
                continue
            outcome = actions.do_post_customer_message(self.services, cid, text[: self.settings.max_message_bytes])
            if stop_at_handoff and outcome.state.status != Status.BOT:
                break
        return cid, self.services.store.load_events(cid)

    def force_handoff(
        self, conversation_id: str, reason: str = "handoff forced by the evaluation"
    ) -> list[EventRecord]:
        """Hand the conversation off now (if the bot still has it), as the policy would."""
        queue_actions.do_hand_off_now(self.services, conversation_id, reason)
        return self.services.store.load_events(conversation_id)

    def close(self) -> None:
        self.services.close()
        release_startup_heap()
        self._folder.cleanup()

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def first_escalation(records: list[EventRecord]) -> str | None:
    """The trigger of the first handoff in a conversation, or None."""
    for record in records:
        if isinstance(record.event, Escalated):
            return record.event.trigger
    return None
