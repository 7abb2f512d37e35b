"""``warmline policy check|explain|replay``: audit the escalation policy (stable JSON with --json).

Errors print ``error (code): message`` and exit 2. Codes: ``invalid_policy``, ``invalid_date``,
``not_migrated``, ``conversation_not_found``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from warmline.cli import policy_app
from warmline.cli.metrics_commands import parse_when
from warmline.cli.output import console, refuse
from warmline.cli.service_commands import settings_or_exit


def _load(path: str) -> Any:
    from warmline.policy.rules import PolicyFileError, load_policy

    try:
        return load_policy(path)
    except PolicyFileError as exc:
        raise refuse(exc.code, str(exc)) from exc


def _open_store() -> tuple[Any, Any]:
    from warmline.storage.sql.engine import make_engine, schema_is_current
    from warmline.storage.sql.store import SqlStore

    settings = settings_or_exit()
    engine = make_engine(settings.database_url)
    if not schema_is_current(engine):
        engine.dispose()
        raise refuse("not_migrated", "the database is not migrated; run `warmline db upgrade`")
    return SqlStore(engine), engine


@policy_app.command("check")
def check(
    path: Annotated[str, typer.Argument(help="Policy file (YAML).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Validate a policy file and print its version (content hash)."""
    policy = _load(path)
    order = [name for name, rule in policy.triggers.ordered() if rule.enabled]
    if as_json:
        print(json.dumps({"ok": True, "path": path, "version": policy.version, "name": policy.name, "triggers": order}))
        return
    console.print(f"{path}: ok, version {policy.version} ({policy.name}); triggers in order: {', '.join(order)}")


@policy_app.command("explain")
def explain(
    conversation_id: Annotated[str, typer.Argument(help="Conversation id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Every escalation decision of one conversation: turn, outcome, rule, reason, inputs."""
    from warmline.policy.explain import explain_events

    store, engine = _open_store()
    try:
        if not store.exists(conversation_id):
            raise refuse("conversation_not_found", f"no conversation {conversation_id!r}")
        rows = explain_events(store.load_events(conversation_id))
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps({"conversation_id": conversation_id, "decisions": rows}, default=str))
        return
    table = Table(title=f"Escalation decisions — {conversation_id}")
    for column in ("turn", "customer", "outcome", "rule", "reason", "held back", "version"):
        table.add_column(column)
    for row in rows:
        held = "; ".join(f"{h['trigger']}: {h['why']}" for h in row["held_back"])
        table.add_row(
            str(row["turn"]),
            row["customer_text"][:60],
            row["outcome"] + (f" ({row['mode']})" if row["mode"] else ""),
            row["rule"] or "—",
            row["reason"] or "",
            held or "—",
            row["policy_version"] or "",
        )
    console.print(table)
    if not rows:
        console.print("no policy decisions recorded for this conversation")


@policy_app.command("replay")
def replay_command(
    policy_path: Annotated[str, typer.Option("--policy", help="Candidate policy file (YAML).")],
    since: Annotated[str | None, typer.Option(help="Conversations started at or after (ISO date).")] = None,
    until: Annotated[str | None, typer.Option(help="Conversations started before (ISO date).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Re-run a candidate policy over the stored decisions and report what would change.
    Changes nothing."""
    from warmline.policy.replay import replay

    policy = _load(policy_path)
    start, end = parse_when(since, "--since"), parse_when(until, "--until")
    store, engine = _open_store()
    try:
        result = replay(store, policy, since=start, until=end)
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps(result, default=str))
        return
    console.print(
        f"policy {result['policy_version']}: {result['conversations']} conversations, "
        f"{result['decisions']} decisions, {result['differing']} would differ"
    )
    rate = lambda v: "—" if v is None else f"{v:.1%}"  # noqa: E731
    console.print(
        f"escalation rate {rate(result['escalation_rate_before'])} -> {rate(result['escalation_rate_after'])}"
    )
    for diff in result["differences"][:50]:
        before, after = diff["before"], diff["after"]
        console.print(
            f"  {diff['conversation_id']} #{diff['message_seq']}: {before['outcome']}/{before['trigger']} -> "
            f"{after['outcome']}/{after['trigger']} ({after['reason']})"
        )
