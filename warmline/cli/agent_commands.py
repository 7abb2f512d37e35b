"""``warmline agent ...``: the agent workspace's actions from a terminal, over the HTTP API."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from warmline.cli import agent_app

console = Console()
err = Console(stderr=True)

Url = Annotated[str, typer.Option(envvar="WARMLINE_URL", help="The running service.")]
Token = Annotated[str, typer.Option(envvar="WARMLINE_TOKEN", help="Your agent token (or WARMLINE_TOKEN).")]
Conversation = Annotated[str, typer.Argument(help="Conversation id (cv_...).")]


def call(method: str, url: str, token: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    if method != "GET":
        headers["Idempotency-Key"] = str(uuid.uuid4())
    try:
        response = httpx.request(method, f"{url.rstrip('/')}{path}", json=body, headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        err.print(f"[red]error:[/red] cannot reach {url}: {exc}")
        raise typer.Exit(2) from exc
    if response.status_code == 204:
        return {}
    data = response.json()
    if response.status_code >= 400:
        error = data.get("error", {})
        err.print(f"[red]error[/red] ({error.get('code', response.status_code)}): {error.get('message', '')}")
        raise typer.Exit(2)
    return data


def report(data: dict[str, Any]) -> None:
    state = data.get("state", {})
    types = ", ".join(e["type"] for e in data.get("events", []))
    console.print(f"{state.get('id', '')}: {state.get('status', '')} (team {state.get('team')}) — {types}")


@agent_app.command("queues")
def queues(url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Every team's queue with waiting counts and agents online."""
    table = Table("team", "waiting", "longest wait (s)", "agents online", "free capacity")
    for queue in call("GET", url, token, "/v1/queues")["queues"]:
        table.add_row(
            queue["team"],
            str(queue["waiting"]),
            str(queue["longest_wait_s"]),
            str(queue["agents_online"]),
            str(queue["free_capacity"]),
        )
    console.print(table)


@agent_app.command("next")
def claim_next(
    team: Annotated[str, typer.Argument(help="Your team.")], url: Url = "http://127.0.0.1:8000", token: Token = ""
) -> None:
    """Claim the most urgent conversation waiting in TEAM."""
    data = call("POST", url, token, f"/v1/queues/{team}/next")
    report(data) if data else console.print("the queue is empty")


@agent_app.command("claim")
def claim(conversation: Conversation, url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Claim a waiting conversation (exactly one of racing agents wins)."""
    report(call("POST", url, token, f"/v1/conversations/{conversation}/claim"))


@agent_app.command("payload")
def payload(conversation: Conversation, url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Print the newest handoff payload as JSON."""
    print(
        json.dumps(
            call("GET", url, token, f"/v1/conversations/{conversation}/payload")["payload"],
            indent=2,
            ensure_ascii=False,
        )
    )


@agent_app.command("say")
def say(
    conversation: Conversation,
    text: Annotated[str, typer.Argument(help="What to send the customer.")],
    draft: Annotated[str | None, typer.Option(help="The payload draft id, when sending (an edit of) it.")] = None,
    url: Url = "http://127.0.0.1:8000",
    token: Token = "",
) -> None:
    """Send a message to the customer."""
    report(
        call("POST", url, token, f"/v1/conversations/{conversation}/agent-messages", {"text": text, "draft_id": draft})
    )


@agent_app.command("note")
def note(conversation: Conversation, text: str, url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Add an internal note (never shown to the customer)."""
    report(call("POST", url, token, f"/v1/conversations/{conversation}/notes", {"text": text}))


@agent_app.command("transfer")
def transfer(
    conversation: Conversation,
    team: Annotated[str, typer.Argument(help="The team to transfer to.")],
    reason: Annotated[str, typer.Option(help="Why, for the next agent and the routing report.")],
    url: Url = "http://127.0.0.1:8000",
    token: Token = "",
) -> None:
    """Move the conversation to another team's queue."""
    report(call("POST", url, token, f"/v1/conversations/{conversation}/transfer", {"team": team, "reason": reason}))


@agent_app.command("release")
def release(
    conversation: Conversation, reason: str = "", url: Url = "http://127.0.0.1:8000", token: Token = ""
) -> None:
    """Put the conversation back in its queue."""
    report(call("POST", url, token, f"/v1/conversations/{conversation}/release", {"reason": reason}))


@agent_app.command("resolve")
def resolve(conversation: Conversation, url: Url = "http://127.0.0.1:8000", token: Token = "") -> None:
    """Close the conversation as resolved."""
    report(call("POST", url, token, f"/v1/conversations/{conversation}/resolve", {}))


@agent_app.command("handback")
def handback(
    conversation: Conversation,
    note: Annotated[str, typer.Option(help="What you did, for the bot and the next agent.")],
    url: Url = "http://127.0.0.1:8000",
    token: Token = "",
) -> None:
    """Hand the conversation back to the bot with a note."""
    report(call("POST", url, token, f"/v1/conversations/{conversation}/handback", {"note": note}))


@agent_app.command("presence")
def presence(
    state: Annotated[str, typer.Argument(help="online, away or offline.")],
    url: Url = "http://127.0.0.1:8000",
    token: Token = "",
) -> None:
    """Set your presence: online, away or offline."""
    call("PUT", url, token, "/v1/agents/me/presence", {"presence": state})
    console.print(f"presence: {state}")
