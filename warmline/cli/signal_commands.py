"""``warmline eval signals``: how the escalation signals generalise to a data source they were
not trained on (leave one source out)."""

from __future__ import annotations

import typer

from warmline.cli import eval_app
from warmline.cli.output import print_result, refuse


@eval_app.command("signals")
def eval_signals(
    leave_out: list[str] = typer.Option([], "--leave-out", help="Data sources to hold out (default: each in turn)."),
    pack: str = typer.Option("demo", "--pack", help="The pack whose signal data to use."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Leave-one-source-out: train the escalation signals without a source, score them on it."""
    from warmline.model.encoder import shared_encoder
    from warmline.model.signals_evaluation import leave_one_source_out
    from warmline.packs import PackError, load_pack

    try:
        pack_path = load_pack(pack).path
        result = leave_one_source_out(pack_path, shared_encoder().encode, leave_out or None)
    except (PackError, ValueError) as error:
        raise refuse("invalid_data", str(error)) from error
    print_result(result, as_json, "signals: leave one source out")
