"""Consumes the tracker events Rasa publishes to RabbitMQ and posts them as the Rasa source's turns.

Warmline declares the exchange as Rasa does (fanout, not durable, ``rasa-exchange`` by default)
and its own durable queue bound to it, so events published while Warmline is down wait in the
queue. Each message is acknowledged once its turn is committed; a message that can never be
stored (not JSON, an event of an unknown conversation shape, a bot turn while a person holds the
conversation) is logged and acknowledged; anything else (the database is unavailable) is
requeued after a pause.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from typing import Any

from warmline.api.deps import run_action
from warmline.bots import ingest
from warmline.bots.rasa.config import RasaConfig
from warmline.bots.rasa.events import RasaUpdate, parse_event
from warmline.bots.sources import SourceNotFound
from warmline.bots.wiring import BotIngestion
from warmline.conversation.actions import Services
from warmline.errors import ConfigurationError, MissingExtra, WarmlineError

log = logging.getLogger("warmline.bots.rasa")
RETRY_PAUSE_S = 1.0
KNOWN_SENDERS = 10_000


class RasaConsumer:
    def __init__(self, svc: Services, bots: BotIngestion, config: RasaConfig):
        self.svc = svc
        self.bots = bots
        self.config = config
        self._connection: Any = None  # aio_pika's robust connection, once started
        self._conversations: OrderedDict[str, str] = OrderedDict()  # sender_id -> conversation id
        self.handled = 0  # messages acknowledged (for tests and the logs)

    async def start(self) -> None:
        try:
            import aio_pika
        except ImportError as exc:  # pragma: no cover - the extra is part of the test install
            raise MissingExtra("the Rasa event broker consumer", "aio-pika") from exc
        try:  # refuse to start rather than drop every event of a source nobody created
            await asyncio.to_thread(self.bots.sources.get, self.config.source)
        except SourceNotFound as exc:
            raise ConfigurationError(
                f"WARMLINE_RASA_SOURCE={self.config.source!r} is not a bot source: create it with "
                f"`warmline token create --role bot --name {self.config.source} --webhook-url URL`",
                code="unknown_source",
            ) from exc
        connection = await aio_pika.connect_robust(self.config.amqp_url)
        self._connection = connection
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=1)  # one at a time: turns stay in order per sender
        exchange = await channel.declare_exchange(self.config.exchange, aio_pika.ExchangeType.FANOUT)
        queue = await channel.declare_queue(self.config.queue, durable=True)
        await queue.bind(exchange, "")
        await queue.consume(self._on_message)
        log.info("consuming Rasa events from %s (exchange %s)", self.config.queue, self.config.exchange)

    async def stop(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _on_message(self, message) -> None:  # type: ignore[no-untyped-def]
        try:
            event = json.loads(message.body)
            update = parse_event(event, self.config) if isinstance(event, dict) else None
            if update is not None:
                await self.apply(update)
        except (ValueError, WarmlineError) as exc:
            log.warning("Rasa event not stored (%s): %s", type(exc).__name__, exc)
        except Exception:
            log.exception("Rasa event failed; requeued")
            await asyncio.sleep(RETRY_PAUSE_S)
            await message.reject(requeue=True)
            return
        await message.ack()
        self.handled += 1

    async def apply(self, update: RasaUpdate) -> None:
        source = await asyncio.to_thread(self.bots.sources.get, self.config.source)
        conversation_id = self._conversations.get(update.sender_id)
        if conversation_id is None:
            opened = await run_action(self.svc, ingest.do_open_conversation, source, update.sender_id, update.channel)
            conversation_id = opened.conversation_id
            self._conversations[update.sender_id] = conversation_id
            if len(self._conversations) > KNOWN_SENDERS:
                self._conversations.popitem(last=False)
        turns = [update.turn] if update.turn is not None else []
        if not turns and update.handoff_reason is None:
            return
        await run_action(
            self.svc,
            ingest.do_post_turns,
            self.bots.assessor,
            source,
            conversation_id,
            turns,
            None,
            update.handoff_reason if update.turn is None else None,
        )
