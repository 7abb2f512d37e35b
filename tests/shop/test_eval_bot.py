"""``warmline eval bot``: the matching rule and the command's JSON keys."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warmline.cli import app
from warmline.evaluation.bot import contains


@pytest.mark.parametrize(
    ("reply", "form", "found"),
    [
        ("Your refund was sent on Dec 1.", "Dec 1", True),
        ("It ships on Dec 15.", "Dec 1", False),
        ("Standard shipping is $5.99.", "$5.99", True),
        ("A fee of $5.995 applies", "$5.99", False),
        ("delivery in 5 – 7 business days", "5-7 business days", True),
        ("FREE   Express shipping", "free express", True),
        ("freely", "free", False),
        ("$1,500 a year", "1,500", True),
    ],
)
def test_a_form_matches_only_as_a_whole(reply: str, form: str, found: bool) -> None:
    assert contains(reply, form) is found


def test_eval_bot_reports_the_issue_keys(tmp_path: Path) -> None:
    data = tmp_path / "cases.jsonl"
    cases = [
        {
            "id": "c1",
            "turns": ["how much is express shipping?"],
            "expect": "answered",
            "answer_contains": [["$14.99"]],
            "kind": "policy",
            "customer_id": None,
        },
        {
            "id": "c2",
            "turns": ["Aisha Patel, aisha.patel@example.com: my store credit balance?"],
            "expect": "answered",
            "answer_contains": [["$89.61"]],
            "kind": "account",
            "customer_id": "cu_1013",
        },
        {
            "id": "c3",
            "turns": ["I want a human"],
            "expect": "answered",
            "answer_contains": [["never said"]],
            "kind": "policy",
            "customer_id": None,
        },
    ]
    data.write_text("\n".join(json.dumps(c) for c in cases) + "\n")
    result = CliRunner().invoke(app, ["eval", "bot", "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert set(figures) == {
        "n",
        "answer_rate",
        "by_kind",
        "escalation_rate",
        "repeated_reply_rate",
        "reply_words_p90",
        "p99_turn_ms",
        "errors",
    }
    assert figures["n"] == 3
    assert figures["by_kind"]["account"] == {"n": 1, "answer_rate": 1.0}
    assert figures["by_kind"]["policy"] == {"n": 2, "answer_rate": 0.5}
    assert figures["escalation_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert [e["id"] for e in figures["errors"]] == ["c3"]


def test_each_case_meets_the_demo_store_as_loaded(tmp_path: Path) -> None:
    """A cancellation in one case is not the next case's: both find order AB42288 processing."""
    cancel = ["please cancel my order", "Grace Liu, grace.liu@example.com", "yes"]
    case = {"expect": "answered", "kind": "account", "customer_id": "cu_1009"}
    cases = [
        {**case, "id": "first", "turns": cancel, "answer_contains": [["is cancelled"]]},
        {**case, "id": "again", "turns": cancel, "answer_contains": [["is cancelled"]]},
    ]
    data = tmp_path / "cases.jsonl"
    data.write_text("\n".join(json.dumps(c) for c in cases) + "\n")
    result = CliRunner().invoke(app, ["eval", "bot", "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answer_rate"] == 1.0


def test_eval_bot_refuses_a_malformed_case(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps({"id": "x", "turns": ["hi"], "answer_contains": "30 days"}) + "\n")
    result = CliRunner().invoke(app, ["eval", "bot", "--data", str(data), "--json"])
    assert result.exit_code == 2
    assert "invalid_data" in result.output


def _gate_files(tmp_path: Path, floor: float) -> tuple[Path, Path]:
    shared = tmp_path / "shared"
    (shared / "bot").mkdir(parents=True)
    case = {
        "id": "c1",
        "turns": ["how much is express shipping?"],
        "expect": "answered",
        "answer_contains": [["$14.99"]],
        "kind": "policy",
        "customer_id": None,
    }
    (shared / "bot" / "cases.jsonl").write_text(json.dumps(case) + "\n")
    floors = tmp_path / "floors.json"
    runs = {
        "bot": {"eval": "bot", "data": "bot/cases.jsonl", "min": {"answer_rate": floor}, "max": {"reply_words_p90": 80}}
    }
    floors.write_text(json.dumps({"runs": runs}))
    return floors, shared


def test_the_gate_passes_at_its_floors_and_fails_below_them(tmp_path: Path) -> None:
    floors, shared = _gate_files(tmp_path, 1.0)
    passed = CliRunner().invoke(app, ["eval", "gate", "--floors", str(floors), "--shared", str(shared), "--json"])
    assert passed.exit_code == 0, passed.output
    assert json.loads(passed.stdout)["passed"] is True
    floors.write_text(floors.read_text().replace('"reply_words_p90": 80', '"reply_words_p90": 2'))
    failed = CliRunner().invoke(app, ["eval", "gate", "--floors", str(floors), "--shared", str(shared), "--json"])
    assert failed.exit_code == 1
    checks = {c["figure"]: c["passed"] for c in json.loads(failed.stdout)["checks"]}
    assert checks == {"answer_rate": True, "reply_words_p90": False}


def test_the_gate_skips_loudly_without_the_shared_data(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "gate", "--shared", str(tmp_path / "absent")])
    assert result.exit_code == 0 and "skipped" in result.output


def test_the_checked_in_floors_name_known_evaluations() -> None:
    from warmline.evaluation.gate import read_floors

    runs = read_floors(Path(__file__).parents[2] / "eval" / "floors.json")
    assert {r["eval"] for r in runs.values()} == {"bot", "escalation", "conversations", "handoff"}


def test_the_evaluation_harness_keeps_its_startup_objects_out_of_garbage_collections() -> None:
    # A full collection walking the model's and the help center's objects paused a turn for 25-100 ms.
    from warmline.evaluation.harness import Harness

    with Harness() as harness:
        harness.converse(["hello"])
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0
