"""A server killed (SIGKILL) while clients post loses no acknowledged message and duplicates none;
after the restart, retries with the same Idempotency-Key append only what was never stored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.conftest import free_port

CLIENTS = 6
MESSAGES = 30  # per client, each to its own conversation
KILL_AFTER = 60  # acknowledged messages


def serve(database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "WARMLINE_DATABASE_URL": database_url, "WARMLINE_MODEL": "placeholder"}
    for name in ("IP", "TOKEN", "START"):
        env[f"WARMLINE_RATE_LIMIT_{name}"] = "1000000/second"
    command = [sys.executable, "-m", "warmline", "serve", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):  # up to 60 s: the first start migrates the database
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        assert server.poll() is None, "the server exited"
        threading.Event().wait(0.1)
    server.kill()
    raise AssertionError("the server did not become ready")


def test_a_killed_server_loses_no_acknowledged_message_and_duplicates_none(database_url) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = serve(database_url, port)
    try:
        chats = []
        for _ in range(CLIENTS):
            started = httpx.post(f"{url}/v1/conversations", json={}).json()
            chats.append((started["conversation_id"], {"Authorization": f"Bearer {started['customer_token']}"}))
        acknowledged: set[str] = set()
        lock = threading.Lock()
        enough = threading.Event()

        def post_all(client: int) -> None:
            cid, auth = chats[client]
            with httpx.Client(base_url=url, timeout=10) as http:
                for n in range(MESSAGES):
                    key = f"m-{client}-{n}"
                    try:
                        answer = http.post(
                            f"/v1/conversations/{cid}/messages",
                            json={"text": key},
                            headers={**auth, "Idempotency-Key": key},
                        )
                    except httpx.HTTPError:
                        return  # the server is gone
                    if answer.status_code == 201:
                        with lock:
                            acknowledged.add(key)
                            if len(acknowledged) >= KILL_AFTER:
                                enough.set()

        with ThreadPoolExecutor(CLIENTS) as pool:
            running = [pool.submit(post_all, c) for c in range(CLIENTS)]
            assert enough.wait(120), "the clients never got enough answers"
            os.kill(server.pid, signal.SIGKILL)
            server.wait(10)
            for future in running:
                future.result()
        assert len(acknowledged) < CLIENTS * MESSAGES  # killed mid-run

        server = serve(database_url, port)

        def stored(client: int) -> list[str]:
            cid, auth = chats[client]
            events = httpx.get(f"{url}/v1/conversations/{cid}/events", params={"limit": 1000}, headers=auth)
            assert events.status_code == 200, events.text
            return [e["body"]["text"] for e in events.json()["events"] if e["type"] == "customer_message"]

        after_crash = [text for c in range(CLIENTS) for text in stored(c)]
        assert acknowledged <= set(after_crash)  # nothing acknowledged was lost
        assert len(after_crash) == len(set(after_crash))  # nothing twice

        # Every client retries everything with its keys: what was stored is replayed, not appended.
        with httpx.Client(base_url=url, timeout=10) as http:
            for client in range(CLIENTS):
                cid, auth = chats[client]
                for n in range(MESSAGES):
                    key = f"m-{client}-{n}"
                    answer = http.post(
                        f"/v1/conversations/{cid}/messages",
                        json={"text": key},
                        headers={**auth, "Idempotency-Key": key},
                    )
                    assert answer.status_code in (200, 201), answer.text
        for client in range(CLIENTS):
            assert sorted(stored(client)) == sorted(f"m-{client}-{n}" for n in range(MESSAGES))
    finally:
        server.kill()
        server.wait(10)
