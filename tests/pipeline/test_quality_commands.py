"""The quality gate's commands keep their flags and JSON keys, and measure the real pipeline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warmline.cli import app

# The measurement data sits beside the project (../shared/data), not in it: a clone of the project
# alone skips the tests that read it.
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
ABCD_DEV = SHARED / "abcd_conversations" / "dev"
needs_abcd = pytest.mark.skipif(
    not ABCD_DEV.is_dir(), reason=f"needs the ABCD dev conversations at {ABCD_DEV} (../shared/data beside the project)"
)
runner = CliRunner()


def run_json(*args: str) -> dict:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_eval_escalation_scores_the_first_escalation_of_each_case(tmp_path: Path) -> None:
    data = tmp_path / "cases.jsonl"
    cases = [
        {"id": "a", "turns": ["where is my package?", "let me speak to a human"], "expect": "human_request"},
        {"id": "b", "turns": ["how do I reset my password?"], "expect": "none"},
        {"id": "c", "turns": ["I need help with human resources paperwork for my job"], "expect": "out_of_scope"},
    ]
    data.write_text("\n".join(json.dumps(c) for c in cases))
    result = run_json("eval", "escalation", "--data", str(data))
    assert {"n", "accuracy", "per_category", "false_escalation_rate", "decision_p99_ms"} <= result.keys()
    assert result["n"] == 3
    assert result["per_category"]["human_request"]["recall"] == 1.0
    assert set(result["per_category"]["none"]) == {"precision", "recall", "n"}
    assert 0 < result["decision_p99_ms"] < 50


def test_eval_escalation_refuses_a_missing_or_malformed_file(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["eval", "escalation", "--data", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "data_not_found" in missing.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "turns": "not a list", "expect": "none"}\n')
    refused = runner.invoke(app, ["eval", "escalation", "--data", str(bad)])
    assert refused.exit_code == 2 and "error" in refused.output


@needs_abcd
def test_eval_handoff_on_abcd_conversations(tmp_path: Path) -> None:
    source = sorted(ABCD_DEV.glob("*.json"))[:4]
    for file in source:
        shutil.copy(file, tmp_path / file.name)
    result = run_json("eval", "handoff", "--data", str(tmp_path))
    expected = {
        "n",
        "repeat_context_rate",
        "baseline_repeat_context_rate",
        "fact_recall",
        "summary_words_max",
        "summary_words_mean",
        "team_accuracy",
        "next_action_accuracy",
        "unsupported_fact_rate",
    }
    assert expected <= result.keys()
    assert result["n"] == 4 and result["summary_words_max"] <= 80 and result["unsupported_fact_rate"] == 0


def test_bench_handoff_has_exactly_one_winner_per_contended_claim() -> None:
    result = run_json("bench", "handoff", "--handoffs", "10", "--rounds", "3", "--agents", "4")
    assert {"p50_ms", "p99_ms", "claims_per_s", "contended_claim_winners"} <= result.keys()
    assert result["contended_claim_winners"] == 1 and result["claims"] >= 10
