from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from warmline.model.analysis import EscalationRecommendation, IntentScore, TurnAnalysis
from warmline.packs import load_pack
from warmline.routing import Routing, RoutingRulesError, explain_routing, load_routing, parse_routing, route

CASES = yaml.safe_load((Path(__file__).parent / "cases.yaml").read_text(encoding="utf-8"))
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make_analysis(spec: dict[str, Any], seq: int = 1) -> TurnAnalysis:
    return TurnAnalysis(
        model="test/1",
        message_seq=seq,
        flow=spec.get("flow"),
        subflow=spec.get("subflow"),
        confidence=spec.get("confidence", 0.8),
        alternatives=[IntentScore(**a) for a in spec.get("alternatives", [])],
        out_of_scope=spec.get("out_of_scope", False),
        oos_score=0.0,
        human_request=0.0,
        sentiment=0.0,
        frustration=spec.get("frustration", 0.0),
        reply="",
        reply_kind="answer",
        recommendation=EscalationRecommendation(escalate=True),
    )


@pytest.fixture(scope="module")
def rules():
    return load_routing(load_pack("demo"))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_routing_table(case: dict[str, Any], rules) -> None:
    result = route(
        make_analysis(case["analysis"]),
        case.get("account"),
        rules,
        now=NOW,
        trigger=case.get("trigger"),
        team_hint=case.get("team_hint"),
        texts=case.get("texts", []),
    )
    for key, value in case["expect"].items():
        assert getattr(result, key) == value, (key, result)
    assert result.rules_version == rules.version
    assert result.reason
    minutes = (
        rules.spec.sla_minutes.teams.get(result.team, {}).get(result.priority)
        or (rules.spec.sla_minutes.default[result.priority])
    )
    assert result.sla_due_at == NOW + timedelta(minutes=minutes)


def test_routing_round_trips_and_explains(rules) -> None:
    result = route(make_analysis({"flow": "product_defect", "subflow": "refund_initiate"}), None, rules, now=NOW)
    assert Routing.model_validate_json(result.model_dump_json()) == result
    assert result.intent == "product_defect/refund_initiate"
    assert "refunds" in result.skills and result.team == "billing"
    text = explain_routing(result)
    assert "billing" in text and result.rule in text and rules.version in text


def test_route_is_pure(rules) -> None:
    analysis = make_analysis({"flow": "order_issue", "subflow": "manage_cancel"})
    account = {"id": "x", "membership": "gold"}
    assert route(analysis, account, rules, now=NOW) == route(analysis, account, rules, now=NOW)
    assert account == {"id": "x", "membership": "gold"}


GOOD = (Path(load_pack("demo").path) / "routing.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "line_of", "message"),
    [
        (
            (
                "team: fraud\n    priority: 1\n    skills: [fraud_review]\n    reason: the account",
                "team: frod\n    priority: 1\n    skills: [fraud_review]\n    reason: the account",
            ),
            "team: frod",
            "unknown team 'frod'",
        ),
        (
            ("priority: 2\n    skills: [fraud_review, disputes]", "priority: 9\n    skills: [fraud_review, disputes]"),
            "priority: 9",
            "less than or equal to 4",
        ),
        (
            ("intent_in: [purchase_dispute/mistimed_billing_never_bought]", "intent_in: [purchase_dispute/nope]"),
            "intent_in: [purchase_dispute/nope]",
            "unknown intent",
        ),
        (
            ("  default: {1: 5, 2: 15, 3: 60, 4: 240}", "  default: {1: 5, 2: 15}"),
            "default: {1: 5, 2: 15}",
            "missing for priorities",
        ),
        (("      account_flags_any:", "      acount_flags_any:"), "acount_flags_any", "Extra inputs"),
    ],
)
def test_rules_file_errors_name_file_and_line(edit, line_of, message) -> None:
    old, new = edit
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    expected_line = next(i for i, line in enumerate(text.splitlines(), start=1) if line_of in line)
    pack = load_pack("demo")
    with pytest.raises(RoutingRulesError) as error:
        parse_routing(text, source="routing.yaml", team_map=dict(pack.team_map), teams=dict(pack.teams))
    assert str(error.value).startswith(f"routing.yaml:{expected_line}:"), str(error.value)
    assert message in str(error.value)


def test_invalid_yaml_and_missing_file(tmp_path) -> None:
    pack = load_pack("demo")
    with pytest.raises(RoutingRulesError, match=r"^routing.yaml:2: invalid YAML"):
        parse_routing("schema: 1\nrules: a: b\n", source="routing.yaml", team_map={}, teams={})
    with pytest.raises(RoutingRulesError, match="no routing rules file"):
        load_routing(pack, tmp_path / "routing.yaml")


def test_version_is_a_content_hash() -> None:
    pack = load_pack("demo")
    a = parse_routing(GOOD, source="a", team_map=dict(pack.team_map), teams=dict(pack.teams))
    b = parse_routing(GOOD + "\n# comment\n", source="b", team_map=dict(pack.team_map), teams=dict(pack.teams))
    assert a.version == load_routing(pack).version and a.version != b.version
