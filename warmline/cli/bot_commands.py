"""``warmline bots``: outside bots' sources, shadow mode and the shadow report."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from warmline.cli import bots_app
from warmline.cli.output import print_result
from warmline.cli.service_commands import console, fail, settings_or_exit
from warmline.errors import WarmlineError

if TYPE_CHECKING:
    from warmline.storage.sql.store import SqlStore


def _store() -> SqlStore:
    from warmline.storage.sql.engine import make_engine, migrate
    from warmline.storage.sql.store import SqlStore

    engine = make_engine(settings_or_exit().database_url)
    migrate(engine)
    return SqlStore(engine)


@bots_app.command("list")
def list_bots() -> None:
    """The bot sources, their webhook URL and mode."""
    from warmline.bots.sources import BotSources

    store = _store()
    for source in BotSources(store.engine, store.token_secret()).all():
        mode = "shadow" if source.shadow else "live"
        console.print(f"{source.name}  {mode}  {source.webhook_url}  {source.settings.model_dump_json()}")


@bots_app.command("shadow")
def set_shadow(
    name: Annotated[str, typer.Argument(help="The bot source.")],
    on: Annotated[bool, typer.Option("--on/--off", help="Record decisions only (on), or act on them (off).")] = True,
) -> None:
    """Switch a source's shadow mode (applies within a few seconds on a running service)."""
    from warmline.bots.sources import BotSources

    store = _store()
    try:
        source = BotSources(store.engine, store.token_secret()).set_shadow(name, on)
    except WarmlineError as exc:
        raise fail(exc) from exc
    console.print(f"{source.name}: {'shadow mode (nothing acted on)' if source.shadow else 'live'}")


@bots_app.command("report")
def report(
    source: Annotated[str, typer.Argument(help="The bot source.")],
    since: Annotated[datetime | None, typer.Option(help="Conversations opened since (ISO date).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object (a stable interface).")] = False,
) -> None:
    """Warmline's escalation decisions against the bot's own handoff requests, per decided turn."""
    from warmline.bots.report import shadow_report
    from warmline.bots.sources import BotSources

    store = _store()
    try:
        BotSources(store.engine, store.token_secret()).get(source)
    except WarmlineError as exc:
        raise fail(exc) from exc
    print_result(shadow_report(store, source, since), as_json, f"Bot {source}: Warmline vs the bot")
