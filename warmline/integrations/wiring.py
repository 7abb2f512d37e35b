"""Wires the configured desks into a running service: the before-commit hook that queues
outbound calls, the outbox, and the background dispatcher."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from warmline.conversation.actions import Outcome, Services
from warmline.integrations.base import Desk
from warmline.integrations.outbound import Dispatcher, DispatcherThread, outbound_hook
from warmline.integrations.registry import configured_desks
from warmline.storage.sql.outbox import OutboxStore


@dataclass
class Integrations:
    desks: dict[str, Desk]
    outbox: OutboxStore
    dispatcher: Dispatcher
    thread: DispatcherThread | None = None
    background: bool = True  # deliver from a thread of the app (tests drive the dispatcher)

    def start(self) -> None:
        if self.background and any(d.config.enabled for d in self.desks.values()) and self.thread is None:
            self.thread = DispatcherThread(self.dispatcher)
            self.thread.start()

    def wake_on_delivery(self, outcome: Outcome) -> None:
        """After-commit hook: start delivering at once when the write queued something; a write
        that queued nothing (most of them) leaves the dispatcher asleep."""
        if outcome.deliveries and self.thread is not None:
            self.thread.wake.set()

    def stop(self) -> None:
        if self.thread is not None:
            self.thread.stop()
            self.thread = None
        self.dispatcher.client.close()


def install_integrations(
    svc: Services,
    *,
    desks: dict[str, Desk] | None = None,
    client: httpx.Client | None = None,
    public_url: str = "http://127.0.0.1:8000",
) -> Integrations:
    desks = desks if desks is not None else configured_desks()
    outbox = OutboxStore(svc.store.engine, svc.store.clock)
    dispatcher = Dispatcher(outbox, desks, client or httpx.Client(timeout=httpx.Timeout(10.0)))
    integrations = Integrations(desks, outbox, dispatcher)
    if any(d.config.enabled for d in desks.values()):  # a desk body reads the whole history
        svc.before_commit.append(outbound_hook(desks, public_url))
    svc.on_commit.append(integrations.wake_on_delivery)  # bot webhooks queue deliveries too
    return integrations
