"""``warmline screenshots``: regenerate the web surfaces' screenshots in docs/screenshots."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from warmline.cli import app

console = Console()
err = Console(stderr=True)


@app.command()
def screenshots(
    out: Annotated[Path, typer.Option(help="Directory for the PNG files.")] = Path("docs/screenshots"),
    chromium: Annotated[Path, typer.Option(help="Debian's chromium (apt-get install chromium).")] = Path(
        "/usr/bin/chromium"
    ),
) -> None:
    """Play one handoff in Chromium and save the agent workspace, sidebar, chat and lead view."""
    if not chromium.exists():
        err.print(f"[red]error[/red] (missing_browser): {chromium} not found; install Debian's chromium (make browser)")
        raise typer.Exit(2)
    try:
        import playwright  # noqa: F401
    except ImportError as exc:
        err.print("[red]error[/red] (missing_extra): install the test extra: pip install -e '.[test]'")
        raise typer.Exit(2) from exc
    from warmline.web.screenshots import take_screenshots

    for path in take_screenshots(out, str(chromium)):
        console.print(f"wrote {path}")
