"""``warmline screenshots``: regenerate the web surfaces' screenshots in docs/screenshots."""

from __future__ import annotations

import os
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
    dashboard_url: Annotated[
        str | None,
        typer.Option(help="Also capture /lead/metrics of this running service (lead token in WARMLINE_TOKEN)."),
    ] = None,
    bucket: Annotated[str, typer.Option(help="Dashboard time bucket: minute, hour or day.")] = "minute",
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
    from warmline.web.screenshots import take_dashboard_screenshot, take_screenshots

    if dashboard_url is not None:
        token = os.environ.get("WARMLINE_TOKEN", "")
        if not token or bucket not in ("minute", "hour", "day"):
            err.print("[red]error[/red] (missing_token): set WARMLINE_TOKEN to a lead token; --bucket minute|hour|day")
            raise typer.Exit(2)
        console.print(f"wrote {take_dashboard_screenshot(dashboard_url, token, out, str(chromium), bucket)}")
        return
    for path in take_screenshots(out, str(chromium)):
        console.print(f"wrote {path}")
