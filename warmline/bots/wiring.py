"""Wires outside bots into a running service: their sources, the assessor of their turns, and
the signed webhooks through the integrations' outbox and dispatcher."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from starlette.concurrency import run_in_threadpool

from warmline.auth import Principal
from warmline.bot.model_bot import ModelBot
from warmline.bots.assess import OutsideBotAssessor
from warmline.bots.rasa.config import RasaConfig
from warmline.bots.sources import BotSource, BotSources
from warmline.bots.webhooks import OUTBOX_DESK, BotWebhooks, queue_bot_events
from warmline.conversation.actions import Services
from warmline.errors import Forbidden
from warmline.integrations.base import Desk
from warmline.integrations.wiring import Integrations

SOURCE_TTL_S = 5.0  # a changed source (shadow mode, webhook URL) applies within this


class Consumer(Protocol):
    """A bot platform's feed of turns, run on the service's event loop (Rasa's event broker)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class BotIngestion:
    sources: BotSources
    # None where the service runs without the model (tests of the API layer): turns are then
    # stored, never analysed or decided on.
    assessor: OutsideBotAssessor | None
    consumers: list[Consumer] = field(default_factory=list)
    _cache: dict[str, tuple[float, BotSource]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def start(self) -> None:
        for consumer in self.consumers:
            await consumer.start()

    async def stop(self) -> None:
        for consumer in self.consumers:
            await consumer.stop()

    async def source_for(self, caller: Principal, name: str | None = None) -> BotSource:
        """The caller's bot source; refuses other roles and another bot's name."""
        caller.require("bot")
        with self._lock:
            cached = self._cache.get(caller.id)
        if cached is None or cached[0] < time.monotonic():
            source = await run_in_threadpool(self.sources.by_staff, caller.id)
            with self._lock:
                self._cache[caller.id] = (time.monotonic() + SOURCE_TTL_S, source)
        else:
            source = cached[1]
        if name is not None and name != source.name:
            raise Forbidden(f"this token belongs to the bot {source.name!r}, not {name!r}", code="wrong_source")
        return source


def bot_desks(sources: BotSources, rasa: RasaConfig) -> dict[str, Desk]:
    """The outbox's delivery kinds for outside bots (the service and `warmline integrations
    dispatch` deliver with the same ones)."""
    desks: dict[str, Desk] = {OUTBOX_DESK: BotWebhooks(sources=sources, clock=sources.clock)}
    if rasa.enabled:
        from warmline.bots.rasa.client import RasaDesk

        desks[RasaDesk.name] = RasaDesk(config=rasa)
    return desks


def install_bots(svc: Services, integrations: Integrations, rasa: RasaConfig | None = None) -> BotIngestion:
    """Bot sources, signed webhooks through the outbox, and the bot platforms configured
    (``rasa``: read from ``WARMLINE_RASA_*`` when not given)."""
    sources = BotSources(svc.store.engine, svc.store.token_secret(), svc.store.clock)
    rasa = rasa if rasa is not None else RasaConfig()
    integrations.dispatcher.desks.update(bot_desks(sources, rasa))
    svc.before_commit.append(queue_bot_events)
    assessor = OutsideBotAssessor(svc.bot) if isinstance(svc.bot, ModelBot) else None
    bots = BotIngestion(sources, assessor)
    if rasa.enabled:
        from warmline.bots.rasa.client import rasa_hook
        from warmline.bots.rasa.consumer import RasaConsumer

        svc.before_commit.append(rasa_hook(rasa.source))
        bots.consumers.append(RasaConsumer(svc, bots, rasa))
    return bots
