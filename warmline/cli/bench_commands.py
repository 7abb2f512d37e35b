"""``warmline bench api``, ``bench contention`` and ``bench store`` (stable JSON keys)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import Progress

from warmline.cli import bench_app
from warmline.cli.output import console, print_result, refuse


@bench_app.command("api")
def bench_api(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    clients: Annotated[int, typer.Option(min=1, max=256, help="Concurrent clients.")] = 16,
    seconds: Annotated[float, typer.Option(min=1, max=600, help="Measured seconds of each kind.")] = 10.0,
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
    """Start the server and drive it over loopback: messages and a no-op endpoint, alternating."""
    from warmline.bench.api import run_api_bench

    if model not in ("placeholder", "embedded"):
        raise refuse("invalid_model", "--model must be placeholder or embedded")
    print_result(run_api_bench(clients, seconds, database_url, model), as_json, "bench api")


@bench_app.command("contention")
def bench_contention(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    clients: Annotated[int, typer.Option(min=2, max=64, help="Concurrent clients.")] = 8,
    seconds: Annotated[float, typer.Option(min=1, max=600, help="Measured seconds of each layout.")] = 12.0,
    database_url: Annotated[
        str | None, typer.Option(help="Database for the server (default: a fresh SQLite file).")
    ] = None,
    model: Annotated[str, typer.Option(help="The server's bot: embedded (the product's) or placeholder.")] = "embedded",
    per_conversation: Annotated[
        int, typer.Option(min=2, max=100_000, help="Messages a conversation takes before the clients start a new one.")
    ] = 20,
) -> None:
    """CLIENTS posting to one conversation, then each to its own, with no-op probes of the event loop."""
    from warmline.bench.contention import run_contention_bench

    if model not in ("placeholder", "embedded"):
        raise refuse("invalid_model", "--model must be placeholder or embedded")
    print_result(
        run_contention_bench(clients, seconds, database_url, model, per_conversation), as_json, "bench contention"
    )


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
