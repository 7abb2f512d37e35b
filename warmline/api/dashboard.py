"""The metrics dashboard (`/lead/metrics`) and the series it draws."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from warmline.api.deps import principal, services
from warmline.auth import Principal
from warmline.conversation.actions import Services
from warmline.metrics.series import metric_series

router = APIRouter(tags=["metrics"])
PAGE = Path(__file__).parent.parent / "metrics" / "templates" / "dashboard.html"


@router.get("/lead/metrics", response_class=HTMLResponse, include_in_schema=False)
async def dashboard() -> HTMLResponse:
    """The page holds no data; it asks for a lead token and reads the series below. Its script
    and styles are files, so the default page CSP (no inline script) applies."""
    return HTMLResponse(PAGE.read_text(), headers={"Cache-Control": "no-store"})


@router.get("/v1/metrics/series")
async def series(
    bucket: str = Query("hour", pattern="^(minute|hour|day)$"),
    team: str | None = Query(None, max_length=64),
    caller: Principal = Depends(principal),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Every metric per time bucket and cohort, with the seed's targets (leads and admins)."""
    caller.require("lead", "admin")
    return await run_in_threadpool(lambda: metric_series(svc.store, bucket=bucket, team=team))
