"""The escalation policy file: a typed schema, loaded from YAML with line-accurate errors.

A policy is data in the domain pack (``<pack>/policy.yaml``). ``load_policy(path)`` validates the
whole file (unknown keys, wrong types, thresholds outside [0, 1], unknown trigger names, bad
times and time zones, unknown template fields are all refused) and stamps it with
``version = "sha256:" + 12 hex digits`` of the file content, so every decision names the exact
rules it was made with. A bad file raises :class:`PolicyFileError`, whose text is
``FILE:LINE: reason``.
"""

from __future__ import annotations

import hashlib
import re
import string
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, field_validator, model_validator

from warmline.errors import ConfigurationError

TRIGGERS = ("human_request", "low_confidence", "out_of_scope", "frustration", "looping", "bot_requested")
Trigger = Literal["human_request", "low_confidence", "out_of_scope", "frustration", "looping", "bot_requested"]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TEMPLATE_FIELDS = frozenset({"team", "wait_minutes", "wait", "opens_at", "contact"})
_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
Threshold = Annotated[float, Field(ge=0.0, le=1.0)]


class PolicyFileError(ConfigurationError):
    """A policy file cannot be used. ``str(error)`` is ``FILE:LINE: reason``."""

    code = "invalid_policy"

    def __init__(self, path: str | Path, line: int | None, reason: str):
        self.path, self.line, self.reason = str(path), line, reason
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {reason}", details={"path": self.path, "line": line, "reason": reason})

    def __str__(self) -> str:
        return self.message


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Rule(_Strict):
    enabled: bool = True
    # 1 is evaluated first and is the most urgent in the queue.
    priority: int = Field(ge=1, le=9)
    # Overrides guards.min_bot_turns for this trigger (None: use the guard).
    min_bot_turns: int | None = Field(default=None, ge=0)


class HumanRequestRule(Rule):
    threshold: Threshold


class LowConfidenceRule(Rule):
    threshold: Threshold
    # Flows ("account_access") or flow/subflow labels that are critical: a wrong bot answer there
    # is costly, so low confidence escalates (and guards on bot effort are bypassed).
    critical: list[StrictStr] = []
    # Per-intent thresholds ("flow" or "flow/subflow"), overriding ``threshold``.
    per_intent: dict[StrictStr, float] = {}

    @field_validator("per_intent")
    @classmethod
    def _bounds(cls, value: dict[str, float]) -> dict[str, float]:
        for key, threshold in value.items():
            if not 0.0 <= threshold <= 1.0:
                raise ValueError(f"threshold for {key!r} must be between 0 and 1, got {threshold}")
        return value


class OutOfScopeRule(Rule):
    threshold: Threshold
    # Out-of-scope turns in a row before escalating ...
    consecutive_turns: int = Field(ge=1)
    # ... unless the model is this sure (None: never immediately).
    immediate_above: float | None = Field(default=None, ge=0.0, le=1.0)
    # A short off-topic turn while the conversation already has an in-scope need (the model's
    # conversation intent is set) is a follow-up the classifier cannot place ("AB90014", "no",
    # "yes I'm logged in", a name): the bot answers it and it never escalates as out of scope.
    ignore_during_need: bool = True
    # ... short meaning at most this many words. A longer off-topic turn is a request of its own
    # ("thanks. unrelated, but can you help me with a cover letter?") when the model is at least
    # ``during_need_above`` sure (None: never; a follow-up about the need, "what do I get with
    # it?", reads as off-topic to a head that sees the turn alone, but less surely).
    follow_up_words: int = Field(default=4, ge=0)
    during_need_above: float | None = Field(default=None, ge=0.0, le=1.0)


class FrustrationRule(Rule):
    threshold: Threshold
    # A frustration this sure escalates before the bot has answered (``min_bot_turns`` does not
    # hold it back): "fourth time I'm writing, nobody answers, I'm done" needs a person, not a
    # first bot attempt. None: the guard always applies.
    immediate_above: float | None = Field(default=None, ge=0.0, le=1.0)


class LoopingRule(Rule):
    # Consecutive customer turns on the same unresolved need.
    same_need_turns: int = Field(ge=2)
    # Also fire when the model saw the customer repeat themselves (cue "repetition").
    on_repetition: bool = True


class BotRequestedRule(Rule):
    """An outside bot asked for a person on this turn (``handoff_requested`` in its turn). Like an
    explicit request from the customer, no guard holds it back."""


class Triggers(_Strict):
    human_request: HumanRequestRule
    low_confidence: LowConfidenceRule
    out_of_scope: OutOfScopeRule
    frustration: FrustrationRule
    looping: LoopingRule
    # Only outside bots (the ingestion API) request handoffs; a policy may leave it out.
    bot_requested: BotRequestedRule = BotRequestedRule(priority=1)

    def ordered(self) -> list[tuple[str, Rule]]:
        rules: list[tuple[str, Rule]] = [(name, getattr(self, name)) for name in TRIGGERS]
        return sorted(rules, key=lambda item: (item[1].priority, TRIGGERS.index(item[0])))


