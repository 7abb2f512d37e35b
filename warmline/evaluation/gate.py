"""The evaluation gate: every quality figure of the README's table measured again, and refused when
one falls past the floor recorded in a checked-in file (``eval/floors.json``).

The floors file names, per run, the evaluation, its data (relative to the shared data folder) and
the figures it must keep: ``min`` (at least) and ``max`` (at most), addressed by dotted keys into
the evaluation's JSON (``per_category.out_of_scope.recall``). Floors sit a little under today's
figures and are raised as they improve; a change that makes the bot worse does not land.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Runner = Callable[[Path], dict[str, Any]]


class GateError(ValueError):
    """The floors file is unreadable or names an unknown evaluation or figure."""


def _bot(path: Path) -> dict[str, Any]:
    from warmline.evaluation.bot import evaluate_bot

    return evaluate_bot(path)


def _escalation(path: Path) -> dict[str, Any]:
    from warmline.evaluation.runs import evaluate_escalation

    return evaluate_escalation(path)


def _conversations(path: Path) -> dict[str, Any]:
    from warmline.model.evaluation import evaluate_conversations

    return evaluate_conversations(path)


def _handoff(path: Path) -> dict[str, Any]:
    from warmline.evaluation.runs import evaluate_handoff

    return evaluate_handoff(path)


RUNNERS: dict[str, Runner] = {
    "bot": _bot,
    "escalation": _escalation,
    "conversations": _conversations,
    "handoff": _handoff,
}


@dataclass(frozen=True)
class Check:
    run: str
    figure: str
    bound: str  # "min" or "max"
    floor: float
    value: float | None

    @property
    def passed(self) -> bool:
        if self.value is None:
            return False
        return self.value >= self.floor if self.bound == "min" else self.value <= self.floor

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "figure": self.figure,
            "bound": self.bound,
            "floor": self.floor,
            "value": self.value,
            "passed": self.passed,
        }


def figure(result: dict[str, Any], dotted: str) -> float | None:
    value: Any = result
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def read_floors(path: Path) -> dict[str, dict[str, Any]]:
    try:
        floors = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise GateError(f"{path}: unreadable floors file ({error})") from None
    runs = floors.get("runs") if isinstance(floors, dict) else None
    if not isinstance(runs, dict) or not runs:
        raise GateError(f'{path}: expected {{"runs": {{name: {{"eval", "data", "min", "max"}}}}}}')
    for name, run in runs.items():
        if not isinstance(run, dict) or run.get("eval") not in RUNNERS or not isinstance(run.get("data"), str):
            raise GateError(f"{path}: run {name!r} needs 'eval' (one of {', '.join(RUNNERS)}) and 'data'")
    return runs


def run_gate(floors_path: Path, shared: Path, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every evaluation of the floors file on the shared data; the checks and the figures."""
    runs = read_floors(floors_path)
    checks: list[Check] = []
    figures: dict[str, Any] = {}
    for name, run in runs.items():
        data = shared / run["data"]
        if not data.exists():
            raise GateError(f"run {name!r}: no data at {data}")
        started = time.perf_counter()
        result = RUNNERS[run["eval"]](data)
        result.pop("errors", None)
        result.pop("scores", None)
        result.pop("misses", None)
        figures[name] = {**result, "seconds": round(time.perf_counter() - started, 1)}
        for bound in ("min", "max"):
            for key, floor in (run.get(bound) or {}).items():
                checks.append(Check(name, key, bound, float(floor), figure(result, key)))
        if progress is not None:
            progress(name)
    return {
        "passed": all(c.passed for c in checks),
        "checks": [c.as_dict() for c in checks],
        "figures": figures,
    }
