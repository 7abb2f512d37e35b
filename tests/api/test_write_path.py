"""The async API's write path on SQLite: writes of one loop turn are committed as a group, and a
database writer held elsewhere sends them to the writer thread instead of blocking the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from warmline.conversation.state import fold


async def start(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    data = (await client.post("/v1/conversations", json={})).json()
    return data["conversation_id"], {"Authorization": f"Bearer {data['customer_token']}"}


def test_concurrent_messages_each_get_their_own_answer_and_sequence(live_server) -> None:
    svc = live_server.services

    async def run() -> tuple[list[str], list[httpx.Response]]:
        async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as client:
            chats = [await start(client) for _ in range(4)]
            posts = [
                client.post(f"/v1/conversations/{cid}/messages", json={"text": f"message {n}"}, headers=auth)
                for n in range(48)
                for cid, auth in [chats[n % len(chats)]]
            ]
            return [cid for cid, _ in chats], list(await asyncio.gather(*posts))

    conversation_ids, responses = asyncio.run(run())
    assert {r.status_code for r in responses} == {201}
    for response in responses:
        message, reply = response.json()["events"]
        assert message["type"] == "customer_message" and reply["type"] == "bot_message"
        assert reply["seq"] == message["seq"] + 1
    for cid in conversation_ids:
        records = svc.store.load_events(cid)
        assert [r.seq for r in records] == list(range(1, 1 + 1 + 2 * 12))
        assert svc.store.load_state(cid) == fold(records)
    answered = {(r.json()["events"][0]["seq"], r.json()["state"]["id"]) for r in responses}
    assert len(answered) == len(responses)  # no two requests were given the same event


def test_a_writer_held_elsewhere_neither_blocks_the_loop_nor_loses_the_write(live_server) -> None:
    svc = live_server.services
    other = sqlite3.connect(svc.store.engine.url.database, isolation_level=None, check_same_thread=False)
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        started = client.post("/v1/conversations", json={}).json()
        auth = {"Authorization": f"Bearer {started['customer_token']}"}
        path = f"/v1/conversations/{started['conversation_id']}/messages"
        other.execute("BEGIN IMMEDIATE")  # another process is writing
        answers: list[httpx.Response] = []
        posting = threading.Thread(target=lambda: answers.append(client.post(path, json={"text": "hi"}, headers=auth)))
        posting.start()
        time.sleep(0.3)
        assert not answers  # the write waits for the database ...
        began = time.monotonic()
        assert client.get("/v1/noop").status_code == 200  # ... but not on the event loop
        assert time.monotonic() - began < 1
        other.execute("COMMIT")
        posting.join(10)
    other.close()
    assert answers[0].status_code == 201
    assert [e["type"] for e in answers[0].json()["events"]] == ["customer_message", "bot_message"]


def test_a_writer_held_by_a_thread_of_the_process_is_awaited_on_the_loop(live_server) -> None:
    """A thread (a checkpoint, a desk webhook) holds the writer for milliseconds: the loop waits
    for it without blocking, and the write still runs on the loop, not on the writer thread."""
    svc = live_server.services
    handed_to_thread: list[object] = []

    class Recording(ThreadPoolExecutor):
        def submit(self, *args, **kwargs):
            handed_to_thread.append(args[0])
            return super().submit(*args, **kwargs)

    svc.writers = Recording(1)
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        started = client.post("/v1/conversations", json={}).json()
        auth = {"Authorization": f"Bearer {started['customer_token']}"}
        path = f"/v1/conversations/{started['conversation_id']}/messages"
        held, release = threading.Event(), threading.Event()

        def hold_the_writer() -> None:
            with svc.store.write(started["conversation_id"]):
                held.set()
                release.wait(5)

        holder = threading.Thread(target=hold_the_writer)
        holder.start()
        assert held.wait(5)
        answers: list[httpx.Response] = []
        posting = threading.Thread(target=lambda: answers.append(client.post(path, json={"text": "hi"}, headers=auth)))
        posting.start()
        time.sleep(0.3)
        assert not answers
        began = time.monotonic()
        assert client.get("/v1/noop").status_code == 200
        # A blocked loop would answer only when the holder gives up (5 s); 3 s leaves room for a
        # loaded machine without letting a blocked loop pass.
        assert time.monotonic() - began < 3
        release.set()
        holder.join(5)
        posting.join(10)
    assert answers[0].status_code == 201
    assert handed_to_thread == []
