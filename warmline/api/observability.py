"""``/metrics`` in Prometheus text format for operations: request latency, responses by status,
queue depth and waiting time per team, escalations by trigger, events appended."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from warmline.api.asgi import StatusRecorder
from warmline.api.deps import principal
from warmline.auth import Principal
from warmline.conversation.actions import Outcome, Services
from warmline.conversation.events import Escalated


class QueueCollector:
    """Queue depth and the longest wait per team, read from the store at scrape time."""

    def __init__(self, services: Services):
        self.services = services

    def collect(self) -> Any:
        depth = GaugeMetricFamily("warmline_queue_depth", "Conversations waiting for an agent", labels=["team"])
        wait = GaugeMetricFamily("warmline_queue_longest_wait_seconds", "Longest current wait", labels=["team"])
        online = GaugeMetricFamily("warmline_agents_online", "Agents online per team", labels=["team"])
        now = datetime.now(UTC)
        for team, load in sorted(self.services.store.team_load().items()):
            depth.add_metric([team], load["waiting"])
            oldest = load["oldest_waiting_since"]
            wait.add_metric([team], (now - oldest).total_seconds() if oldest else 0.0)
            online.add_metric([team], load["agents_online"])
        yield from (depth, wait, online)


class Observability:
    def __init__(self, services: Services):
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "warmline_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self.responses = Counter(
            "warmline_http_responses_total", "HTTP responses by status", ["status"], registry=self.registry
        )
        self.escalations = Counter(
            "warmline_escalations_total", "Handoffs to agents by trigger", ["trigger", "team"], registry=self.registry
        )
        self.events = Counter("warmline_events_appended_total", "Events appended", ["type"], registry=self.registry)
        self.registry.register(QueueCollector(services))
        services.on_commit.append(self.count_events)

    def count_events(self, outcome: Outcome) -> None:
        for record in outcome.events:
            self.events.labels(record.type).inc()
            if isinstance(record.event, Escalated):
                self.escalations.labels(record.event.trigger, record.event.team).inc()


class RequestMetrics:
    """Pure ASGI middleware: latency by route template (not raw path, to bound cardinality)."""

    def __init__(self, app: ASGIApp, observability: Observability):
        self.app = app
        self.observability = observability

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/metrics":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        sending = StatusRecorder(send, default=500)
        try:
            await self.app(scope, receive, sending)
        finally:
            # The router records the matched route in the (shared) scope.
            route = getattr(scope.get("route"), "path", "unmatched")
            if not route.endswith("/stream"):  # streams stay open: their duration is not latency
                self.observability.latency.labels(scope["method"], route).observe(time.perf_counter() - started)
            self.observability.responses.labels(str(sending.status)).inc()


def install_observability(app: FastAPI, services: Services) -> None:
    observability = Observability(services)
    app.state.observability = observability

    @app.get("/metrics", include_in_schema=False)
    async def metrics(caller: Principal = Depends(principal)) -> Response:
        """Leads and admins only (queue depth, agents online and escalations per team are not
        public): Prometheus scrapes with ``authorization: {credentials: <admin token>}``."""
        caller.require("lead", "admin")
        body = await run_in_threadpool(generate_latest, observability.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(RequestMetrics, observability=observability)
