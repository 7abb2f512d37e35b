"""The README's custom-bot example runs as printed, against the real API."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from fastapi.testclient import TestClient

from tests.bots.conftest import BotWorld

README = Path(__file__).resolve().parents[2] / "README.md"


def example() -> str:
    text = README.read_text()
    section = text[text.index("## Use Warmline with your bot") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def test_the_readme_example_is_ten_lines_and_works(world: BotWorld) -> None:
    code = example()
    assert len([line for line in code.splitlines() if line.strip()]) <= 10
    app = world.client.app

    def client(base_url: str, headers: dict[str, str]) -> TestClient:
        return TestClient(app, base_url=base_url, headers=headers)

    namespace: dict[str, Any] = {"BOT_TOKEN": world.token, "httpx": SimpleNamespace(Client=client)}
    exec(code.replace("import httpx\n", "").replace('"my-bot"', f'"{world.name}"'), namespace)
    on_message = namespace["on_customer_message"]
    assert on_message("sender-1", "m1", "where is my order 8812345678?", "order_status", 0.9) is True
    assert on_message("sender-1", "m2", "I want to talk to a person", "human_handoff", 0.8) is False
