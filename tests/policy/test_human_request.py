from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from warmline.model.human_request import human_request_score

TABLE = yaml.safe_load((Path(__file__).parent / "golden/human_request.yaml").read_text())


@pytest.mark.parametrize("text", TABLE["positive"])
def test_explicit_requests(text: str) -> None:
    score, cues = human_request_score(text)
    assert score >= 0.5, cues


@pytest.mark.parametrize("text", TABLE["negative"])
def test_look_alikes_do_not_fire(text: str) -> None:
    score, cues = human_request_score(text)
    assert score < 0.5, cues


def test_channel_question_is_recorded_not_escalated() -> None:
    score, cues = human_request_score("is this a bot?")
    assert 0 < score < 0.5 and "asks_if_human" in cues
