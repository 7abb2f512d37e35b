"""The web surfaces: agent workspace, embeddable sidebar, customer chat and lead view.

Pages are thin server-rendered HTML; their small plain scripts call the JSON API under ``/v1``
with the caller's token (kept in the browser's sessionStorage), so the pages hold no server-side
state. ``/v1/lead/audit`` is the one API the pages add: a read-only view of escalation
decisions, routing outcomes, handoffs and transfers for support leads.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from warmline.api.deps import services, staff
from warmline.auth import Principal
from warmline.conversation.actions import Services
from warmline.errors import InvalidInput, NotFound
from warmline.packs import load_pack
from warmline.web.queries import AUDIT_TYPES, AuditFilter, audit_events, audit_summary

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,40}\.(js|css|svg)$")
MEDIA_TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "svg": "image/svg+xml"}

templates = Jinja2Templates(directory=str(HERE / "templates"))

# Pages load scripts and styles from this origin only, so text a customer typed can never run.
# The chat is meant to be embedded in any site's frames, the sidebar in the desks' (configured
# origins); the workspaces not.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors {ancestors}"
)

pages = APIRouter(include_in_schema=False)
lead_api = APIRouter(prefix="/v1/lead", tags=["lead"])


@lru_cache(maxsize=64)
def asset_version(name: str) -> str:
    return hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]


def asset(name: str) -> str:
    return f"/web/{name}?v={asset_version(name)}"


templates.env.globals["asset"] = asset


def page(
    request: Request, template: str, title: str, *, ancestors: str = "'self'", context: dict[str, Any] | None = None
) -> HTMLResponse:
    """A page whose frames may only be embedded by ``ancestors`` (a CSP source list)."""
    response = templates.TemplateResponse(request, template, {"title": title, **(context or {})})
    response.headers["Content-Security-Policy"] = CSP.format(ancestors=ancestors)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.get("/", response_class=HTMLResponse)
async def home(request: Request, svc: Services = Depends(services)) -> HTMLResponse:
    """What this is, and the way to the customer chat, the agent workspace and the lead views."""
    from warmline.shop.backend import demo_backend

    pack = load_pack(svc.settings.pack)
    store = demo_backend(pack.path)
    today = f"{store.today():%B} {store.today().day}, {store.today().year}" if store else "today"
    return page(request, "home.html", "Warmline", context={"pack": pack.name, "today": today})


@pages.get("/agent", response_class=HTMLResponse)
async def agent_workspace(request: Request) -> HTMLResponse:
    """Queues, claim, and the conversation with its handoff payload beside the reply box."""
    return page(request, "agent.html", "Warmline · Agent workspace")


@pages.get("/chatwoot/app", response_class=HTMLResponse)
async def chatwoot_dashboard_app(request: Request) -> HTMLResponse:
    """Chatwoot's Dashboard App (an iframe in its conversation view): asks Chatwoot for the
    conversation on view and opens the sidebar for the Warmline conversation it names."""
    # It holds no payload itself (the sidebar it opens is framed only by the desk origins).
    return page(request, "chatwoot_app.html", "Warmline · Chatwoot", ancestors="*")


@pages.get("/sidebar", response_class=HTMLResponse)
async def sidebar(request: Request) -> HTMLResponse:
    """The payload panel alone, 360 px wide, for desks that embed a side panel."""
    # Staff payloads: only the desks' origins may frame it (WARMLINE_DESK_ORIGINS).
    desks = request.app.state.services.settings.desk_origins
    return page(request, "sidebar.html", "Warmline · Handoff", ancestors=" ".join(["'self'", *desks.split()]))


@pages.get("/chat", response_class=HTMLResponse)
async def customer_chat(request: Request) -> HTMLResponse:
    """The customer's chat window (also what the launcher snippet opens in a frame)."""
    return page(request, "chat.html", "Chat with support", ancestors="*")  # on the customer's own site


@pages.get("/lead", response_class=HTMLResponse)
async def lead_view(request: Request) -> HTMLResponse:
    """Escalation decisions, routing outcomes and transfers, filterable."""
    return page(request, "lead.html", "Warmline · Lead view")


@pages.get("/web/{name}")
async def static_file(name: str) -> FileResponse:
    if not STATIC_NAME.match(name) or not (STATIC / name).is_file():
        raise NotFound(f"no asset {name!r}", code="not_found")
    headers = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}
    if name == "launcher.js":
        headers["Access-Control-Allow-Origin"] = "*"  # embedded on the customer's own site
    return FileResponse(STATIC / name, media_type=MEDIA_TYPES[name.rsplit(".", 1)[1]], headers=headers)


def _when(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"{name} must be an ISO 8601 date or time", code="invalid_request") from exc


@lead_api.get("/audit")
async def audit(
    type: str | None = Query(None, description="comma-separated: " + ", ".join(AUDIT_TYPES)),
    team: str | None = Query(None, max_length=64),
    conversation: str | None = Query(None, max_length=40),
    outcome: str | None = Query(None, max_length=64),
    since: str | None = Query(None, max_length=40),
    until: str | None = Query(None, max_length=40),
    limit: int = Query(200, ge=1, le=1000),
    caller: Principal = Depends(staff),
    svc: Services = Depends(services),
) -> dict[str, Any]:
    """Escalation decisions (with rule, reason and policy version), routing outcomes, handoffs and
    transfers, newest first, with counts over the rows returned. Leads and admins only."""
    caller.require("lead", "admin")
    types = tuple(t.strip() for t in (type or "").split(",") if t.strip()) or AUDIT_TYPES
    unknown = sorted(set(types) - set(AUDIT_TYPES))
    if unknown:
        raise InvalidInput(f"unknown audit type(s): {', '.join(unknown)}", code="invalid_request")
    wanted = AuditFilter(
        types=types,
        team=team or None,
        conversation_id=conversation or None,
        outcome=outcome or None,
        since=_when(since, "since"),
        until=_when(until, "until"),
        limit=limit,
    )
    rows = await run_in_threadpool(audit_events, svc.store.engine, wanted)
    return {"items": rows, "summary": audit_summary(rows), "teams": sorted(svc.teams())}


router = APIRouter()
router.include_router(pages)
router.include_router(lead_api)
