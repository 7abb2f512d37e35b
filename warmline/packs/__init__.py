"""Domain packs: the intents, teams, knowledge base and demo accounts a deployment ships with.

``load_pack("demo")`` (or a path to a pack directory) returns a frozen, typed :class:`Pack`.
Loading is cached per resolved path and content hash, so calling it on every request is cheap.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import yaml

PACKS_DIR = Path(__file__).parent
PACK_FILES = ("intents.yaml", "team_map.json", "articles.json", "procedures.json", "accounts.json")
TRAINING_FILES = ("negatives.jsonl", "bitext.jsonl", "vague.jsonl", "generated.jsonl")
# Not part of the pack's version: the model is trained without them.
TEXTS_FILE = "texts.yaml"
STEPS_FILE = "steps.yaml"  # optional
TEXT_KEYS = ("brand", "handoff_notice", "resume", "resume_greeting")
NEEDS_KEY = "needs"  # optional
OOS_LABEL = "oos"
SMALLTALK_LABEL = "smalltalk"
# In scope but without the specifics ("I have a question about my bill"): the bot asks, never refuses.
VAGUE_LABEL = "vague"


class PackError(ValueError):
    """A pack is missing or malformed; the message names the pack and the file."""


@dataclass(frozen=True)
class Subflow:
    flow: str
    name: str
    description: str
    team: str
    examples: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.flow}/{self.name}"


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    flow: str | None
    subflow: str | None
    passages: tuple[str, ...]
    source: str = ""


@dataclass(frozen=True)
class ProcedureStep:
    action: str  # ABCD action id, e.g. "pull-up-account"
    button: str  # button label, e.g. "Pull up Account"
    guideline: str
    label: str = ""  # what the step asks of the pack's agents (``steps.yaml``); the button when unset
    how: str = ""  # how the pack's agents do it, in the business's words (``steps.yaml``)


@dataclass(frozen=True)
class PackTexts:
    """The bot's own words for this pack's customers (``texts.yaml``)."""

    brand: str  # the business the customer talks to
    handoff_notice: str  # {team}
    resume: str
    resume_greeting: str  # {name}; put before ``resume`` when the customer's name is known
    # How the handoff summary and draft state a need ("flow/subflow" -> "The customer wants ..."),
    # where the intent's own description (ABCD's wording, also a training example) reads badly.
    needs: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def notice(self, team: str) -> str:
        return self.handoff_notice.format(team=team)

    def resume_text(self, name: str | None) -> str:
        return (self.resume_greeting.format(name=name) if name else "") + self.resume


class TrainingExample(NamedTuple):
    """One training utterance. ``group`` names the phrasing it was generated from: its variants
    (other greetings, typos) share it, so calibration holds them out together."""

    text: str
    label: str
    group: str


@dataclass(frozen=True)
class Pack:
    name: str
    path: Path
    version: str  # content hash of the pack's files
    flows: tuple[str, ...]
    subflows: tuple[Subflow, ...]
    teams: MappingProxyType[str, str]  # team -> description
    team_map: MappingProxyType[str, str]  # "flow/subflow" -> team
    articles: tuple[Article, ...]
    procedures: MappingProxyType[str, tuple[ProcedureStep, ...]]
    texts: PackTexts
    accounts: MappingProxyType[str, dict[str, Any]] = field(default_factory=lambda: MappingProxyType({}))

    def subflows_of(self, flow: str) -> list[Subflow]:
        return [s for s in self.subflows if s.flow == flow]

    def subflow(self, flow: str, subflow: str) -> Subflow | None:
        return next((s for s in self.subflows if s.flow == flow and s.name == subflow), None)

    def team_for(self, flow: str, subflow: str) -> str:
        """The team that owns ``flow/subflow`` (exact pack mapping); FAQ question variants such as
        ``jeans_how_2`` resolve to their ontology subflow. Unknown intents go to ``general``."""
        key = f"{flow}/{normalise_subflow(flow, subflow, self)}"
        return self.team_map.get(key, "general")

    def procedure(self, flow: str, subflow: str) -> list[ProcedureStep]:
        return list(self.procedures.get(f"{flow}/{normalise_subflow(flow, subflow, self)}", ()))

    def article(self, article_id: str) -> Article | None:
        return next((a for a in self.articles if a.id == article_id), None)

    def account(self, account_id: str) -> dict[str, Any] | None:
        return self.accounts.get(account_id)

    def training_examples(self) -> list[TrainingExample]:
        """Label ``flow/subflow``, ``oos``, ``smalltalk`` or ``vague``; descriptions included."""
        rows = []
        for sub in self.subflows:
            rows.append(TrainingExample(sub.description, sub.label, f"intents:{sub.label}:description"))
            rows.extend(
                TrainingExample(text, sub.label, f"intents:{sub.label}:{number}")
                for number, text in enumerate(sub.examples)
            )
        for name in TRAINING_FILES:
            path = self.path / name
            if path.is_file():
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
                    if line.strip():
                        row = json.loads(line)
                        group = str(row.get("group") or f"{name}:{number}")
                        rows.append(TrainingExample(row["text"], row["intent"], group))
        return rows


def normalise_subflow(flow: str, subflow: str, pack: Pack | None = None) -> str:
    """ABCD conversations label FAQ questions as ``boots_how_1`` or ``policy_3``; the ontology
    subflow is the prefix (``boots``, ``policy``)."""
    if flow in ("single_item_query", "storewide_query"):
        return subflow.split("_", 1)[0]
    return subflow


def load_pack(name_or_path: str = "demo") -> Pack:
    """Load a pack by name (a folder under ``warmline/packs``) or by path; cached."""
    candidate = Path(name_or_path)
    path = candidate if candidate.is_dir() else PACKS_DIR / name_or_path
    if not path.is_dir() or not (path / "intents.yaml").is_file():
        raise PackError(f"unknown pack {name_or_path!r}: no intents.yaml in {path}")
    path = path.resolve()
    return _load(path, _content_hash(path))


def _content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    for name in (*PACK_FILES, *TRAINING_FILES, TEXTS_FILE, STEPS_FILE):
        file = path / name
        if file.is_file():
            stat = file.stat()
            digest.update(f"{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=8)
def _load(path: Path, _stamp: str) -> Pack:
    def read_json(name: str, default: Any) -> Any:
        file = path / name
        if not file.is_file():
            return default
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise PackError(f"{file}: invalid JSON ({error.msg})") from None

    digest = hashlib.sha256()
    for name in (*PACK_FILES, *TRAINING_FILES):
        if (path / name).is_file():
            digest.update(name.encode() + b"\0" + (path / name).read_bytes())
    try:
        intents = yaml.safe_load((path / "intents.yaml").read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise PackError(f"{path / 'intents.yaml'}: invalid YAML ({error})") from None
    team_doc = read_json("team_map.json", {"teams": {}, "map": {}})
    team_map = dict(team_doc.get("map", {}))
    subflows = []
    for flow, entries in intents.items():
        for name, spec in (entries or {}).items():
            spec = spec or {}
            subflows.append(
                Subflow(
                    flow=flow,
                    name=name,
                    description=str(spec.get("description", name.replace("_", " "))),
                    team=team_map.get(f"{flow}/{name}", "general"),
                    examples=tuple(str(e) for e in spec.get("examples", [])),
                )
            )
    articles = tuple(
        Article(
            id=a["id"],
            title=a["title"],
            flow=a.get("flow"),
            subflow=a.get("subflow"),
            passages=tuple(a.get("passages", [])),
            source=a.get("source", ""),
        )
        for a in read_json("articles.json", [])
    )
    if len({a.id for a in articles}) != len(articles):
        raise PackError(f"{path / 'articles.json'}: article ids must be unique")
    raw_procedures = read_json("procedures.json", {})
    wording = _step_wording(path / STEPS_FILE, {s["action"] for steps in raw_procedures.values() for s in steps})
    procedures = {
        key: tuple(
            ProcedureStep(
                action=s["action"],
                button=s["button"],
                guideline=s.get("guideline", ""),
                label=wording.get(s["action"], {}).get("label", s["button"]),
                how=wording.get(s["action"], {}).get("how", ""),
            )
            for s in steps
        )
        for key, steps in raw_procedures.items()
    }
    accounts = {str(a["id"]): a for a in read_json("accounts.json", [])}
    texts = _texts(path / TEXTS_FILE)
    unknown_needs = sorted(set(texts.needs) - {s.label for s in subflows})
    if unknown_needs:
        raise PackError(f"{path / TEXTS_FILE}: needs for unknown intents: {', '.join(unknown_needs)}")
    return Pack(
        name=path.name,
        path=path,
        version=digest.hexdigest()[:16],
        flows=tuple(intents),
        subflows=tuple(subflows),
        teams=MappingProxyType(dict(team_doc.get("teams", {}))),
        team_map=MappingProxyType(team_map),
        articles=articles,
        procedures=MappingProxyType(procedures),
        accounts=MappingProxyType(accounts),
        texts=texts,
    )


def _yaml_mapping(file: Path, of_what: str) -> dict[Any, Any]:
    """The YAML mapping in ``file`` (empty for an empty file); a PackError naming the file otherwise."""
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise PackError(f"{file}: invalid YAML ({error})") from None
    if not isinstance(raw, dict):
        raise PackError(f"{file}: expected a mapping of {of_what}")
    return raw


def _step_wording(file: Path, actions: set[str]) -> dict[str, dict[str, str]]:
    """``steps.yaml``: action id -> {"label", "how"}, each a non-empty string; absent file, none."""
    if not file.is_file():
        return {}
    raw = _yaml_mapping(file, "procedure action ids to a label and how")
    unknown = sorted(set(raw) - actions)
    if unknown:
        raise PackError(f"{file}: actions in no procedure: {', '.join(map(str, unknown))}")
    for action, entry in raw.items():
        if (
            not isinstance(entry, dict)
            or set(entry) != {"label", "how"}
            or not all(isinstance(v, str) and v.strip() for v in entry.values())
        ):
            raise PackError(f"{file}: {action}: needs exactly a non-empty 'label' and 'how'")
    return {str(a): {k: str(v).strip() for k, v in e.items()} for a, e in raw.items()}


def _texts(file: Path) -> PackTexts:
    if not file.is_file():
        raise PackError(f"{file}: missing (the bot's own words: {', '.join(TEXT_KEYS)})")
    raw = _yaml_mapping(file, ", ".join(TEXT_KEYS))
    missing = [k for k in TEXT_KEYS if not isinstance(raw.get(k), str) or not raw[k]]
    unknown = sorted(set(raw) - {*TEXT_KEYS, NEEDS_KEY})
    if missing or unknown:
        problems = ([f"missing or empty: {', '.join(missing)}"] if missing else []) + (
            [f"unknown: {', '.join(unknown)}"] if unknown else []
        )
        raise PackError(f"{file}: {'; '.join(problems)}")
    needs = raw.get(NEEDS_KEY) or {}
    if not isinstance(needs, dict) or not all(isinstance(v, str) and v.strip() for v in needs.values()):
        raise PackError(f"{file}: {NEEDS_KEY} must map flow/subflow to a sentence")
    texts = PackTexts(
        **{k: str(raw[k]) for k in TEXT_KEYS}, needs=MappingProxyType({str(k): v.strip() for k, v in needs.items()})
    )
    try:
        texts.notice("team")
        texts.resume_text("name")
    except (KeyError, IndexError, ValueError) as error:
        raise PackError(f"{file}: a placeholder other than {{team}} / {{name}} ({error})") from None
    return texts
