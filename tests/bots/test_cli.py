"""``warmline token create --role bot`` as an operator types it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from warmline.cli import app

runner = CliRunner()


def test_creates_a_bot_with_its_token_and_secret(sqlite_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WARMLINE_DATABASE_URL", sqlite_url)
    result = runner.invoke(
        app,
        ["token", "create", "--role", "bot", "--name", "rasa-prod", "--webhook-url", "https://bot.acme.test/hook"]
        + ["--confidence-threshold", "0.4", "--intent-team", "refund_request=billing"],
    )
    assert result.exit_code == 0, result.output
    lines = dict(line.split("=", 1) for line in result.stdout.strip().splitlines() if "=" in line)
    assert lines["WARMLINE_BOT_TOKEN"].startswith("wls_")
    assert lines["WARMLINE_WEBHOOK_SECRET"].startswith("whsec_")
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        row = connection.execute(sa.text("select * from bot_sources")).mappings().one()
        stored = " ".join(str(v) for v in row.values())
        tokens = connection.execute(sa.text("select token_hash from api_tokens")).scalars().all()
    # Neither the token nor the secret is stored as such.
    assert lines["WARMLINE_WEBHOOK_SECRET"] not in stored and lines["WARMLINE_BOT_TOKEN"] not in tokens
    assert row["webhook_url"] == "https://bot.acme.test/hook" and '"refund_request":"billing"' in row["settings"]
    again = runner.invoke(
        app, ["token", "create", "--role", "bot", "--name", "rasa-prod", "--webhook-url", "https://x.test/"]
    )
    assert again.exit_code == 2 and "source_exists" in again.output


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--name", "Rasa Prod", "--webhook-url", "https://x.test/"], "invalid_source_name"),
        (["--name", "rasa"], "invalid_webhook_url"),
        (["--name", "rasa", "--webhook-url", "ftp://x.test/"], "invalid_webhook_url"),
        (["--name", "rasa", "--webhook-url", "https://user:pw@x.test/"], "invalid_webhook_url"),
        (["--name", "rasa", "--webhook-url", "https://x.test/", "--confidence-threshold", "2"], "invalid_source"),
        (["--name", "rasa", "--webhook-url", "https://x.test/", "--intent-team", "nope"], "invalid_source"),
        (["--name", "rasa", "--webhook-url", "https://x.test/", "--intent-team", "a=Bad Team"], "invalid_source"),
        # A well-formed but unknown team would strand the intent's conversations in a queue nobody works.
        (["--name", "rasa", "--webhook-url", "https://x.test/", "--intent-team", "a=biling"], "unknown team(s) biling"),
    ],
)
def test_bad_input_is_refused_clearly(sqlite_url, monkeypatch, args, code) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WARMLINE_DATABASE_URL", sqlite_url)
    result = runner.invoke(app, ["token", "create", "--role", "bot", *args])
    assert result.exit_code == 2, result.output
    assert code in result.output
    with sa.create_engine(sqlite_url).connect() as connection:  # nothing of a refused bot is kept
        assert (
            not sa.inspect(connection).has_table("bot_sources")
            or not connection.execute(sa.text("select count(*) from bot_sources")).scalar_one()
        )


def test_production_wants_https(sqlite_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("WARMLINE_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("WARMLINE_ENVIRONMENT", "production")
    args = ["token", "create", "--role", "bot", "--name", "rasa", "--webhook-url", "http://bot.test/"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "https" in result.output