class Cooldown(_Strict):
    """After a handback only an explicit human request escalates, until ``turns`` customer turns
    or ``minutes`` have passed (whichever comes first; an unset limit never ends it alone)."""

    turns: int | None = Field(default=None, ge=0)
    minutes: float | None = Field(default=None, ge=0)

    def active(self, turns_since: int | None, minutes_since: float | None) -> bool:
        if turns_since is None and minutes_since is None:
            return False  # never handed back
        if self.turns is None and self.minutes is None:
            return False
        turns_over = self.turns is not None and turns_since is not None and turns_since > self.turns
        minutes_over = self.minutes is not None and minutes_since is not None and minutes_since >= self.minutes
        return not (turns_over or minutes_over)


class Guards(_Strict):
    min_bot_turns: int = Field(ge=0)
    cooldown: Cooldown = Cooldown()


def _parse_time(value: str) -> time:
    if value == "24:00":
        return time.max
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class Hours(_Strict):
    """When a team takes live conversations (local time in ``timezone``)."""

    timezone: StrictStr | None = None
    days: list[Weekday] | None = None
    open: StrictStr | None = None
    close: StrictStr | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("open", "close")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None and not _TIME.match(value):
            raise ValueError(f"times are 'HH:MM' (00:00 to 24:00), got {value!r}")
        return value

    @model_validator(mode="after")
    def _order(self) -> Hours:
        if self.open is not None and self.close is not None and _parse_time(self.open) >= _parse_time(self.close):
            raise ValueError(f"open ({self.open}) must be before close ({self.close})")
        return self

    def merged(self, default: Hours) -> Hours:
        data = default.model_dump()
        data.update({k: v for k, v in self.model_dump().items() if v is not None})
        return Hours.model_validate(data)

    def is_open(self, now: datetime) -> bool:
        assert self.timezone and self.days is not None and self.open and self.close
        local = now.astimezone(ZoneInfo(self.timezone))
        if WEEKDAYS[local.weekday()] not in self.days:
            return False
        return _parse_time(self.open) <= local.time() < _parse_time(self.close)

    def next_opening(self, now: datetime) -> datetime | None:
        """The next time the team opens (local time), or None if it never does."""
        assert self.timezone and self.days is not None and self.open
        zone = ZoneInfo(self.timezone)
        local = now.astimezone(zone)
        opening = _parse_time(self.open)
        for offset in range(8):
            day = (local + timedelta(days=offset)).date()
            if WEEKDAYS[day.weekday()] not in self.days:
                continue
            candidate = datetime.combine(day, opening, tzinfo=zone)
            if candidate > local:
                return candidate
        return None


class Availability(_Strict):
    default: Hours
    teams: dict[StrictStr, Hours] = {}
    # Live handoff needs at least one agent of the team online.
    require_agent_online: bool = True
    avg_handle_minutes: float = Field(gt=0)
    team_avg_handle_minutes: dict[StrictStr, float] = {}
    # Offer a callback/ticket instead of a live wait longer than this (None: always live).
    callback_above_wait_minutes: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _complete(self) -> Availability:
        missing = [f for f in ("timezone", "days", "open", "close") if getattr(self.default, f) is None]
        if missing:
            raise ValueError(f"default hours need {', '.join(missing)}")
        return self

    def hours_for(self, team: str) -> Hours:
        override = self.teams.get(team)
        return override.merged(self.default) if override else self.default

    def handle_minutes(self, team: str) -> float:
        return self.team_avg_handle_minutes.get(team, self.avg_handle_minutes)


class NoticeWords(_Strict):
    """The words the notices' fields are made of, in one language."""

    wait_few: StrictStr = "a few minutes"  # presence not required and nobody online
    wait_none: StrictStr = "under a minute"
    wait_one: StrictStr = "about a minute"
    wait_many: StrictStr = "about {n} minutes"
    by_phone: StrictStr = "phone"  # read after "by" in the templates: "they will answer by phone"
    by_email: StrictStr = "email"
    by_chat: StrictStr = "replying in this chat"
    weekdays: list[StrictStr] = Field(
        default=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], min_length=7, max_length=7
    )

    @field_validator("wait_many")
    @classmethod
    def _counts(cls, value: str) -> str:
        if "{n}" not in value:
            raise ValueError("wait_many must contain {n}, the minutes")
        return value


