"""``warmline eval escalation``, ``warmline eval handoff`` and ``warmline bench handoff``: the
quality gate's commands over the real pipeline. Their flags and JSON keys are a stable interface."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from warmline.cli import bench_app, eval_app
from warmline.cli.output import console, print_result, refuse
from warmline.errors import WarmlineError

DataFile = Annotated[Path, typer.Option("--data", help="JSONL of {id, turns, expect}.")]
DataDir = Annotated[Path, typer.Option("--data", help="Directory of curated ABCD conversation JSON files.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@eval_app.command("escalation")
def eval_escalation(data: DataFile, as_json: AsJson = False) -> None:
    """Send each case's turns through the real pipeline (demo pack) and score the first escalation."""
    from warmline.evaluation.runs import evaluate_escalation
    from warmline.policy.evaluation import EscalationDataError

    if not data.is_file():
        raise refuse("data_not_found", f"no such file: {data}")
    try:
        result = evaluate_escalation(data)
    except (EscalationDataError, WarmlineError) as exc:
        raise refuse("invalid_data", str(exc)) from exc
    if not as_json:
        for error in result.get("errors", [])[:20]:
            console.print(f"[yellow]{error['id']}[/]: expected {error['expect']}, got {error['got']}")
    print_result(result, as_json, "eval escalation")


BotData = Annotated[
    Path, typer.Option("--data", help="JSONL of {id, turns, expect, answer_contains, kind, customer_id}.")
]


@eval_app.command("bot")
def eval_bot(data: BotData, as_json: AsJson = False) -> None:
    """Play each case's customer turns through the bot (demo store) and score its answers."""
    from warmline.evaluation.bot import BotDataError, evaluate_bot

    if not data.is_file():
        raise refuse("data_not_found", f"no such file: {data}")
    try:
        result = evaluate_bot(data)
    except (BotDataError, WarmlineError) as exc:
        raise refuse("invalid_data", str(exc)) from exc
    if not as_json:
        for error in result.get("errors", [])[:20]:
            what = "handed off" if error["escalated"] else f"missing {error['missing']}"
            console.print(f"[yellow]{error['id']}[/] ({error['kind']}): {what}")
    print_result(result, as_json, "eval bot")


@eval_app.command("gate")
def eval_gate(
    floors: Annotated[Path, typer.Option("--floors", help="The checked-in floors file.")] = Path("eval/floors.json"),
    shared: Annotated[Path, typer.Option("--shared", help="The shared data folder.")] = Path("../shared/data"),
    as_json: AsJson = False,
) -> None:
    """Run every evaluation in the floors file; exit 1 when a figure falls past its floor."""
    from warmline.evaluation.gate import GateError, run_gate

    if not shared.is_dir():
        console.print(f"[yellow]eval gate skipped[/]: no shared data folder at {shared} (nothing was measured)")
        return
    try:
        result = run_gate(floors, shared, progress=None if as_json else lambda name: console.print(f"measured {name}"))
    except (GateError, WarmlineError) as exc:
        raise refuse("invalid_data", str(exc)) from exc
    if as_json:
        print(json.dumps(result))
    else:
        for check in result["checks"]:
            mark = "ok  " if check["passed"] else "FAIL"
            sign = ">=" if check["bound"] == "min" else "<="
            console.print(f"{mark} {check['run']}: {check['figure']} = {check['value']} ({sign} {check['floor']})")
        console.print(
            "[green]all figures at or above their floors[/]" if result["passed"] else "[red]a figure dropped[/]"
        )
    if not result["passed"]:
        raise typer.Exit(1)


@eval_app.command("handoff")
def eval_handoff(data: DataDir, as_json: AsJson = False) -> None:
    """Replay ABCD conversations to their handoff point, force the handoff, score the payload."""
    from warmline.evaluation.runs import evaluate_handoff
    from warmline.handoff.evaluation import HandoffDataError

    if not data.is_dir():
        raise refuse("data_not_found", f"no such directory: {data}")
    try:
        result = evaluate_handoff(data)
    except (HandoffDataError, WarmlineError) as exc:
        raise refuse("invalid_data", str(exc)) from exc
    if not as_json:
        for miss in result.get("misses", [])[:20]:
            console.print(f"[yellow]{miss['id']}[/]: not kept {miss['missed']}")
    result.pop("scores", None)
    print_result(result, as_json, "eval handoff")


@bench_app.command("handoff")
def bench_handoff(
    as_json: AsJson = False,
    handoffs: Annotated[int, typer.Option(min=10, max=100_000, help="Escalations to time.")] = 200,
    agents: Annotated[int, typer.Option(min=2, max=64, help="Agents claiming in parallel.")] = 8,
    rounds: Annotated[int, typer.Option(min=1, max=10_000, help="Contended-claim rounds.")] = 20,
) -> None:
    """Escalation-to-queue latency, claim throughput and contended claims (embedded default)."""
    from warmline.bench.handoff import run_handoff_bench

    print_result(run_handoff_bench(handoffs, agents, rounds), as_json, "bench handoff")
