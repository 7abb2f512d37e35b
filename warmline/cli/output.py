"""How commands answer: one JSON object (``--json``, a stable interface) or a table of the
figures; a refusal as ``error (code): message`` on stderr with exit code 2."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

console = Console()
err = Console(stderr=True)


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


def refuse(code: str, message: str) -> typer.Exit:
    """Print the refusal; the caller raises what this returns."""
    err.print(f"[red]error[/red] ({code}): {message}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(2)
