"""The ``warmline`` command as a user types it."""

from __future__ import annotations

import sqlalchemy as sa
from typer.testing import CliRunner

from warmline.cli import app

runner = CliRunner()


def test_db_upgrade_and_token_create(sqlite_url, monkeypatch) -> None:
    monkeypatch.setenv("WARMLINE_DATABASE_URL", sqlite_url)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = sa.create_engine(sqlite_url)
    assert "events" in sa.inspect(engine).get_table_names()
    result = runner.invoke(app, ["token", "create", "--role", "agent", "--name", "Kim", "--team", "billing"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("wls_")
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from staff")).scalar_one() == 1


def test_token_create_refuses_an_unknown_role(sqlite_url, monkeypatch) -> None:
    monkeypatch.setenv("WARMLINE_DATABASE_URL", sqlite_url)
    result = runner.invoke(app, ["token", "create", "--role", "wizard"])
    assert result.exit_code == 2
    assert "invalid_role" in result.output
    result = runner.invoke(app, ["token", "create", "--role", "agent", "--team", "Bad Team"])
    assert result.exit_code == 2 and "invalid_team" in result.output
    # A misspelt team: the agent would wait for conversations the router never sends there.
    result = runner.invoke(app, ["token", "create", "--role", "agent", "--team", "biling"])
    assert result.exit_code == 2 and "unknown_team" in result.output and "biling" in result.output
    with sa.create_engine(sqlite_url).connect() as connection:
        assert connection.execute(sa.text("select count(*) from staff")).scalar_one() == 0


def test_bad_settings_are_a_clear_error(monkeypatch) -> None:
    monkeypatch.setenv("WARMLINE_DATABASE_URL", "mysql://nope")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "invalid settings" in result.output


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "chat", "db", "token", "eval", "bench", "policy"):
        assert command in result.output


def test_terminal_chat_against_a_live_server(live_server) -> None:
    result = runner.invoke(app, ["chat", "--url", live_server.url, "--name", "Zoë"], input="hello there\n")
    assert result.exit_code == 0, result.output
    assert "assistant:" in result.output and "Placeholder reply" in result.output
    states = live_server.services.store.list_states()
    assert states[0].customer_name == "Zoë" and states[0].customer_messages == 1


def test_terminal_chat_without_a_server() -> None:
    result = runner.invoke(app, ["chat", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 2 and "cannot reach" in result.output
