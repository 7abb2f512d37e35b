"""Outbound: which conversation changes go to the desks, and the dispatcher that delivers them.

Queuing happens inside the change's transaction (``queue_desk_calls`` is a before-commit hook),
so a handoff is never lost and never sent for a change that rolled back. The dispatcher sends
due items in order per conversation; it retries 5xx answers, timeouts and network errors with
exponential backoff and jitter, waits as long as a 429's Retry-After asks, dead-letters what can
never succeed (400, 401, 403, 404, 422) or has failed ``max_attempts`` times, and treats a 409 on
a create as already done.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from warmline.conversation.events import HandedBack, PayloadBuilt, Routed
from warmline.integrations.base import Desk, DeskRequest
from warmline.storage.sql.outbox import OutboxItem, OutboxStore
from warmline.storage.sql.store import Writer

log = logging.getLogger("warmline.integrations")

# Conversation events that a desk hears about, and as what.
OUTBOUND_EVENTS = {"escalated": "handoff", "transferred": "handoff", "handed_back": "handback", "closed": "closed"}
PERMANENT = frozenset({400, 401, 403, 404, 422})
LEASE = timedelta(seconds=120)  # how long one delivery attempt may take before another may retry


def desk_body(writer: Writer, record_type: str, public_url: str) -> dict[str, Any]:
    """What every desk is told about the conversation at this point."""
    history = writer.history()
    payload: dict[str, Any] = next(
        (r.event.payload for r in reversed(history) if isinstance(r.event, PayloadBuilt)), {}
    )
    routing: dict[str, Any] = next((r.event.routing for r in reversed(history) if isinstance(r.event, Routed)), {})
    note = next((r.event.note for r in reversed(history) if isinstance(r.event, HandedBack)), "")
    state = writer.state
    intent = payload.get("intent") or {}
    return {
        "conversation_id": state.id,
        "event": record_type,
        "team": state.team,
        "priority": state.priority,
        "sla_due_at": state.sla_due_at.isoformat() if state.sla_due_at else None,
        "skills": routing.get("skills", []),
        "trigger": next((r.event.trigger for r in reversed(history) if r.type == "escalated"), ""),  # type: ignore[attr-defined]
        "customer_name": state.customer_name,
        "intent_label": " / ".join(str(v) for v in (intent.get("flow"), intent.get("subflow")) if v),
        "payload": payload,
        "note": note,
        "sidebar_url": f"{public_url.rstrip('/')}/sidebar?conversation={state.id}",
        "external": {},
    }


def outbound_hook(desks: dict[str, Desk], public_url: str) -> Callable[[Writer], None]:
    enabled = [d for d in desks.values() if d.config.enabled]

    def queue_desk_calls(writer: Writer) -> None:
        for record in writer.pending:
            kind = OUTBOUND_EVENTS.get(record.type)
            if kind is None:
                continue
            body = desk_body(writer, record.type, public_url)
            for desk in enabled:
                writer.enqueue(desk.name, kind, body)

    return queue_desk_calls


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


class Dispatcher:
    def __init__(
        self,
        outbox: OutboxStore,
        desks: dict[str, Desk],
        client: httpx.Client,
        *,
        clock: Callable[[], datetime] | None = None,
        rng: random.Random | None = None,
        max_attempts: int = 8,
        base_delay_s: float = 2.0,
        max_delay_s: float = 3600.0,
    ):
        self.outbox = outbox
        self.desks = desks
        self.client = client
        self.clock = clock or (lambda: datetime.now(UTC))
        self.rng = rng or random.Random()
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s

    def run_once(self, limit: int = 50) -> DispatchReport:
        report = DispatchReport()
        for item in self.outbox.due(limit):
            if self.outbox.claim(item.id, LEASE):
                self._deliver(item, report)
        return report

    def drain(self, max_rounds: int = 100) -> DispatchReport:
        """Deliver until nothing is due now (for the CLI and tests)."""
        total = DispatchReport()
        for _ in range(max_rounds):
            report = self.run_once()
            total.sent, total.retried, total.dead = (
                total.sent + report.sent,
                total.retried + report.retried,
                total.dead + report.dead,
            )
            total.errors += report.errors
            if not (report.sent or report.retried or report.dead):
                break
        return total

    def _deliver(self, item: OutboxItem, report: DispatchReport) -> None:
        desk = self.desks.get(item.desk)
        attempts = item.attempts + 1
        if desk is None:
            self.outbox.mark_dead(item.id, attempts, f"desk {item.desk!r} is not configured")
            report.dead += 1
            return
        try:
            for request in desk.outbound(item.kind, item.body):
                self._send(desk, request)
        except RetryLater as retry:
            at = retry.at or self._backoff(item.attempts)
            self.outbox.mark_retry(item.id, item.attempts + (0 if retry.rate_limited else 1), at, retry.reason)
            report.retried += 1
            report.errors.append(retry.reason)
            if not retry.rate_limited and attempts >= self.max_attempts:
                self.outbox.mark_dead(item.id, attempts, f"gave up after {attempts} attempts: {retry.reason}")
                report.retried -= 1
                report.dead += 1
            return
        except GiveUp as failure:
            self.outbox.mark_dead(item.id, attempts, failure.reason)
            log.error("outbox item %s to %s dead-lettered: %s", item.id, item.desk, failure.reason)
            report.dead += 1
            report.errors.append(failure.reason)
            return
        self.outbox.mark_sent(item.id, attempts)
        report.sent += 1

    def _send(self, desk: Desk, request: DeskRequest) -> None:
        url = desk.config.base_url.rstrip("/") + request.path
        try:
            response = self.client.request(request.method, url, json=request.json, headers=desk.headers())
        except httpx.TimeoutException as exc:
            raise RetryLater(None, f"timeout: {exc}") from exc
        except httpx.TransportError as exc:
            raise RetryLater(None, f"network error: {exc}") from exc
        status = response.status_code
        if status < 300 or (status == 409 and request.conflict_is_success):
            return
        detail = f"{request.method} {request.path} -> {status} {response.text[:300]}"
        if status == 429:
            raise RetryLater(self._retry_after(response), detail, rate_limited=True)
        if status in PERMANENT:
            raise GiveUp(detail)
        if status == 409:
            return  # the desk already has it: nothing more to do
        raise RetryLater(None, detail)

    def _backoff(self, attempts: int = 0) -> datetime:
        delay = min(self.max_delay_s, self.base_delay_s * 2**attempts) * self.rng.uniform(0.5, 1.0)
        return self.clock() + timedelta(seconds=delay)

    def _retry_after(self, response: httpx.Response) -> datetime | None:
        value = response.headers.get("retry-after", "")
        if value.isdigit():
            return self.clock() + timedelta(seconds=int(value))
        try:
            return parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None


class RetryLater(Exception):
    def __init__(self, at: datetime | None, reason: str, rate_limited: bool = False):
        super().__init__(reason)
        self.at, self.reason, self.rate_limited = at, reason, rate_limited


class GiveUp(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class DispatcherThread:
    """Runs the dispatcher in the background of ``warmline serve``, woken after each commit."""

    def __init__(self, dispatcher: Dispatcher, interval_s: float = 1.0):
        self.dispatcher = dispatcher
        self.interval_s = interval_s
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="warmline-desks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.dispatcher.run_once()
            except Exception:  # keep delivering whatever one bad item does
                log.exception("desk dispatcher round failed")
            self.wake.wait(self.interval_s)
            self.wake.clear()
