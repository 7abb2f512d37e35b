"""Running the service: serve, database, tokens and the terminal chat."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from warmline.cli import app, db_app, token_app
from warmline.cli.output import refuse
from warmline.config import Settings, load_settings
from warmline.errors import WarmlineError

console = Console()
err = Console(stderr=True)


def settings_or_exit(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except Exception as exc:  # pydantic's ValidationError names every bad setting
        err.print(f"[red]error:[/red] invalid settings: {exc}")
        raise typer.Exit(2) from exc


def fail(exc: WarmlineError) -> typer.Exit:
    return refuse(exc.code, exc.message)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Migrate the database, load the demo data and serve the API and web pages."""
    import uvicorn

    from warmline.app import build_services, create_app
    from warmline.packs.demo_data import load_demo_data
    from warmline.runtime import settle_startup_heap

    settings = settings_or_exit()
    try:
        services = build_services(settings)
        if settings.load_demo_data:
            loaded = load_demo_data(services)
            console.print(f"demo data: {loaded} accounts from pack '{settings.pack}'")
    except WarmlineError as exc:
        raise fail(exc) from exc
    settle_startup_heap()
    console.print(f"Warmline on http://{host}:{port}  (database: {_safe_url(settings.database_url)})")
    uvicorn.run(create_app(settings, services=services), host=host, port=port, log_level=log_level)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to WARMLINE_DATABASE_URL."""
    from warmline.storage.sql.engine import make_engine, migrate

    settings = settings_or_exit()
    engine = make_engine(settings.database_url)
    migrate(engine)
    engine.dispose()
    console.print(f"database is at the newest schema ({_safe_url(settings.database_url)})")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(help="agent, lead, admin, or bot (an outside bot).")],
    name: Annotated[str, typer.Option(help="The person's display name, or the bot's source name.")] = "",
    team: Annotated[list[str] | None, typer.Option(help="A team the agent works in (repeatable).")] = None,
    capacity: Annotated[int, typer.Option(min=1, max=50, help="Conversations an agent holds at once.")] = 3,
    webhook_url: Annotated[str | None, typer.Option(help="Bots: where Warmline posts signed events.")] = None,
    shadow: Annotated[bool, typer.Option(help="Bots: record decisions only, never escalate.")] = False,
    confidence_threshold: Annotated[
        float | None, typer.Option(help="Bots: escalate when the bot's own confidence is below this.")
    ] = None,
    intent_team: Annotated[
        list[str] | None, typer.Option(help="Bots: INTENT=TEAM, the team that owns a bot intent (repeatable).")
    ] = None,
) -> None:
    """Create a staff member and print their API token (shown once). With --role bot: an outside
    bot's source, printing its token and webhook signing secret (shown once)."""
    from warmline.staffing import do_create_staff
    from warmline.storage.sql.engine import make_engine, migrate
    from warmline.storage.sql.store import SqlStore

    settings = settings_or_exit()
    if role == "bot":
        _create_bot(settings, name, webhook_url, shadow, confidence_threshold, intent_team or [])
        return
    if webhook_url is not None:
        raise refuse("invalid_option", "--webhook-url is only for --role bot")
    engine = make_engine(settings.database_url)
    migrate(engine)
    try:
        created = do_create_staff(SqlStore(engine), name or role, role, team or [], capacity, _known_teams(settings))
    except WarmlineError as exc:
        raise fail(exc) from exc
    finally:
        engine.dispose()
    err.print(f"created {created['role']} {created['id']} ({created['name']}); teams: {', '.join(created['teams'])}")
    print(created["token"])


def _known_teams(settings: Settings) -> frozenset[str]:
    """The teams the service routes to (as the API checks them); any name with the placeholder bot."""
    if settings.model == "placeholder":
        return frozenset()
    from warmline.packs import load_pack
    from warmline.routing import load_routing, routable_teams

    pack = load_pack(settings.pack)
    return routable_teams(pack, load_routing(pack))


def _create_bot(
    settings: Settings,
    name: str,
    webhook_url: str | None,
    shadow: bool,
    confidence_threshold: float | None,
    intent_teams: list[str],
) -> None:
    from warmline.bots.sources import BotSources, check_settings
    from warmline.storage.sql.engine import make_engine, migrate
    from warmline.storage.sql.store import SqlStore

    if not name:
        raise refuse("invalid_source_name", "a bot needs --name (its source name, e.g. rasa-prod)")
    if not webhook_url:
        raise refuse("invalid_webhook_url", "a bot needs --webhook-url (where Warmline posts signed events)")
    teams: dict[str, str] = {}
    for item in intent_teams:
        intent, sep, team = item.partition("=")
        if not sep or not intent or not team:
            raise refuse("invalid_source_settings", f"--intent-team takes INTENT=TEAM, got {item!r}")
        teams[intent] = team
    engine = make_engine(settings.database_url)
    migrate(engine)
    try:
        bot_settings = check_settings(confidence_threshold, teams, _known_teams(settings))
        store = SqlStore(engine)
        created = BotSources(engine, store.token_secret()).create(
            name, webhook_url, shadow=shadow, settings=bot_settings, production=settings.environment == "production"
        )
    except WarmlineError as exc:
        raise fail(exc) from exc
    finally:
        engine.dispose()
    mode = " (shadow mode: decisions recorded, nothing acted on)" if shadow else ""
    err.print(f"created bot {created['name']} ({created['id']}); events go to {created['webhook_url']}{mode}")
    print(f"WARMLINE_BOT_TOKEN={created['token']}")
    print(f"WARMLINE_WEBHOOK_SECRET={created['webhook_secret']}")


@app.command()
def chat(
    url: Annotated[str, typer.Option(help="The running service.")] = "http://127.0.0.1:8000",
    name: Annotated[str | None, typer.Option(help="Your name, shown to agents.")] = None,
    account: Annotated[str | None, typer.Option(help="A demo account id to chat as.")] = None,
) -> None:
    """Chat with the bot (and any agent who joins) from the terminal. Ctrl-D to leave."""
    from warmline.cli.terminal_chat import run_chat

    sys.exit(run_chat(url, name, account, console))


def _safe_url(url: str) -> str:
    """The database URL with any password masked."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
