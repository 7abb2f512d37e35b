"""The handoff's assembly: routing, payload, the customer's notice, then ``escalated``.

The payload is appended in the same commit that puts the conversation in the queue, so no agent
can claim it before its payload exists. A payload is rebuilt (``payload_built`` again) when the
conversation moves team or the customer adds facts while waiting.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from warmline.bot.context import TurnSnapshot
from warmline.conversation.events import BOT, BotMessage, Escalated, EventRecord, PayloadBuilt, Routed
from warmline.handoff.payload import build_payload
from warmline.packs import Pack
from warmline.routing import Routing
from warmline.shop.activity import account_with_activity
from warmline.shop.backend import StoreBackend

FORCED = "forced"
Mode = Literal["live", "callback", "ticket"]


def cold_cohort(conversation_id: str, share: float, seed: int) -> bool:
    """The cold-transfer experiment: a stable, seeded share of conversations (not of handoffs, so
    a conversation escalated twice stays in one cohort)."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{seed}:{conversation_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


@dataclass(frozen=True)
class HandoffAssembly:
    pack: Pack
    cold_share: float
    cold_seed: int
    store: StoreBackend | None = None  # the store the bot looked things up in, if any

    def notice(self, routing: Routing) -> str:
        """What the customer reads when no policy message says more: who takes over."""
        return self.pack.texts.notice(routing.team)

    def hand_off(
        self,
        snapshot: TurnSnapshot,
        routing: Routing,
        decision: dict[str, Any],
        *,
        notice: str | None,
        mode: Mode | None = None,
    ) -> None:
        """Append ``routed``, ``payload_built``, the notice and ``escalated``. ``notice`` None: an
        outside bot holds the channel and tells the customer itself."""
        writer = snapshot.writer
        history = snapshot.history()
        cold = cold_cohort(snapshot.conversation_id, self.cold_share, self.cold_seed)
        writer.append(BOT, Routed(routing=routing))
        writer.append(BOT, self.payload(snapshot, routing, decision, cold=cold, history=history))
        analysis = snapshot.analysis
        in_reply_to = analysis.message_seq if analysis else None
        if notice is not None:
            writer.append(BOT, BotMessage(text=notice, kind="handoff_notice", in_reply_to=in_reply_to))
        writer.append(
            BOT,
            Escalated(
                team=routing.team,
                trigger=str(decision.get("trigger") or FORCED),
                reason=str(decision.get("reason") or routing.reason),
                priority=routing.priority,
                sla_due_at=routing.sla_due_at,
                cohort="cold" if cold else "warm",
                mode=mode or decision.get("mode") or "live",
            ),
        )

    def payload(
        self,
        snapshot: TurnSnapshot,
        routing: Routing,
        decision: dict[str, Any],
        *,
        cold: bool | None = None,
        history: list[EventRecord] | None = None,
    ) -> PayloadBuilt:
        """The payload for the agent who claims next (the conversation's cohort unless given)."""
        if cold is None:
            cold = snapshot.state.cohort == "cold"
        payload = build_payload(
            conversation_id=snapshot.conversation_id,
            history=list(snapshot.history() if history is None else history),
            analysis=snapshot.analysis,
            account=account_with_activity(
                snapshot.history() if history is None else history, snapshot.account, self.store
            ),
            routing=routing,
            decision=decision,
            pack=self.pack,
            cohort="cold" if cold else "warm",
            now=snapshot.now,
        )
        return PayloadBuilt(payload=payload)
