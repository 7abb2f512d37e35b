"""create_app(settings): wiring only. Nothing happens at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from warmline.api import agents, conversations, dashboard, desk_webhooks, ingest, staff, streams, tickets
from warmline.api.body_guard import BodyGuard
from warmline.api.errors import install_error_handlers
from warmline.api.headers import SecurityHeaders, install_docs
from warmline.api.observability import install_observability
from warmline.api.openapi import install_openapi
from warmline.api.rate_limits import RateLimits
from warmline.auth import Authenticator
from warmline.bot import Bot
from warmline.bots.wiring import install_bots
from warmline.bus.base import Bus, create_bus
from warmline.config import Settings
from warmline.conversation.actions import Services
from warmline.integrations.wiring import Integrations, install_integrations
from warmline.privacy.logs import install_log_masking
from warmline.storage.sql.engine import make_engine, migrate
from warmline.storage.sql.store import SqlStore
from warmline.web import routes as web


def build_services(settings: Settings, *, bot: Bot | None = None, bus: Bus | None = None) -> Services:
    """Engine, store, bus and bot for ``settings``; migrates the database first."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    store = SqlStore(engine)
    if bot is None:
        from warmline.bot.model_bot import build_bot

        bot = build_bot(settings, store)
    return Services(settings=settings, store=store, bus=bus or create_bus(settings.bus_url), bot=bot)


def create_app(
    settings: Settings, *, services: Services | None = None, integrations: Integrations | None = None
) -> FastAPI:
    install_log_masking()
    svc = services or build_services(settings)
    desks = integrations if integrations is not None else install_integrations(svc, public_url=settings.public_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        desks.start()
        await _app.state.bots.start()  # bot platforms' feeds (Rasa's event broker)
        yield
        await _app.state.bots.stop()
        desks.stop()
        svc.close()

    app = FastAPI(
        title="Warmline",
        version="0.1.0",
        summary="Warm handoffs between a support bot and human agents.",
        lifespan=lifespan,
        docs_url=None,  # served by install_docs, under its own CSP
        redoc_url=None,
    )
    app.state.services = svc
    app.state.integrations = desks
    app.state.bots = install_bots(svc, desks)
    app.state.authenticator = Authenticator(svc.store)
    install_error_handlers(app)
    for router in (
        conversations.router,
        ingest.router,
        agents.router,
        streams.router,
        tickets.router,
        staff.router,
        desk_webhooks.router,
        dashboard.router,
        web.router,
    ):
        app.include_router(router)
    ingest.document_start_bodies(app)
    install_openapi(app)
    install_docs(app)
    install_observability(app, svc)
    app.add_middleware(BodyGuard, max_body_bytes=settings.max_body_bytes)
    if settings.rate_limit_enabled:  # before the rest: a refused request costs nothing else
        app.add_middleware(RateLimits, settings=settings)
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, a 429 too
    return app
