"""Staff and service routes: who am I, create staff tokens, health and readiness, and a no-op for
benchmarks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
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
    created = do_create_staff(svc.store, body.name, body.role, body.teams, body.capacity, svc.teams())
    return created


def dependency_checks(svc: Services) -> dict[str, str]:
    """Each dependency: "ok", or what is wrong with it."""
    checks: dict[str, str] = {}
    try:
        with svc.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # reported, not raised: this is the health report
        checks["database"] = f"unreachable: {type(error).__name__}"
    try:
        svc.bus.check()
        checks["bus"] = "ok"
    except Exception as error:
        checks["bus"] = f"unreachable: {type(error).__name__}"
    return checks


HEALTH_RESPONSES: dict[int | str, dict[str, Any]] = {503: {"description": "the database is unreachable"}}


@router.get("/healthz", responses=HEALTH_RESPONSES)
def health(svc: Services = Depends(services)) -> JSONResponse:
    """Every dependency's state. ``degraded`` (200) while the bus is down: writes are stored and
    streams poll the log; ``unavailable`` (503) while the database is."""
    checks = dependency_checks(svc)
    if checks["database"] != "ok":
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    status = "ok" if all(v == "ok" for v in checks.values()) else "degraded"
    return JSONResponse({"status": status, "checks": checks})


@router.get("/readyz", responses=HEALTH_RESPONSES)
def ready(svc: Services = Depends(services)) -> JSONResponse:
    """For load balancers: 200 while this instance can store writes (the database answers),
    503 otherwise. A bus outage does not take an instance out of rotation."""
    checks = dependency_checks(svc)
    ok = checks["database"] == "ok"
    return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)


@router.get("/v1/noop")
async def noop() -> dict[str, bool]:
    """Does nothing: the baseline that `warmline bench api` compares real work against."""
    return {"ok": True}
