"""The routing rules file of a pack (``routing.yaml``): typed, validated, versioned by content.

Errors name the file and the line of the offending entry (``routing.yaml:42: unknown team 'x'``),
so a pack author can fix the file without reading this code.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from warmline.errors import ConfigurationError
from warmline.packs import Pack

RULES_FILE = "routing.yaml"
PRIORITIES = (1, 2, 3, 4)


class RoutingRulesError(ConfigurationError):
    """The routing rules file is missing or malformed; the message is ``FILE:LINE: reason``."""

    code = "routing_rules_invalid"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Condition(_Strict):
    """What must hold for a rule (every given key)."""

    account_flags_any: list[str] = []
    account_any: dict[str, list[str]] = {}
    intent_in: list[str] = []
    min_confidence: float = Field(0.0, ge=0.0, le=1.0)
    words_any: list[str] = []
    trigger_in: list[str] = []

    @field_validator("words_any")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"invalid regular expression {pattern!r} ({error})") from None
        return value

    @field_validator("intent_in")
    @classmethod
    def _intents(cls, value: list[str]) -> list[str]:
        for intent in value:
            if intent.count("/") != 1:
                raise ValueError(f"intent {intent!r} must be 'flow/subflow'")
        return value

    def is_empty(self) -> bool:
        return not (self.account_flags_any or self.account_any or self.intent_in or self.words_any or self.trigger_in)


class Rule(_Strict):
    id: str = Field(min_length=1)
    team: str = Field(min_length=1)
    priority: int | None = Field(None, ge=1, le=4)
    skills: list[str] = []
    reason: str = Field(min_length=1)
    when: Condition


class Raise(_Strict):
    id: str = Field(min_length=1)
    by: int = Field(ge=1, le=3)
    when: Condition = Condition()
    frustration_at_least: float | None = Field(None, ge=0.0, le=1.0)


class PriorityRules(_Strict):
    default: int = Field(3, ge=1, le=4)
    teams: dict[str, int] = {}
    raise_: list[Raise] = Field([], alias="raise")

    @field_validator("teams")
    @classmethod
    def _range(cls, value: dict[str, int]) -> dict[str, int]:
        for team, priority in value.items():
            if priority not in PRIORITIES:
                raise ValueError(f"priority of {team!r} must be 1..4, got {priority}")
        return value


class SlaRules(_Strict):
    default: dict[int, int]
    teams: dict[str, dict[int, int]] = {}

    @field_validator("default")
    @classmethod
    def _complete(cls, value: dict[int, int]) -> dict[int, int]:
        missing = [p for p in PRIORITIES if p not in value]
        if missing:
            raise ValueError(f"sla minutes missing for priorities {missing}")
        if any(minutes <= 0 for minutes in value.values()):
            raise ValueError("sla minutes must be positive")
        return value


class SkillRules(_Strict):
    teams: dict[str, list[str]] = {}
    intents: dict[str, list[str]] = {}  # "flow" or "flow/subflow" -> skills


class RulesFile(_Strict):
    schema_: int = Field(alias="schema")
    triage_team: str = "triage"
    extra_teams: dict[str, str] = {}
    rules: list[Rule] = []
    priority: PriorityRules = PriorityRules()
    sla_minutes: SlaRules
    skills: SkillRules = SkillRules()

    @field_validator("schema_")
    @classmethod
    def _schema(cls, value: int) -> int:
        if value != 1:
            raise ValueError(f"unsupported routing rules schema {value} (this version reads 1)")
        return value


class RoutingRules(BaseModel):
    """A pack's routing rules, ready for :func:`warmline.routing.route`."""

    model_config = ConfigDict(frozen=True)

    version: str  # content hash of routing.yaml and the pack's team map
    path: str
    spec: RulesFile
    team_map: dict[str, str]
    teams: dict[str, str]  # every team a rule may name -> description

    def reads_trigger(self, one: str | None, other: str | None) -> bool:
        """Whether routing for trigger ``one`` and for ``other`` can differ: some rule or priority
        raise names exactly one of them in ``trigger_in`` (everything else routing reads is the same)."""
        conditions = [r.when for r in self.spec.rules] + [e.when for e in self.spec.priority.raise_]
        return any(bool(c.trigger_in) and ((one in c.trigger_in) != (other in c.trigger_in)) for c in conditions)

    def team_for(self, flow: str, subflow: str | None) -> str | None:
        """The team owning ``flow/subflow``; FAQ variants (``boots_how_1``) resolve to their prefix."""
        if subflow is None:
            return None
        if flow in ("single_item_query", "storewide_query"):
            subflow = subflow.split("_", 1)[0]
        return self.team_map.get(f"{flow}/{subflow}")

    def flow_team(self, flow: str) -> str | None:
        """The team owning most of ``flow``'s subflows (ties: alphabetical), or None."""
        counts: dict[str, int] = {}
        for key, team in self.team_map.items():
            if key.split("/", 1)[0] == flow:
                counts[team] = counts.get(team, 0) + 1
        if not counts:
            return None
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]


