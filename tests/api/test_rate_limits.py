"""Rate limits: bursts of anonymous starts, token guessing and one token's flood get 429 with
Retry-After; counters are shared across instances through real Redis; an unreachable Redis
never fails a request."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import REDIS_URL, free_port, make_services, require_service
from warmline.app import create_app
from warmline.conversation.actions import Services


def address() -> tuple[str, int]:
    """A client address of its own per test: counters in Redis outlive a test."""
    return (f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}", 40000)


@pytest.fixture
def limited(sqlite_url) -> Iterator[Services]:  # type: ignore[no-untyped-def]
    svc = make_services(
        sqlite_url,
        rate_limit_enabled=True,
        # Per minute, so that a slow machine cannot spread the burst over several windows.
        rate_limit_start="20/minute",
        rate_limit_auth_failures="20/minute",
        rate_limit_token="5/minute",
    )
    yield svc
    svc.close()


def refused(response) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code != 429:
        return False
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1
    return True


def test_a_burst_of_anonymous_starts_is_refused(limited) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(limited.settings, services=limited), client=address()) as client:
        answers = [client.post("/v1/conversations", json={}) for _ in range(300)]
    started = [a for a in answers if a.status_code == 201]
    # As for token guessing: a burst that crosses a minute boundary may get one more start through.
    assert [a.status_code for a in answers[:20]] == [201] * 20 and len(started) <= 21
    assert sum(refused(a) for a in answers) == 300 - len(started)
    assert len(limited.store.conversation_ids()) == len(started)  # a refused start stored nothing


def test_token_guessing_is_slowed_down(limited) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(limited.settings, services=limited), client=address()) as client:
        answers = [
            client.get("/v1/me", headers={"Authorization": f"Bearer wls_{secrets.token_urlsafe(32)}"})
            for _ in range(300)
        ]
    assert [a.status_code for a in answers[:20]] == [401] * 20
    # The sliding-window counter weighs the previous minute by how much of it is left, so a run
    # that crosses a minute boundary lets at most one more guess through (20/minute over ~1 s).
    guesses = sum(a.status_code == 401 for a in answers)
    assert guesses <= 21
    assert sum(refused(a) for a in answers[20:]) == 300 - guesses


def test_one_token_cannot_flood(limited) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(limited.settings, services=limited), client=address()) as client:
        started = client.post("/v1/conversations", json={}).json()
        auth = {"Authorization": f"Bearer {started['customer_token']}"}
        path = f"/v1/conversations/{started['conversation_id']}/messages"
        answers = [client.post(path, json={"text": f"hello {i}"}, headers=auth) for i in range(20)]
        assert [a.status_code for a in answers[:5]] == [201] * 5
        assert all(refused(a) for a in answers[5:])
        texts = [
            e.event.text for e in limited.store.load_events(started["conversation_id"]) if e.type == "customer_message"
        ]  # type: ignore[attr-defined]
        assert len(texts) == 5
        # Another customer from the same address is not held back by that token's limit.
        other = client.post("/v1/conversations", json={}).json()
        answer = client.post(
            f"/v1/conversations/{other['conversation_id']}/messages",
            json={"text": "hi"},
            headers={"Authorization": f"Bearer {other['customer_token']}"},
        )
        assert answer.status_code == 201


def test_instances_share_counters_through_redis(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    require_service("Redis", "127.0.0.1", 6379)
    instances = [
        make_services(sqlite_url, rate_limit_enabled=True, rate_limit_start="10/minute", rate_limit_url=REDIS_URL)
        for _ in range(2)
    ]
    client_address = address()
    try:
        codes = []
        for svc in instances:
            with TestClient(create_app(svc.settings, services=svc), client=client_address) as client:
                codes += [client.post("/v1/conversations", json={}).status_code for _ in range(6)]
        assert codes.count(201) == 10 and codes.count(429) == 2
    finally:
        for svc in instances:
            svc.close()


def test_an_unreachable_limit_store_fails_open(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    svc = make_services(sqlite_url, rate_limit_enabled=True, rate_limit_url=f"redis://127.0.0.1:{free_port()}/0")
    try:
        with TestClient(create_app(svc.settings, services=svc), client=address()) as client:
            assert all(client.post("/v1/conversations", json={}).status_code == 201 for _ in range(5))
    finally:
        svc.close()


def test_unsafe_limits_are_a_configuration_error(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="not a rate limit"):
        make_services(sqlite_url, rate_limit_start="lots")
