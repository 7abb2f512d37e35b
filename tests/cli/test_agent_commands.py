"""``warmline agent ...`` against a live server."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.api.test_agents import EscalatingBot
from tests.conftest import staff_token
from warmline.cli import app
from warmline.conversation import actions

runner = CliRunner()


def test_an_agent_works_a_conversation_from_the_terminal(live_server) -> None:
    svc = live_server.services
    svc.bot = EscalatingBot()
    token = staff_token(svc, "agent", ["billing"])["Authorization"].split()[1]
    cid = actions.do_start_conversation(svc).conversation_id
    actions.do_post_customer_message(svc, cid, "a person please")
    env = {"WARMLINE_URL": live_server.url, "WARMLINE_TOKEN": token}

    def run(*args: str):
        return runner.invoke(app, ["agent", *args], env=env)

    assert "billing" in run("queues").output
    result = run("next", "billing")
    assert result.exit_code == 0 and "WITH_AGENT" in result.output
    assert '"draft"' in run("payload", cid).output
    assert run("say", cid, "Hello from the desk").exit_code == 0
    result = run("handback", cid, "--note", "Answered the question")
    assert result.exit_code == 0 and "BOT" in result.output
    result = run("claim", cid)
    assert result.exit_code == 2 and "illegal_transition" in result.output
    result = runner.invoke(app, ["agent", "queues"], env={**env, "WARMLINE_TOKEN": "wls_wrong"})
    assert result.exit_code == 2 and "invalid_token" in result.output
