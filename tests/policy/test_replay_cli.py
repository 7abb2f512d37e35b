from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from tests.policy.test_engine import DEMO, make_analysis
from warmline.cli import app
from warmline.conversation.events import (
    BOT,
    CUSTOMER,
    SYSTEM,
    BotMessage,
    ConversationStarted,
    CustomerMessage,
    PolicyDecided,
    TurnAnalysed,
)
from warmline.policy import decide, load_policy
from warmline.policy.inputs import conversation_inputs
from warmline.policy.replay import replay

NOW = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)


def record_turn(store, cid: str, text: str, analysis_overrides: dict, policy) -> None:
    with store.write(cid) as writer:
        message = writer.append(CUSTOMER, CustomerMessage(text=text))
        analysis = make_analysis(message_seq=message.seq, **analysis_overrides)
        writer.append(SYSTEM, TurnAnalysed(message_seq=message.seq, analysis=analysis.model_dump(mode="json")))
        history = [*store.load_events(cid), *writer.pending]
        inputs = conversation_inputs(
            history, analysis, "general", {"general": {"agents_online": 1, "free_capacity": 1}}
        )
        decision = decide(policy, inputs, NOW)
        writer.append(SYSTEM, PolicyDecided(message_seq=message.seq, decision=decision.model_dump(mode="json")))
        if decision.outcome == "continue":
            writer.append(BOT, BotMessage(text=analysis.reply, in_reply_to=message.seq))


def seed(services) -> list[str]:
    policy = load_policy(DEMO)
    store = services.store
    ids = []
    for i, turns in enumerate(
        [
            [("where is my order", {}), ("agent please", {"human_request": 0.95})],
            [("where is my order", {}), ("this is useless", {"frustration": 0.7})],
        ]
    ):
        cid = f"c_policy_{i}"
        store.create(cid, CUSTOMER, ConversationStarted())
        for text, overrides in turns:
            record_turn(store, cid, text, overrides, policy)
        ids.append(cid)
    return ids


def test_replay_reports_differences_and_changes_nothing(services, tmp_path: Path) -> None:
    ids = seed(services)
    before = [len(services.store.load_events(c)) for c in ids]
    stricter = tmp_path / "policy.yaml"
    stricter.write_text(
        DEMO.read_text().replace(
            "threshold: 0.6 # analysis.frustration: calibrated probability, read over the conversation",
            "threshold: 0.9",
        )
    )
    result = replay(services.store, load_policy(stricter))
    assert result["conversations"] == 2 and result["decisions"] == 4
    assert result["escalation_rate_before"] == 1.0 and result["escalation_rate_after"] == 0.5
    assert [(d["conversation_id"], d["before"]["trigger"], d["after"]["outcome"]) for d in result["differences"]] == [
        (ids[1], "frustration", "continue")
    ]
    assert [len(services.store.load_events(c)) for c in ids] == before
    same = replay(services.store, load_policy(DEMO))
    assert same["differing"] == 0


def test_inputs_count_from_the_event_log(services) -> None:
    seed(services)
    events = services.store.load_events("c_policy_0")
    decided = [e for e in events if e.type == "policy_decided"]
    second = decided[1].event.decision.inputs
    assert second["customer_turns"] == 2 and second["bot_replies"] == 1 and second["turns_since_handback"] is None


def test_cli(services, tmp_path: Path, monkeypatch) -> None:
    ids = seed(services)
    monkeypatch.setenv("WARMLINE_DATABASE_URL", services.settings.database_url)
    runner = CliRunner()
    checked = runner.invoke(app, ["policy", "check", str(DEMO), "--json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["version"] == load_policy(DEMO).version
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 2\n")
    failed = runner.invoke(app, ["policy", "check", str(bad)])
    assert failed.exit_code == 2 and "invalid_policy" in failed.output and f"{bad}:1" in failed.output
    explained = runner.invoke(app, ["policy", "explain", ids[0], "--json"])
    assert explained.exit_code == 0, explained.output
    rows = json.loads(explained.stdout)["decisions"]
    assert [(r["turn"], r["outcome"], r["rule"]) for r in rows] == [
        (1, "continue", None),
        (2, "escalate", "human_request"),
    ]
    missing = runner.invoke(app, ["policy", "explain", "c_nope"])
    assert missing.exit_code == 2 and "conversation_not_found" in missing.output
    replayed = runner.invoke(app, ["policy", "replay", "--policy", str(DEMO), "--since", "2000-01-01", "--json"])
    assert replayed.exit_code == 0, replayed.output
    assert json.loads(replayed.stdout)["differing"] == 0
    bad_date = runner.invoke(app, ["policy", "replay", "--policy", str(DEMO), "--since", "yesterday"])
    assert bad_date.exit_code == 2 and "invalid_date" in bad_date.output
