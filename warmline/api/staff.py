"""Staff and service routes: who am I, create staff tokens, health, and a no-op for benchmarks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from sqlalchemy import text

from warmline.api.deps import principal, services
from warmline.api.schemas import CreateStaff
from warmline.auth import Principal
from warmline.conversation.actions import Services
from warmline.staffing import do_create_staff

router = APIRouter(tags=["service"])


@router.get("/v1/me")
def whoami(caller: Principal = Depends(principal)) -> dict[str, Any]:
    return {"role": caller.role, "id": caller.id, "name": caller.name, "teams": list(caller.teams)}


@router.post("/v1/staff", status_code=201)
def create_staff(
    body: CreateStaff, caller: Principal = Depends(principal), svc: Services = Depends(services)
) -> dict[str, Any]:
    """Admins create agent, lead and admin accounts; the token is shown once."""
    caller.require("admin")
    created = do_create_staff(svc.store, body.name, body.role, body.teams, body.capacity)
    return created


@router.get("/healthz")
def health(svc: Services = Depends(services)) -> dict[str, str]:
    with svc.store.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return {"status": "ok"}


@router.get("/v1/noop")
async def noop() -> dict[str, bool]:
    """Does nothing: the baseline that `warmline bench api` compares real work against."""
    return {"ok": True}
