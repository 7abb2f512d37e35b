from __future__ import annotations

from pathlib import Path

import pytest

from warmline.policy import PolicyFileError, load_policy

DEMO = Path(__file__).resolve().parents[2] / "warmline/packs/demo/policy.yaml"


def mutate(tmp_path: Path, old: str, new: str) -> Path:
    text = DEMO.read_text()
    assert old in text, old
    path = tmp_path / "policy.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if needle in line)


def test_demo_policy_loads_with_a_content_version() -> None:
    policy = load_policy(DEMO)
    assert policy.version.startswith("sha256:") and len(policy.version) == 19
    assert [name for name, _ in policy.triggers.ordered()][0] == "human_request"


@pytest.mark.parametrize(
    ("old", "new", "needle", "reason"),
    [
        (
            "    threshold: 0.4 # analysis.human_request: calibrated probability that the customer asks for a person",
            "    threshold: 1.5",
            "threshold: 1.5",
            "less than or equal to 1",
        ),
        ("  looping:\n", "  loopy:\n", "loopy:", "unknown trigger 'loopy'"),
        ("  min_bot_turns: 1\n", "  min_bot_turns: 1\n  max_bot_turns: 3\n", "max_bot_turns", "unknown key"),
        ('    close: "20:00"', '    close: "25:00"', '"25:00"', "HH:MM"),
        ('    close: "20:00"', "    close: 20:00", "close: 20:00", "quoted"),
        ("timezone: America/New_York", "timezone: Mars/Olympus", "Mars/Olympus", "unknown time zone"),
        ("    priority: 1\n", "    priority: first\n", "priority: first", "priority"),
        ("expected wait is {wait}.", "expected wait is {eta}.", "live: >-", "unknown template field"),
        ("  cooldown:\n", "  min_bot_turns: 2\n  cooldown:\n", "min_bot_turns: 2", "duplicate key"),
    ],
)
def test_bad_files_name_the_line(tmp_path: Path, old: str, new: str, needle: str, reason: str) -> None:
    path = mutate(tmp_path, old, new)
    with pytest.raises(PolicyFileError) as info:
        load_policy(path)
    assert str(info.value).startswith(f"{path}:{line_of(path, needle)}: "), str(info.value)
    assert reason in str(info.value)
    assert info.value.code == "invalid_policy"


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="cannot read"):
        load_policy(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nname: [unclosed\n")
    with pytest.raises(PolicyFileError, match="not valid YAML"):
        load_policy(bad)
