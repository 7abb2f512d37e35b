"""``warmline bench api`` and ``warmline bench store`` (stable JSON keys)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from warmline.cli import bench_app

console = Console()


def print_result(result: dict[str, Any], as_json: bool, title: str) -> None:
    """One JSON object, or a table of the scalar figures (lists of details are left out)."""
    if as_json:
        print(json.dumps(result))
        return
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        if isinstance(value, list):
            continue
        shown = json.dumps(value) if isinstance(value, dict) else f"{value:.4f}" if isinstance(value, float) else value
        table.add_row(key, str(shown))
    console.print(table)


@bench_app.command("api")
def bench_api(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    clients: Annotated[int, typer.Option(min=1, max=256, help="Concurrent clients.")] = 16,
    seconds: Annotated[float, typer.Option(min=1, max=600, help="Measured seconds per phase.")] = 10.0,
    database_url: Annotated[
        str | None, typer.Option(help="Database for the server (default: a fresh SQLite file).")
    ] = None,
    model: Annotated[
        str,
        typer.Option(
            help="The server's bot: placeholder measures the service itself, embedded adds the model to each message."
        ),
    ] = "placeholder",
) -> None:
    """Start the server and drive it over loopback: messages, then a no-op endpoint."""
    from warmline.bench.api import run_api_bench

    if model not in ("placeholder", "embedded"):
        typer.echo("error: invalid_model: --model must be placeholder or embedded", err=True)
        raise typer.Exit(2)
    print_result(run_api_bench(clients, seconds, database_url, model), as_json, "bench api")


@bench_app.command("store")
def bench_store(
    events: Annotated[int, typer.Option(min=100, help="Events to write, 100 per conversation.")] = 100_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    database_url: Annotated[str | None, typer.Option(help="An empty database (default: a fresh SQLite file).")] = None,
) -> None:
    """Fill a fresh database and measure appends and state reads."""
    from warmline.bench.store import run_store_bench

    if as_json:
        result = run_store_bench(events, database_url)
    else:
        with Progress(console=console) as progress:
            task = progress.add_task("appending", total=events)
            result = run_store_bench(events, database_url, lambda n: progress.advance(task, n))
    print_result(result, as_json, "bench store")
