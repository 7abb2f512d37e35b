from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warmline.cli import app

runner = CliRunner()
TRAIN = [
    ("where is my package", "track"),
    ("track my order", "track"),
    ("has my parcel shipped", "track"),
    ("where's my delivery", "track"),
    ("I want a refund", "refund"),
    ("give me my money back", "refund"),
    ("refund my purchase please", "refund"),
    ("can I get a refund", "refund"),
    ("what's the weather", "oos"),
    ("tell me a joke", "oos"),
    ("book a flight to rome", "oos"),
]
TEST = [("where is my parcel", "track"), ("I'd like a refund", "refund"), ("play some music", "oos")]


def write(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps({"text": t, "intent": i}) + "\n" for t, i in rows))
    return path


def test_eval_intents_json(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "eval",
            "intents",
            "--train",
            str(write(tmp_path / "train.jsonl", TRAIN)),
            "--test",
            str(write(tmp_path / "test.jsonl", TEST)),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in (
        "n",
        "accuracy",
        "in_scope_accuracy",
        "macro_f1",
        "ece",
        "oos_precision",
        "oos_recall",
        "train_seconds",
        "p99_ms",
    ):
        assert key in data
    assert data["n"] == 3


def test_eval_intents_without_oos_reports_null(tmp_path: Path) -> None:
    rows = [r for r in TRAIN if r[1] != "oos"]
    result = runner.invoke(
        app,
        [
            "eval",
            "intents",
            "--train",
            str(write(tmp_path / "a.jsonl", rows)),
            "--test",
            str(write(tmp_path / "b.jsonl", TEST[:2])),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["oos_recall"] is None


def test_eval_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["eval", "intents", "--train", str(tmp_path / "none.jsonl"), "--test", "x"])
    assert missing.exit_code == 2 and "no such file" in missing.output and "Traceback" not in missing.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "intent": "b"}\nnot json\n')
    result = runner.invoke(app, ["eval", "intents", "--train", str(bad), "--test", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:2" in result.output
    result = runner.invoke(app, ["eval", "conversations", "--data", str(tmp_path / "nope")])
    assert result.exit_code == 2


def test_eval_conversations_on_one_sample(tmp_path: Path) -> None:
    convo = {
        "id": "t1",
        "customer_record": {},
        "turns": [
            {"n": 1, "speaker": "agent", "text": "Hi, how can I help?"},
            {"n": 2, "speaker": "customer", "text": "I lost my phone and can't do the two factor login"},
            {"n": 3, "speaker": "agent", "text": "Sure, your full name?"},
            {"n": 4, "speaker": "customer", "text": "Joseph Banter"},
        ],
        "source_fields": {"flow": "account_access", "subflow": "reset_2fa"},
    }
    (tmp_path / "t1.json").write_text(json.dumps(convo))
    result = runner.invoke(app, ["eval", "conversations", "--data", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["n"] == 1 and data["team_accuracy"] == 1.0 and data["subflow_accuracy"] == 1.0


def test_eval_frustration_default_set() -> None:
    result = runner.invoke(app, ["eval", "frustration", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["precision"] >= 0.9 and data["recall"] >= 0.7


OWN_CONVERSATIONS = Path(__file__).parents[2] / "warmline" / "packs" / "demo" / "eval" / "conversations"


@pytest.mark.parametrize(
    ("folder", "n", "team", "subflow"),
    [
        # 66 short conversations written for Warmline and never trained on (55 subflows, 11 in other
        # languages): the need is often in the second message, after a general opening or a name.
        ("conversations", 66, 0.9, 0.85),
        # 122 short conversations over all 55 subflows (12 in the seven other languages), written as a
        # blind set and never trained on: terse, typed in a hurry, the detail or a name in a later turn.
        ("conversations-short", 122, 0.95, 0.93),
        # 62 conversations that tell the situation instead of naming the need, a blind set never trained
        # on; the hardest of the own sets (team 0.79 when written): a floor against regressions.
        ("conversations-indirect", 62, 0.82, 0.76),
        # 110 short conversations, two per subflow (16 in the seven other languages), written from the
        # subflow descriptions as a blind set and never trained on.
        ("conversations-blind2", 110, 0.93, 0.9),
        # 55 conversations, one per subflow (11 not in English), that tell the situation instead of
        # naming the need; written before the story phrasings, never trained on, errors not read.
        ("conversations-stories", 55, 0.82, 0.8),
    ],
)
def test_the_packs_own_conversations_route_to_their_team(folder: str, n: int, team: float, subflow: float) -> None:
    result = runner.invoke(app, ["eval", "conversations", "--data", str(OWN_CONVERSATIONS.with_name(folder)), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["n"] == n
    assert data["team_accuracy"] >= team and data["subflow_accuracy"] >= subflow, data["errors"]


def test_model_build_refuses_an_unknown_part() -> None:
    result = runner.invoke(app, ["model", "build", "--only", "everything"])
    assert result.exit_code == 2 and "invalid_option" in result.output
