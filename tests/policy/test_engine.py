from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from warmline.model.analysis import EscalationRecommendation, TurnAnalysis
from warmline.policy import PolicyInputs, decide, load_policy
from warmline.policy.engine import Decision
from warmline.policy.rules import PolicyFileError

DEMO = Path(__file__).resolve().parents[2] / "warmline/packs/demo/policy.yaml"
GOLDEN = yaml.safe_load((Path(__file__).parent / "golden/decisions.yaml").read_text())
NOW = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)


def make_analysis(**overrides: Any) -> TurnAnalysis:
    data: dict[str, Any] = {
        "model": "test/1",
        "message_seq": 3,
        "flow": "shipping_issue",
        "subflow": "status",
        "confidence": 0.9,
        "out_of_scope": False,
        "oos_score": 0.01,
        "human_request": 0.0,
        "sentiment": 0.0,
        "frustration": 0.0,
        "reply": "ok",
        "reply_kind": "answer",
        "recommendation": EscalationRecommendation(escalate=False),
    }
    data.update(overrides)
    return TurnAnalysis.model_validate(data)


def make_inputs(analysis: dict[str, Any] | None = None, **overrides: Any) -> PolicyInputs:
    data: dict[str, Any] = {
        "analysis": make_analysis(**(analysis or {})),
        "team": "general",
        "team_load": {"general": {"agents_online": 2, "free_capacity": 2}},
        "customer_turns": 1,
        "bot_replies": 0,
    }
    data.update(overrides)
    return PolicyInputs.model_validate(data)


@pytest.fixture(scope="module")
def policy():
    return load_policy(DEMO)


@pytest.mark.parametrize("case", GOLDEN, ids=[c["id"] for c in GOLDEN])
def test_golden(policy, case: dict[str, Any]) -> None:
    now = datetime.fromisoformat(case["now"]) if "now" in case else NOW
    decision = decide(policy, make_inputs(case.get("analysis"), **case.get("inputs", {})), now)
    for key, expected in case["expect"].items():
        if key == "held_back":
            assert [h.trigger for h in decision.held_back] == expected, decision.reason
        else:
            assert getattr(decision, key) == expected, f"{key}: {decision.reason}"
    assert decision.policy_version == policy.version
    if decision.outcome == "escalate":
        assert decision.customer_message and "{" not in decision.customer_message


def test_decision_round_trips_and_replays_identically(policy) -> None:
    decision = decide(policy, make_inputs({"frustration": 0.9}, bot_replies=1), NOW)
    stored = decision.model_dump(mode="json")
    assert Decision.model_validate(stored) == decision
    again = decide(policy, PolicyInputs.model_validate(stored["inputs"]), datetime.fromisoformat(stored["decided_at"]))
    assert again == decision


def test_the_no_agent_notice_tells_the_truth_about_an_open_team(policy) -> None:
    # Tuesday 10:00 in New York: the general team is open, but nobody is online.
    open_now = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)
    nobody = make_inputs({"human_request": 1.0}, team_load={"general": {"agents_online": 0}}, has_email=True)
    decision = decide(policy, nobody, open_now)
    assert decision.mode == "ticket"
    assert "next opening" not in (decision.customer_message or "")
    assert "open" in (decision.customer_message or "") and "email" in (decision.customer_message or "")
    # Sunday: closed, so the notice gives the next opening.
    closed = decide(policy, nobody, datetime(2025, 3, 9, 15, 0, tzinfo=UTC))
    assert "next opening: Mon 08:00" in (closed.customer_message or "")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", "próxima apertura: lun 08:00"),
        ("fr", "prochaine ouverture : lun. 08:00"),
        ("de", "nächste Öffnung: Mo. 08:00"),
        ("it", "prossima apertura: lun 08:00"),
        ("pt", "próxima abertura: seg 08:00"),
        ("nl", "volgende opening: ma 08:00"),
        ("pl", "najbliższe otwarcie: pon 08:00"),
        ("sv", "next opening: Mon 08:00"),  # no notices in that language: the pack's main ones
    ],
)
def test_the_notice_is_written_in_the_customers_language(policy, language: str, expected: str) -> None:
    nobody = make_inputs({"human_request": 1.0}, team_load={"general": {"agents_online": 0}}, language=language)
    closed = decide(policy, nobody, datetime(2025, 3, 9, 15, 0, tzinfo=UTC))
    assert expected in (closed.customer_message or "")
    assert "(opens Mon 08:00" in closed.reason  # the audit trail stays in the team's language
    live = decide(policy, make_inputs({"human_request": 1.0}, language=language), NOW)
    assert live.mode == "live" and "{" not in (live.customer_message or "")


def test_a_language_missing_a_notice_is_refused_with_its_line(tmp_path: Path) -> None:
    text = DEMO.read_text(encoding="utf-8")
    broken = text.replace("    es:\n      live: >-", "    es:\n      lives: >-", 1)
    assert broken != text
    path = tmp_path / "policy.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(PolicyFileError, match=r"policy.yaml:\d+: unknown key 'messages.languages.es.lives'"):
        load_policy(path)


def test_a_customer_with_no_phone_or_email_is_told_the_answer_comes_in_the_chat(policy) -> None:
    nobody = make_inputs({"human_request": 1.0}, team_load={"general": {"agents_online": 0}})
    closed = decide(policy, nobody, datetime(2025, 3, 9, 15, 0, tzinfo=UTC))
    assert closed.mode == "ticket"
    assert "they will answer by replying in this chat (next opening: Mon 08:00" in (closed.customer_message or "")
