"""``warmline metrics report``: the handoff metrics by cohort and team (stable JSON)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from warmline.cli import metrics_app
from warmline.cli.service_commands import settings_or_exit

console = Console()
err = Console(stderr=True)


def parse_when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        err.print(f"[red]error[/red] (invalid_date): {option} must be an ISO date or date-time, got {value!r}")
        raise typer.Exit(2) from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def fmt(value: Any, ci: Any = None, percent: bool = True) -> str:
    if value is None:
        return "—"
    text = f"{value:.1%}" if percent else f"{value:,.1f}"
    if ci:
        text += f"  [{ci[0]:.1%}–{ci[1]:.1%}]" if percent else f"  [{ci[0]:,.1f}–{ci[1]:,.1f}]"
    return text


@metrics_app.command("report")
def report(
    since: Annotated[str | None, typer.Option(help="Conversations started at or after (ISO date).")] = None,
    until: Annotated[str | None, typer.Option(help="Conversations started before (ISO date).")] = None,
    team: Annotated[str | None, typer.Option(help="Only handoffs first routed to this team.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """All handoff metrics by cohort (warm payload vs cold transfer) and team, with 95% intervals,
    read from the configured database."""
    from warmline.metrics.report import report_from_store
    from warmline.storage.sql.engine import make_engine, schema_is_current
    from warmline.storage.sql.store import SqlStore

    start, end = parse_when(since, "--since"), parse_when(until, "--until")
    settings = settings_or_exit()
    engine = make_engine(settings.database_url)
    try:
        if not schema_is_current(engine):
            err.print("[red]error[/red] (not_migrated): the database is not migrated; run `warmline db upgrade`")
            raise typer.Exit(2)
        result = report_from_store(SqlStore(engine), since=start, until=end, team=team)
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps(result))
        return
    table = Table(title=f"Handoff metrics{f' — {team}' if team else ''}")
    table.add_column("metric")
    for cohort in ("warm", "cold"):
        table.add_column(cohort, justify="right")
    cohorts = result["cohorts"]
    table.add_row("handoffs", *(str(cohorts[c]["handoffs"]) for c in ("warm", "cold")))
    for name in ("repeat_context_rate", "draft_usage_rate", "routing_accuracy", "csat"):
        table.add_row(name, *(fmt(cohorts[c][name], cohorts[c][f"{name}_ci"]) for c in ("warm", "cold")))
    for name in ("handle_time_s", "time_to_pickup_s"):
        table.add_row(name, *(fmt(cohorts[c][name], cohorts[c][f"{name}_ci"], percent=False) for c in ("warm", "cold")))
    console.print(table)
    overall = result["overall"]
    console.print(
        f"conversations {overall['conversations']}, bot first-contact resolution "
        f"{fmt(overall['bot_first_contact_resolution'])}, refusal accuracy {fmt(overall['refusal_accuracy'])}, "
        f"handle-time reduction {fmt(overall['handle_time_reduction'])}"
    )
