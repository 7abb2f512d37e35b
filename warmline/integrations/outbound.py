"""Outbound: which conversation changes go to the desks, and the dispatcher that delivers them.

Queuing happens inside the change's transaction (``queue_desk_calls`` is a before-commit hook),
so a handoff is never lost and never sent for a change that rolled back. The dispatcher sends
due items in order per conversation, one plan step at a time, recording each step that succeeds
(a retry starts at the first step not done). It retries 5xx answers, 409 conflicts, timeouts and
network errors with exponential backoff and jitter; waits out rate limits (429 with
``Retry-After`` or ``X-RateLimit-Reset``, Salesforce's 403 ``REQUEST_LIMIT_EXCEEDED``) without
counting them as failures; renews expired credentials once on a 401 where the desk can (OAuth
refresh); dead-letters what can never succeed (400, 401, 403, 404, 422) or has failed
``max_attempts`` times.
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

from warmline.conversation import views
from warmline.conversation.events import (
    AgentMessage,
    BotMessage,
    ConversationStarted,
    Escalated,
    HandedBack,
)
from warmline.integrations.base import Desk, DeskRequest, DeskUnavailable, Lookup, NotYet, Outbound
from warmline.storage.sql.outbox import OutboxItem, OutboxStore
from warmline.storage.sql.store import Writer

log = logging.getLogger("warmline.integrations")

# Conversation events that a desk hears about, and as what.
OUTBOUND_EVENTS = {
    "escalated": "handoff",
    "transferred": "transfer",
    "handed_back": "handback",
    "closed": "closed",
    "bot_message": "message",
    "agent_message": "message",
}
PERMANENT = frozenset({400, 401, 403, 404, 422})
LEASE = timedelta(seconds=120)  # how long one delivery attempt may take before another may retry
DESK_AGENT_PREFIX = "dk_"  # staff ids of desk agents: dk_<desk>_<hash>


def desk_of_actor(actor: str) -> str:
    """The desk whose webhook made this change (``agent:dk_zendesk_ab12`` -> ``zendesk``), or ""."""
    staff = actor.split(":", 1)[1] if actor.startswith("agent:") else ""
    if not staff.startswith(DESK_AGENT_PREFIX):
        return ""
    return staff[len(DESK_AGENT_PREFIX) :].rsplit("_", 1)[0]


def desk_body(writer: Writer, record_type: str, public_url: str, actor: str = "", text: str = "") -> dict[str, Any]:
    """What every desk is told about the conversation at this point."""
    history = writer.history()  # committed and pending events, each once
    built, routed = views.latest_payload(history), views.latest_routing(history)
    payload: dict[str, Any] = built.model_dump(mode="json") if built else {}
    routing: dict[str, Any] = routed.model_dump(mode="json") if routed else {}
    note = next((r.event.note for r in reversed(history) if isinstance(r.event, HandedBack)), "")
    trigger = next((r.event.trigger for r in reversed(history) if isinstance(r.event, Escalated)), "")
    started = next((r.event for r in history if isinstance(r.event, ConversationStarted)), None)
    state = writer.state
    intent = payload.get("intent") or {}
    external: dict[str, str] = {}
    if started is not None and started.desk_conversation_id:
        external = {"desk": started.channel, "conversation_id": started.desk_conversation_id}
    return {
        "conversation_id": state.id,
        "event": record_type,
        "team": state.team,
        "priority": state.priority,
        "sla_due_at": state.sla_due_at.isoformat() if state.sla_due_at else None,
        "skills": routing.get("skills", []),
        "trigger": trigger or "",
        "customer_name": state.customer_name,
        "intent_label": " / ".join(str(v) for v in (intent.get("flow"), intent.get("subflow")) if v),
        "payload": payload,
        "note": note,
        "text": text,
        "sidebar_url": f"{public_url.rstrip('/')}/sidebar?conversation={state.id}",
        "external": external,
        "origin": desk_of_actor(actor),
    }


def outbound_hook(desks: dict[str, Desk], public_url: str) -> Callable[[Writer], None]:
    enabled = [d for d in desks.values() if d.config.enabled]

    def queue_desk_calls(writer: Writer) -> None:
        for record in writer.pending:
            kind = OUTBOUND_EVENTS.get(record.type)
            if kind is None:
                continue
            text = record.event.text if isinstance(record.event, BotMessage | AgentMessage) else ""
            body = desk_body(writer, record.type, public_url, record.actor, text)
            native = body["external"].get("desk", "")
            for desk in enabled:
                if native and desk.name != native:
                    continue  # a conversation that lives in one desk is worked there only
                if body["origin"] == desk.name:
                    continue  # the desk did this itself: telling it again would echo
                if kind == "message" and desk.name != native:
                    continue  # only a desk that carries the conversation relays its turns
                if desk.messaging_only and not native:
                    continue
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
            self._run_plan(desk, item)
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

    def _run_plan(self, desk: Desk, item: OutboxItem) -> None:
        """Send the first step not done, record it, plan again with what it taught; until done."""
        links = self.outbox.links(desk.name, item.conversation_id)
        looked: dict[str, bool] = {}
        for _ in range(50):  # a plan is a handful of steps; this only bounds a faulty desk module
            outbound = Outbound(
                item.kind, item.body, links, key=f"warmline-{item.conversation_id}-{item.id}", looked=frozenset(looked)
            )
            try:
                step = next(
                    (r for r in desk.plan(outbound) if r.step not in item.done and not looked.get(r.step)), None
                )
            except NotYet as wait:
                raise RetryLater(None, wait.reason) from wait
            except Lookup as first:
                step = first.request
            if step is None:
                return
            learned = self._send(desk, step)
            if step.lookup and not learned:
                looked[step.step] = True  # nothing there: plan on without it (a retry looks again)
                continue
            links = {**links, **learned}
            item = self.outbox.record_step(item, step.step, learned)
        raise GiveUp(f"{desk.name} plan for {item.kind} did not finish in 50 steps")

    def fetch(self, desk: Desk, request: DeskRequest) -> dict[str, str]:
        """One read for a webhook (what conversation a desk record belongs to), outside the outbox."""
        try:
            return self._send(desk, request)
        except (RetryLater, GiveUp) as failure:
            raise DeskUnavailable(f"{desk.name} did not answer {request.method} {request.path}: {failure}") from failure

    def _send(self, desk: Desk, request: DeskRequest, refreshed: bool = False) -> dict[str, str]:
        url = request.url or desk.config.base_url.rstrip("/") + request.path
        headers = {**desk.auth_headers(request.api), **request.headers}
        body: dict[str, Any] = {"json": request.json} if request.content is None else {"content": request.content}
        try:
            response = self.client.request(request.method, url, headers=headers, **body)
        except httpx.TimeoutException as exc:
            raise RetryLater(None, f"timeout: {exc}") from exc
        except httpx.TransportError as exc:
            raise RetryLater(None, f"network error: {exc}") from exc
        status = response.status_code
        if status < 300:
            try:
                return request.learn(response) if request.learn else {}
            except ValueError as exc:  # an answer that is not the documented JSON
                raise RetryLater(None, f"{request.method} {request.path}: unreadable answer: {exc}") from exc
        if status == 404 and request.lookup:
            return {}
        detail = f"{request.method} {request.path} -> {status} {response.text[:300]}"
        if status == 429 or _limit_exceeded(response):
            raise RetryLater(self._rate_limit_until(response), detail, rate_limited=True)
        if status == 401 and not refreshed and desk.refresh(self.client):
            return self._send(desk, request, refreshed=True)
        if status in PERMANENT:
            raise GiveUp(detail)
        raise RetryLater(None, detail)  # 409 (a concurrent update), 5xx

    def _backoff(self, attempts: int = 0) -> datetime:
        delay = min(self.max_delay_s, self.base_delay_s * 2**attempts) * self.rng.uniform(0.5, 1.0)
        return self.clock() + timedelta(seconds=delay)

    def _rate_limit_until(self, response: httpx.Response) -> datetime:
        """When a rate-limited call may be sent again: ``Retry-After`` (seconds or an HTTP date),
        Intercom's ``X-RateLimit-Reset`` (epoch seconds), else the backoff for a first failure
        (Salesforce's daily REQUEST_LIMIT_EXCEEDED names no time), never less than a second."""
        now = self.clock()
        value = response.headers.get("retry-after", "")
        reset = response.headers.get("x-ratelimit-reset", "")
        at: datetime | None = None
        if value.isdigit():
            at = now + timedelta(seconds=int(value))
        elif value:
            try:
                at = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                at = None
        elif reset.isdigit():
            at = datetime.fromtimestamp(int(reset), UTC)
        if at is None:
            at = now + timedelta(seconds=max(60.0, self.base_delay_s))
        return max(at, now + timedelta(seconds=1))


def _limit_exceeded(response: httpx.Response) -> bool:
    """Salesforce answers an exhausted API allowance with 403 and errorCode REQUEST_LIMIT_EXCEEDED."""
    if response.status_code != 403:
        return False
    return "REQUEST_LIMIT_EXCEEDED" in response.text


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
