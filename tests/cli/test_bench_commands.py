"""``warmline bench api`` and ``bench contention``: short runs against a real server subprocess, keys as
specified."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from warmline.cli import app

runner = CliRunner()


def test_bench_api_measures_messages_and_noops_against_a_live_server(tmp_path) -> None:
    database = f"sqlite:///{tmp_path / 'bench.db'}"
    result = runner.invoke(
        app, ["bench", "api", "--json", "--seconds", "1", "--clients", "2", "--database-url", database]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    for key in ("throughput_rps", "p50_ms", "p99_ms", "noop_throughput_rps", "noop_p99_ms", "ratio"):
        assert figures[key] > 0, key
    assert abs(figures["ratio"] - figures["throughput_rps"] / figures["noop_throughput_rps"]) < 0.002
    assert figures["requests"] >= 2  # every one answered 201 with the bot's reply, or the bench fails


def test_bench_api_refuses_an_unknown_model() -> None:
    result = runner.invoke(app, ["bench", "api", "--model", "gpt"])
    assert result.exit_code == 2 and "invalid_model" in result.output


def test_bench_contention_posts_to_one_conversation_and_to_one_each(tmp_path) -> None:
    database = f"sqlite:///{tmp_path / 'bench.db'}"
    result = runner.invoke(
        app,
        ["bench", "contention", "--json", "--seconds", "1", "--clients", "2", "--model", "placeholder"]
        + ["--per-conversation", "5", "--database-url", database],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["messages_per_conversation"] == 5
    for layout in ("one_conversation", "own_conversations"):
        for key in ("messages", "throughput_rps", "p50_ms", "p99_ms", "noop_p99_ms"):
            assert figures[layout][key] > 0, (layout, key)