# ---- loading -------------------------------------------------------------------------------------


def load_routing(pack: Pack, path: Path | None = None) -> RoutingRules:
    """Read and validate ``<pack>/routing.yaml`` (or ``path``) against the pack's teams."""
    file = path or pack.path / RULES_FILE
    if not file.is_file():
        raise RoutingRulesError(f"{file}: no routing rules file")
    raw = file.read_bytes()
    return parse_routing(raw.decode("utf-8"), source=str(file), team_map=dict(pack.team_map), teams=dict(pack.teams))


def routable_teams(pack: Pack, rules: RoutingRules) -> frozenset[str]:
    """Every team a conversation can be routed to: the pack's teams, the owners of its intents,
    the routing file's teams, and triage (where unplaced conversations go)."""
    return frozenset({*pack.teams, *pack.team_map.values(), *rules.teams, "triage"})


def parse_routing(text: str, *, source: str, team_map: dict[str, str], teams: dict[str, str]) -> RoutingRules:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 1
        raise RoutingRulesError(f"{source}:{line}: invalid YAML ({error.problem})") from None
    if not isinstance(data, dict) or node is None:
        raise RoutingRulesError(f"{source}:1: expected a mapping with 'schema', 'rules', 'sla_minutes'")
    try:
        spec = RulesFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = [part for part in first["loc"] if not str(part).startswith("function-")]
        where = ".".join(str(part) for part in loc) or "(top)"
        raise RoutingRulesError(f"{source}:{_line_of(node, loc)}: {where}: {first['msg']}") from None

    known = {**teams, **spec.extra_teams}
    problems: list[tuple[list[Any], str]] = []
    if spec.triage_team not in known:
        problems.append((["triage_team"], f"unknown team {spec.triage_team!r}"))
    seen: set[str] = set()
    for index, rule in enumerate(spec.rules):
        if rule.id in seen:
            problems.append((["rules", index, "id"], f"duplicate rule id {rule.id!r}"))
        seen.add(rule.id)
        if rule.team not in known:
            problems.append(
                (["rules", index, "team"], f"unknown team {rule.team!r} (known: {', '.join(sorted(known))})")
            )
        if rule.when.is_empty():
            problems.append((["rules", index, "when"], f"rule {rule.id!r} has no condition"))
        for intent in rule.when.intent_in:
            if intent not in team_map:
                problems.append((["rules", index, "when", "intent_in"], f"unknown intent {intent!r}"))
    for team in [*spec.priority.teams, *spec.sla_minutes.teams, *spec.skills.teams]:
        if team not in known:
            problems.append(([], f"unknown team {team!r} (known: {', '.join(sorted(known))})"))
            section = next(s for s in ("priority", "sla_minutes", "skills") if team in getattr(spec, s).teams)
            problems[-1] = ([section, "teams", team], problems[-1][1])
    for team, minutes in spec.sla_minutes.teams.items():
        if any(p not in PRIORITIES or m <= 0 for p, m in minutes.items()):
            problems.append((["sla_minutes", "teams", team], "sla minutes need priorities 1..4 and positive minutes"))
    if problems:
        loc, message = problems[0]
        raise RoutingRulesError(f"{source}:{_line_of(node, loc)}: {message}")

    digest = hashlib.sha256(text.encode("utf-8"))
    for key in sorted(team_map):
        digest.update(f"\0{key}={team_map[key]}".encode())
    return RoutingRules(version=digest.hexdigest()[:12], path=source, spec=spec, team_map=dict(team_map), teams=known)


def _line_of(node: yaml.Node, loc: list[Any]) -> int:
    """1-based line of the YAML node at ``loc`` (the deepest one found)."""
    line = node.start_mark.line + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if str(key.value) == str(part) or (str(part).endswith("_") and key.value == str(part)[:-1]):
                    child = value
                    line = key.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line
