"""``warmline eval escalation``, ``warmline eval handoff`` and ``warmline bench handoff``: the
quality gate's commands over the real pipeline. Their flags and JSON keys are a stable interface."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from warmline.cli import bench_app, eval_app
from warmline.errors import WarmlineError

console = Console()
DataFile = Annotated[Path, typer.Option("--data", help="JSONL of {id, turns, expect}.")]
DataDir = Annotated[Path, typer.Option("--data", help="Directory of curated ABCD conversation JSON files.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _fail(message: str, code: str) -> typer.Exit:
    typer.echo(f"error: {code}: {message}", err=True)
    return typer.Exit(code=2)


def _show(result: dict[str, Any], as_json: bool, title: str, details: str) -> None:
    if as_json:
        print(json.dumps(result))
        return
    table = Table(title=title)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in result.items():
        if key == details or isinstance(value, list):
            continue
        if isinstance(value, dict):
            value = json.dumps(value)
        elif isinstance(value, float):
            value = f"{value:.4f}"
        table.add_row(key, str(value))
    console.print(table)


@eval_app.command("escalation")
def eval_escalation(data: DataFile, as_json: AsJson = False) -> None:
    """Send each case's turns through the real pipeline (demo pack) and score the first escalation."""
    from warmline.evaluation.runs import evaluate_escalation
    from warmline.policy.evaluation import EscalationDataError

    if not data.is_file():
        raise _fail(f"no such file: {data}", "data_not_found")
    try:
        result = evaluate_escalation(data)
    except (EscalationDataError, WarmlineError) as exc:
        raise _fail(str(exc), "bad_data") from exc
    if not as_json:
        for error in result.get("errors", [])[:20]:
            console.print(f"[yellow]{error['id']}[/]: expected {error['expect']}, got {error['got']}")
    _show(result, as_json, "eval escalation", "errors")


@eval_app.command("handoff")
def eval_handoff(data: DataDir, as_json: AsJson = False) -> None:
    """Replay ABCD conversations to their handoff point, force the handoff, score the payload."""
    from warmline.evaluation.runs import evaluate_handoff
    from warmline.handoff.evaluation import HandoffDataError

    if not data.is_dir():
        raise _fail(f"no such directory: {data}", "data_not_found")
    try:
        result = evaluate_handoff(data)
    except (HandoffDataError, WarmlineError) as exc:
        raise _fail(str(exc), "bad_data") from exc
    if not as_json:
        for miss in result.get("misses", [])[:20]:
            console.print(f"[yellow]{miss['id']}[/]: not kept {miss['missed']}")
    result.pop("scores", None)
    _show(result, as_json, "eval handoff", "misses")


@bench_app.command("handoff")
def bench_handoff(
    as_json: AsJson = False,
    handoffs: Annotated[int, typer.Option(min=10, max=100_000, help="Escalations to time.")] = 200,
    agents: Annotated[int, typer.Option(min=2, max=64, help="Agents claiming in parallel.")] = 8,
    rounds: Annotated[int, typer.Option(min=1, max=10_000, help="Contended-claim rounds.")] = 20,
) -> None:
    """Escalation-to-queue latency, claim throughput and contended claims (embedded default)."""
    from warmline.bench.handoff import run_handoff_bench

    _show(run_handoff_bench(handoffs, agents, rounds), as_json, "bench handoff", "")
