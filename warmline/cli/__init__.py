"""The ``warmline`` command. Each command group lives in its own module and registers itself
on the Typer apps defined here; this file only assembles them."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Warmline: warm handoffs between bot and agents.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens for agents, leads and admins.")
eval_app = typer.Typer(no_args_is_help=True, help="Quality evaluations (stable JSON interfaces).")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks (stable JSON interfaces).")
policy_app = typer.Typer(no_args_is_help=True, help="Escalation policy: explain and replay decisions.")
metrics_app = typer.Typer(no_args_is_help=True, help="Handoff metrics from the event log.")
integrations_app = typer.Typer(no_args_is_help=True, help="Support-desk integrations and their outbox.")
model_app = typer.Typer(no_args_is_help=True, help="The embedded model: rebuild a pack's classifier and signals.")
agent_app = typer.Typer(no_args_is_help=True, help="Work conversations as an agent (over the HTTP API).")
bots_app = typer.Typer(no_args_is_help=True, help="Outside bots: sources, shadow mode, the shadow report.")

app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")
app.add_typer(policy_app, name="policy")
app.add_typer(model_app, name="model")
app.add_typer(agent_app, name="agent")
app.add_typer(metrics_app, name="metrics")
app.add_typer(integrations_app, name="integrations")
app.add_typer(bots_app, name="bots")

# Importing a module registers its commands on the apps above.
from warmline.cli import (  # noqa: E402,F401
    agent_commands,
    bench_commands,
    bot_commands,
    evaluation_commands,
    integration_commands,
    metrics_commands,
    model_commands,
    policy_commands,
    service_commands,
    signal_commands,
    simulate_commands,
    web_commands,
)


def main() -> None:
    app()
