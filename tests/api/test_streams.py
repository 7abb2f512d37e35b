"""Live streams over a real server: resume with Last-Event-ID with no gap and no duplicate."""

from __future__ import annotations

import json

import httpx

from tests.conftest import staff_token
from warmline.conversation import actions
from warmline.conversation.events import BOT, Escalated


def read_sse(url: str, headers: dict[str, str], count: int, timeout: float = 10.0) -> list[tuple[int, str, dict]]:
    """Read ``count`` events from an SSE endpoint, then disconnect."""
    received: list[tuple[int, str, dict]] = []
    with httpx.stream("GET", url, headers=headers, timeout=timeout) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        event_id, name = None, None
        for line in response.iter_lines():
            if line.startswith("id: "):
                event_id = int(line[4:])
            elif line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                received.append((event_id, name, json.loads(line[6:])))  # type: ignore[arg-type]
                if len(received) == count:
                    break
    return received


def test_conversation_stream_resumes_without_gap_or_duplicate(live_server) -> None:
    svc = live_server.services
    started = actions.do_start_conversation(svc)
    cid, auth = started.conversation_id, {"Authorization": f"Bearer {started.customer_token}"}
    actions.do_post_customer_message(svc, cid, "one")
    url = f"{live_server.url}/v1/conversations/{cid}/stream"
    first = read_sse(url, auth, 3)
    assert [e[0] for e in first] == [1, 2, 3]
    # While disconnected, the conversation moves on.
    actions.do_post_customer_message(svc, cid, "two")
    actions.do_post_customer_message(svc, cid, "three")
    resumed = read_sse(url, {**auth, "Last-Event-ID": str(first[-1][0])}, 4)
    assert [e[0] for e in resumed] == [4, 5, 6, 7]
    assert [e[2]["body"].get("text") for e in resumed if e[1] == "customer_message"] == ["two", "three"]


def test_stream_delivers_live_events_as_they_are_committed(live_server) -> None:
    import threading

    svc = live_server.services
    started = actions.do_start_conversation(svc)
    cid = started.conversation_id
    path = f"/v1/conversations/{cid}/stream"
    auth = {"Authorization": f"Bearer {started.customer_token}"}
    issued = httpx.post(f"{live_server.url}/v1/stream-tickets", json={"path": path}, headers=auth).json()
    url = live_server.url + issued["url"]  # the browser's way: no token in the URL

    def post_later() -> None:
        import time

        time.sleep(0.3)
        for i in range(5):
            actions.do_post_customer_message(svc, cid, f"live {i}")

    threading.Thread(target=post_later).start()
    events = read_sse(url, {}, 11)
    assert [e[0] for e in events] == list(range(1, 12))


def test_stream_access_is_checked(live_server) -> None:
    svc = live_server.services
    mine, other = actions.do_start_conversation(svc), actions.do_start_conversation(svc)
    url = f"{live_server.url}/v1/conversations/{mine.conversation_id}/stream"
    assert httpx.get(url).json()["error"]["code"] == "missing_token"
    wrong = httpx.get(url, headers={"Authorization": f"Bearer {other.customer_token}"})
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "not_your_conversation")
    bad = httpx.get(url, headers={"Authorization": f"Bearer {mine.customer_token}", "Last-Event-ID": "x"})
    assert bad.json()["error"]["code"] == "invalid_last_event_id"
    agent = staff_token(svc)
    missing = httpx.get(f"{live_server.url}/v1/conversations/cv_none/stream", headers=agent)
    assert missing.status_code == 404


def test_inbox_stream_shows_the_agents_teams_and_resumes(live_server) -> None:
    svc = live_server.services
    billing = staff_token(svc, "agent", ["billing"])
    orders = staff_token(svc, "agent", ["orders"])
    url = f"{live_server.url}/v1/inbox/stream"
    for team in ("billing", "orders", "billing"):
        cid = actions.do_start_conversation(svc).conversation_id
        with svc.store.write(cid) as writer:
            writer.append(BOT, Escalated(team=team, trigger="human_request", reason="asked"))
    seen = read_sse(url, billing, 2)
    assert [e[2]["team"] for e in seen] == ["billing", "billing"]
    assert read_sse(url, orders, 1)[0][2]["team"] == "orders"
    cid = actions.do_start_conversation(svc).conversation_id
    with svc.store.write(cid) as writer:
        writer.append(BOT, Escalated(team="billing", trigger="frustration", reason="upset"))
    resumed = read_sse(url, {**billing, "Last-Event-ID": str(seen[-1][0])}, 1)
    assert resumed[0][2]["conversation_id"] == cid
    customer = actions.do_start_conversation(svc).customer_token
    assert httpx.get(url, headers={"Authorization": f"Bearer {customer}"}).status_code == 403


def test_streams_cross_app_instances_through_postgres_and_redis(postgres_url) -> None:
    """Scale-out: a message posted on one instance reaches a stream served by another."""
    from tests.conftest import REDIS_URL, LiveServer, require_service
    from warmline.app import build_services
    from warmline.bot import PlaceholderBot
    from warmline.config import Settings

    require_service("Redis", "127.0.0.1", 6379)
    settings = Settings(database_url=postgres_url, bus_url=REDIS_URL, environment="test")
    one = LiveServer(build_services(settings, bot=PlaceholderBot())).start()
    two = LiveServer(build_services(settings, bot=PlaceholderBot())).start()
    try:
        started = httpx.post(f"{one.url}/v1/conversations", json={}).json()
        auth = {"Authorization": f"Bearer {started['customer_token']}"}
        import threading
        import time

        def post_on_one() -> None:
            time.sleep(0.5)
            httpx.post(
                f"{one.url}/v1/conversations/{started['conversation_id']}/messages", json={"text": "hi"}, headers=auth
            )

        threading.Thread(target=post_on_one).start()
        events = read_sse(f"{two.url}/v1/conversations/{started['conversation_id']}/stream", auth, 3, timeout=5)
        assert [e[1] for e in events] == ["conversation_started", "customer_message", "bot_message"]
    finally:
        one.stop()
        two.stop()
        one.services.close()
        two.services.close()
