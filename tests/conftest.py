"""Fixtures shared by the whole suite: a fresh database per test on SQLite and PostgreSQL, the
app wired to it, and a live server on loopback for streams and browsers."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient

from warmline.app import build_services, create_app
from warmline.bot import Bot, PlaceholderBot
from warmline.bus.memory import MemoryBus
from warmline.config import Settings
from warmline.conversation.actions import Services
from warmline.staffing import do_create_staff

POSTGRES_URL = os.environ.get("WARMLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("WARMLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# CI sets this so that a missing PostgreSQL or Redis fails the run instead of skipping tests.
REQUIRE_SERVICES = os.environ.get("WARMLINE_REQUIRE_SERVICES") == "1"

_reachable: dict[str, bool] = {}


def require_service(name: str, host: str, port: int) -> None:
    """Skip (loudly) when a scale-out service is down on a developer machine; fail in CI."""
    if name not in _reachable:
        try:
            socket.create_connection((host, port), timeout=1).close()
            _reachable[name] = True
        except OSError:
            _reachable[name] = False
    if not _reachable[name]:
        message = f"{name} at {host}:{port} is NOT reachable: its tests are skipped"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        print(f"\n!!! {message} !!!")
        pytest.skip(message)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'warmline.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    schema = "t_" + secrets.token_hex(6)
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request) -> str:
    """Parametrizes a test over both supported databases."""
    return request.getfixturevalue(f"{request.param}_url")


def make_services(url: str, bot: Bot | None = None, **settings: object) -> Services:
    config = Settings(database_url=url, environment="test", **settings)  # type: ignore[arg-type]
    return build_services(config, bot=bot or PlaceholderBot(), bus=MemoryBus())


@pytest.fixture
def services(sqlite_url) -> Iterator[Services]:
    svc = make_services(sqlite_url)
    yield svc
    svc.close()


@pytest.fixture
def client(services) -> Iterator[TestClient]:
    with TestClient(create_app(services.settings, services=services)) as test_client:
        yield test_client


@dataclass
class Chat:
    """A customer's conversation, for tests."""

    client: TestClient
    id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def say(self, text: str, **headers: str):
        return self.client.post(
            f"/v1/conversations/{self.id}/messages", json={"text": text}, headers={**self.auth, **headers}
        )


def start_chat(client: TestClient, **body: object) -> Chat:
    response = client.post("/v1/conversations", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return Chat(client, data["conversation_id"], data["customer_token"])


def staff_token(svc: Services, role: str = "agent", teams: list[str] | None = None) -> dict[str, str]:
    created = do_create_staff(svc.store, f"Test {role}", role, teams or ["billing"])
    return {"Authorization": f"Bearer {created['token']}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The real app under uvicorn on loopback, in a thread; can be stopped and started again."""

    def __init__(self, services: Services, port: int | None = None, *, access_log: bool = False):
        self.services = services
        self.port = port or free_port()
        self.access_log = access_log
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> LiveServer:
        app = create_app(self.services.settings, services=self.services)
        level = "info" if self.access_log else "warning"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level=level, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("live server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._server.force_exit = True
            self._thread.join(timeout=10)


@pytest.fixture
def live_server(services) -> Iterator[LiveServer]:
    server = LiveServer(services).start()
    yield server
    server.stop()