class Notices(_Strict):
    """What the customer is told when the bot hands over, in one language. Fields: {team},
    {wait}, {wait_minutes}, {opens_at}, {contact}."""

    live: StrictStr
    callback: StrictStr  # the team is closed now: {opens_at} is its next opening
    ticket: StrictStr
    # The team is open but nobody is online (or the wait is too long): no opening time to give.
    callback_open: StrictStr | None = None
    ticket_open: StrictStr | None = None
    team_names: dict[StrictStr, StrictStr] = {}
    words: NoticeWords = NoticeWords()

    def template(self, mode: str, team_open: bool) -> str:
        if mode == "callback" and team_open and self.callback_open:
            return self.callback_open
        if mode == "ticket" and team_open and self.ticket_open:
            return self.ticket_open
        return str(getattr(self, mode))

    @field_validator("live", "callback", "ticket", "callback_open", "ticket_open")
    @classmethod
    def _fields(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as exc:
            raise ValueError(f"bad template: {exc}") from exc
        unknown = names - TEMPLATE_FIELDS
        if unknown:
            raise ValueError(
                f"unknown template field(s) {sorted(unknown)}; allowed: {', '.join(sorted(TEMPLATE_FIELDS))}"
            )
        return value


class Messages(Notices):
    """The notices in the pack's main language, and in the other languages customers write in
    (``languages``: "es" -> the same notices in Spanish); a team name a language leaves out is
    said as in the main language."""

    languages: dict[StrictStr, Notices] = {}

    def in_language(self, language: str) -> Notices:
        return self.languages.get(language, self)

    def team_name(self, team: str, language: str) -> str:
        return self.in_language(language).team_names.get(team) or self.team_names.get(team, team)


class PolicyFile(_Strict):
    """The content of a policy file."""

    schema_version: Literal[1]
    name: StrictStr
    description: StrictStr = ""
    triggers: Triggers
    guards: Guards
    availability: Availability
    messages: Messages


class Policy(PolicyFile):
    """A loaded policy: the file content plus where it came from and its content version."""

    version: str
    source: str


def policy_version(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()[:12]


# ---- loading with line numbers -------------------------------------------------------------------


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> tuple[int | None, bool]:
    """The 1-based line of the node at ``loc`` (the key's line for a mapping entry) and whether
    the full path was found (False: the line of the nearest existing parent)."""
    if node is None:
        return None, False
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(part)), None)
            if match is None:
                return line, False
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line, False
    return line, True


def _duplicate_key(node: yaml.Node | None) -> tuple[int, str] | None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(getattr(key, "value", ""))
            if name in seen:
                return key.start_mark.line + 1, name
            seen.add(name)
            if found := _duplicate_key(value):
                return found
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if found := _duplicate_key(item):
                return found
    return None


def _reason(error: dict[str, Any]) -> str:
    loc = ".".join(str(p) for p in error["loc"])
    kind, message = error["type"], error["msg"]
    if kind == "extra_forbidden":
        if len(error["loc"]) == 2 and error["loc"][0] == "triggers":
            return f"unknown trigger {error['loc'][-1]!r} (known: {', '.join(TRIGGERS)})"
        return f"unknown key {loc!r}"
    if kind == "missing":
        return f"missing key {loc!r}"
    if (
        isinstance(error.get("input"), int)
        and not isinstance(error.get("input"), bool)
        and loc.endswith(("open", "close"))
    ):
        return f"{loc}: times must be quoted strings such as '08:00' (YAML reads unquoted 18:00 as a number)"
    message = message.removeprefix("Value error, ")
    return f"{loc}: {message}"


def parse_policy(content: bytes, source: str) -> Policy:
    """Validate ``content`` (YAML bytes) and return the policy; ``source`` names it in errors."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyFileError(source, None, "not UTF-8 text") from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise PolicyFileError(source, line, f"not valid YAML: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(data, dict):
        raise PolicyFileError(source, 1, "the policy must be a mapping (key: value)")
    if duplicate := _duplicate_key(root):
        raise PolicyFileError(source, duplicate[0], f"duplicate key {duplicate[1]!r}")
    try:
        file = PolicyFile.model_validate(data)
    except ValidationError as exc:
        # An unknown key explains a "missing" one next to it (a misspelt trigger): report it first.
        first = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        loc = tuple(first["loc"])
        if first["type"] == "missing":
            loc = loc[:-1]
        line, _ = _line_of(root, loc)
        raise PolicyFileError(source, line, _reason(dict(first))) from exc
    for name in ("critical", "per_intent"):
        keys = getattr(file.triggers.low_confidence, name)
        for key in keys:
            if key.count("/") > 1 or not key.strip("/") or key != key.strip():
                line, _ = _line_of(root, ("triggers", "low_confidence", name))
                raise PolicyFileError(source, line, f"triggers.low_confidence.{name}: bad intent {key!r}")
    return Policy(**file.model_dump(), version=policy_version(content), source=source)


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; raises :class:`PolicyFileError` with ``FILE:LINE``."""
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise PolicyFileError(path, None, f"cannot read the policy file: {exc.strerror or exc}") from exc
    return parse_policy(content, str(path))


def pack_policy_path(pack_path: Path) -> Path:
    return pack_path / "policy.yaml"
