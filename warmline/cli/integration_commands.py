"""``warmline integrations ...``: check desk configuration, inspect and retry the outbox."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from warmline.cli import integrations_app
from warmline.cli.service_commands import settings_or_exit

if TYPE_CHECKING:
    from warmline.storage.sql.outbox import OutboxStore

console = Console()
err = Console(stderr=True)


def _outbox() -> OutboxStore:
    from warmline.storage.sql.engine import make_engine, migrate
    from warmline.storage.sql.outbox import OutboxStore

    engine = make_engine(settings_or_exit().database_url)
    migrate(engine)
    return OutboxStore(engine)


@integrations_app.command("check")
def check(
    desk: Annotated[str, typer.Argument(help="zendesk, salesforce, intercom or servicenow.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the configuration only; call nothing.")] = False,
) -> None:
    """Validate a desk's configuration (WARMLINE_<DESK>_*) and, unless --dry-run, its credentials."""
    from warmline.errors import WarmlineError
    from warmline.integrations.registry import desk_class

    try:
        cls = desk_class(desk)
    except WarmlineError as exc:
        err.print(f"[red]error[/red] ({exc.code}): {exc.message}")
        raise typer.Exit(2) from exc
    target = cls(config=cls.config_class())
    missing = target.missing()
    if not target.config.enabled:
        missing.insert(0, f"enabled (set WARMLINE_{desk.upper()}_ENABLED=true)")
    for item in missing:
        console.print(f"[red]missing[/red] {item}")
    if missing:
        raise typer.Exit(1)
    if dry_run:
        console.print(f"{desk}: configuration complete (dry run: no call made)")
        return
    url = target.config.base_url.rstrip("/") + target.probe
    try:
        response = httpx.get(url, headers=target.auth_headers(), timeout=10)
    except httpx.HTTPError as exc:
        err.print(f"[red]error[/red] (unreachable): {url}: {exc}")
        raise typer.Exit(1) from exc
    if response.status_code >= 400:
        err.print(f"[red]error[/red] (credentials_refused): {url} answered {response.status_code}")
        raise typer.Exit(1)
    console.print(f"{desk}: configuration complete and credentials accepted ({response.status_code})")


@integrations_app.command("outbox")
def outbox(
    status: Annotated[str | None, typer.Option(help="pending, sent or dead.")] = None,
    desk: Annotated[str | None, typer.Option(help="Only this desk.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List outbound desk calls; `--status dead` is the dead-letter view."""
    items = _outbox().items(status=status, desk=desk)
    if as_json:
        print(json.dumps([{**i.__dict__, "next_attempt_at": i.next_attempt_at.isoformat()} for i in items]))
        return
    table = Table("id", "desk", "conversation", "kind", "status", "attempts", "last error")
    for item in items:
        table.add_row(
            str(item.id),
            item.desk,
            item.conversation_id,
            item.kind,
            item.status,
            str(item.attempts),
            (item.last_error or "")[:60],
        )
    console.print(table)


@integrations_app.command("retry")
def retry(
    desk: Annotated[str | None, typer.Option(help="Only this desk's dead letters.")] = None,
    item: Annotated[list[int] | None, typer.Option("--id", help="Only these outbox ids (repeatable).")] = None,
) -> None:
    """Send dead-lettered calls again (after fixing what made them fail)."""
    count = _outbox().retry_dead(desk=desk, item_ids=item)
    console.print(f"{count} call(s) queued again")


@integrations_app.command("dispatch")
def dispatch() -> None:
    """Deliver every due outbox call now (the server also does this in the background)."""
    from warmline.bots.rasa.config import RasaConfig
    from warmline.bots.sources import BotSources
    from warmline.bots.wiring import bot_desks
    from warmline.integrations.outbound import Dispatcher
    from warmline.integrations.registry import configured_desks
    from warmline.storage.sql.store import SqlStore

    outbox = _outbox()
    sources = BotSources(outbox.engine, SqlStore(outbox.engine).token_secret())
    desks = {**configured_desks(), **bot_desks(sources, RasaConfig())}
    with httpx.Client(timeout=10) as client:
        report = Dispatcher(outbox, desks, client).drain()
    console.print(f"sent {report.sent}, retrying {report.retried}, dead {report.dead}")


@integrations_app.command("render")
def render_requests(
    desk: Annotated[str, typer.Argument(help="zendesk, salesforce, intercom or servicenow.")],
    payload: Annotated[
        typer.FileText, typer.Option("--payload", help="A stored payload (GET /v1/conversations/{id}/payload).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the requests as JSON.")] = False,
    origin: Annotated[
        str, typer.Option(help="desk: the conversation started in the desk's messaging; web: elsewhere.")
    ] = "desk",
    to_team: Annotated[str, typer.Option("--to-team", help="The team the transfer goes to.")] = "<team>",
) -> None:
    """Print the HTTP requests DESK would receive for a handoff, transfer, handback and close of
    the conversation in the payload file. Calls nothing; needs no credentials (unset settings
    show as <placeholders>, secrets are masked)."""
    from warmline.config import Settings
    from warmline.errors import WarmlineError
    from warmline.integrations.registry import desk_class
    from warmline.integrations.render import render

    if origin not in ("desk", "web"):
        err.print("[red]error[/red] (invalid_origin): --origin is desk or web")
        raise typer.Exit(2)
    try:
        cls = desk_class(desk)
        document = json.loads(payload.read())
        if not isinstance(document, dict):
            raise ValueError("not a JSON object")
        public_url = Settings().public_url
        requests = render(
            cls(config=cls.config_class()), document, public_url=public_url, origin=origin, to_team=to_team
        )
    except WarmlineError as exc:
        err.print(f"[red]error[/red] ({exc.code}): {exc.message}")
        raise typer.Exit(2) from exc
    except ValueError as exc:
        err.print(f"[red]error[/red] (malformed_payload): {exc}")
        raise typer.Exit(2) from exc
    if as_json:
        print(json.dumps(requests, indent=2, ensure_ascii=False))
        return
    for request in requests:
        console.print(f"[bold]{request['step']}[/bold] {request['method']} {request['url']}")
