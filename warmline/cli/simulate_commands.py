"""``warmline simulate``: drive the running service with simulated customers and agents."""

from __future__ import annotations

import asyncio
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import Progress

from warmline.cli import app

console = Console()
err = Console(stderr=True)


@app.command()
def simulate(
    conversations: Annotated[int, typer.Option(min=1, max=100_000, help="Simulated customers.")] = 100,
    agents: Annotated[int, typer.Option(min=1, max=200, help="Simulated agents.")] = 4,
    seed: Annotated[int, typer.Option(help="Seed: the same seed plays the same run.")] = 7,
    url: Annotated[str, typer.Option(help="The running service.")] = "http://127.0.0.1:8000",
    time_scale: Annotated[float, typer.Option(min=0.0, help="Real seconds per simulated second of agent work.")] = 0.01,
) -> None:
    """Customers from ABCD conversations (with frustration and requests for a person mixed in)
    and agents who claim, read the payload, re-ask what it lacks, send or edit the draft, and
    resolve or hand back. Then see `warmline metrics report`."""
    from warmline.simulation.run import simulate as run

    try:
        httpx.get(f"{url.rstrip('/')}/healthz", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        err.print(f"[red]error[/red] (unreachable): no Warmline service at {url}: {exc}")
        raise typer.Exit(2) from exc
    with Progress(console=console, transient=False) as progress:
        task = progress.add_task("conversations", total=conversations)
        ledger = asyncio.run(
            run(url.rstrip("/"), conversations, agents, seed, time_scale, lambda n: progress.advance(task, n))
        )
    console.print(
        f"{ledger.started} conversations: {ledger.escalated} handed to agents, "
        f"{ledger.bot_resolved} resolved by the bot, {ledger.handled} handled, {ledger.transferred} transferred, "
        f"{ledger.reasks} facts asked again"
    )
    if ledger.errors:
        err.print(f"[yellow]{len(ledger.errors)} errors[/yellow], first: {ledger.errors[0]}")
