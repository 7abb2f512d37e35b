"""``warmline chat``: a customer session in the terminal against a running service.

Replies to your own messages come back in the POST answer; anything else (an agent joining,
agent messages, the assistant coming back) arrives over the conversation's SSE stream, which a
background thread follows and resumes with Last-Event-ID if the connection drops.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import httpx
from rich.console import Console

SPEAKERS = {"bot_message": "[cyan]assistant[/cyan]", "agent_message": "[green]agent[/green]"}
NOTICES = {
    "escalated": "[yellow]· connecting you with a person…[/yellow]",
    "claimed": "[green]· a person has joined the conversation[/green]",
    "handed_back": "[cyan]· the assistant is back[/cyan]",
    "closed": "[dim]· the conversation is closed[/dim]",
}


class Transcript:
    """Prints each event once, whether it came from the POST answer or the stream."""

    def __init__(self, console: Console):
        self.console = console
        self.seen: set[int] = set()
        self.lock = threading.Lock()

    def show(self, event: dict) -> None:
        with self.lock:
            if event["seq"] in self.seen:
                return
            self.seen.add(event["seq"])
            if event["type"] in SPEAKERS:
                self.console.print(f"{SPEAKERS[event['type']]}: {event['body'].get('text', '')}", markup=True)
            elif event["type"] in NOTICES:
                self.console.print(NOTICES[event["type"]])


def follow(url: str, conversation_id: str, token: str, transcript: Transcript, stop: threading.Event) -> None:
    last = "0"
    while not stop.is_set():
        try:
            headers = {"Authorization": f"Bearer {token}", "Last-Event-ID": last}
            with httpx.stream(
                "GET", f"{url}/v1/conversations/{conversation_id}/stream", headers=headers, timeout=None
            ) as r:
                event_id = None
                for line in r.iter_lines():
                    if stop.is_set():
                        return
                    if line.startswith("id: "):
                        event_id = line[4:]
                    elif line.startswith("data: ") and event_id:
                        transcript.show(json.loads(line[6:]))
                        last = event_id
        except httpx.HTTPError:
            time.sleep(1.0)


def run_chat(url: str, name: str | None, account: str | None, console: Console) -> int:
    url = url.rstrip("/")
    try:
        started = httpx.post(
            f"{url}/v1/conversations",
            json={"channel": "cli", "customer_name": name, "account_id": account},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            timeout=10,
        )
    except httpx.HTTPError as exc:
        console.print(f"[red]cannot reach {url}: {exc}[/red]")
        return 2
    if started.status_code != 201:
        console.print(f"[red]{started.json()['error']['message']}[/red]")
        return 2
    data = started.json()
    conversation_id, token = data["conversation_id"], data["customer_token"]
    transcript = Transcript(console)
    for event in data["events"]:
        transcript.seen.add(event["seq"])
    stop = threading.Event()
    threading.Thread(target=follow, args=(url, conversation_id, token, transcript, stop), daemon=True).start()
    console.print(f"[dim]conversation {conversation_id} — type a message, Ctrl-D to leave[/dim]")
    headers = {"Authorization": f"Bearer {token}"}
    try:
        while True:
            try:
                text = console.input("[bold]you[/bold]: ")
            except (EOFError, KeyboardInterrupt):
                break
            if not text.strip():
                continue
            answer = httpx.post(
                f"{url}/v1/conversations/{conversation_id}/messages",
                json={"text": text},
                headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                timeout=30,
            )
            if answer.status_code >= 400:
                console.print(f"[red]{answer.json()['error']['message']}[/red]")
                continue
            for event in answer.json()["events"]:
                transcript.show(event)
    finally:
        stop.set()
    return 0
