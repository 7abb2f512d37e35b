"""The metrics over time: one report per time bucket (conversations started in it)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from warmline.metrics.definitions import read_conversation
from warmline.metrics.report import build_report

BUCKETS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}
SERIES = ("repeat_context_rate", "draft_usage_rate", "handle_time_s", "routing_accuracy", "csat")
# The seed's targets, drawn as reference lines on the dashboard.
TARGETS: dict[str, dict[str, float]] = {
    "repeat_context_rate": {"max": 0.05},
    "draft_usage_rate": {"min": 0.50, "max": 0.70},
    "handle_time_reduction": {"min": 0.35, "max": 0.40},
    "routing_accuracy": {"min": 0.90},
}


def bucket_start(when: datetime, size: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + ((when - epoch) // size) * size


def metric_series(
    store: Any, *, bucket: str = "hour", team: str | None = None, since: datetime | None = None
) -> dict[str, Any]:
    size = BUCKETS[bucket]
    grouped: dict[datetime, list[Any]] = defaultdict(list)
    for conversation_id in store.conversation_ids(since, None):
        conversation = read_conversation(store.load_events(conversation_id))
        grouped[bucket_start(conversation.started_at, size)].append(conversation)
    points = []
    for start in sorted(grouped):
        report = build_report(grouped[start], team=team)
        point: dict[str, Any] = {"start": start.isoformat()}
        for cohort in ("warm", "cold"):
            values = report["cohorts"][cohort]
            point[cohort] = {name: values[name] for name in SERIES} | {"handoffs": values["handoffs"]}
        point["handle_time_reduction"] = report["overall"]["handle_time_reduction"]
        points.append(point)
    teams = sorted({h.team for group in grouped.values() for c in group for h in c.handoffs})
    return {"bucket": bucket, "team": team, "teams": teams, "targets": TARGETS, "points": points}
