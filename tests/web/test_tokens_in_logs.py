"""After a browser session in the agent workspace, the sidebar and the customer chat, the server's
log (uvicorn's access log included) holds no staff or customer token."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import pytest

from tests.conftest import LiveServer, make_services, staff_token
from tests.web.scripted_bot import DemoHandoffBot
from tests.web.test_browser import customer_conversation, expect, say, sign_in, token_of

pytestmark = pytest.mark.browser
TOKEN = re.compile(r"wl[sc]_(?!\*\*\*)")


@pytest.fixture
def logged_server(sqlite_url) -> Iterator[tuple[LiveServer, io.StringIO]]:  # type: ignore[no-untyped-def]
    svc = make_services(sqlite_url, bot=DemoHandoffBot())
    server = LiveServer(svc, access_log=True).start()
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.access", "uvicorn.error", "")]
    for logger in loggers:
        logger.addHandler(handler)
    yield server, captured
    for logger in loggers:
        logger.removeHandler(handler)
    server.stop()
    svc.close()


def test_a_workspace_session_leaves_no_token_in_the_log(chromium, logged_server) -> None:  # type: ignore[no-untyped-def]
    server, captured = logged_server
    svc, url = server.services, server.url
    customer = chromium.new_page()
    customer.goto(f"{url}/chat")
    say(customer, "My order 12345 is late, I want a person please")
    expect()(customer.locator("#who")).to_have_text("Waiting for a person")
    conversation = customer_conversation(customer)

    agent_token = token_of(staff_token(svc, "agent", ["billing"]))
    agent = chromium.new_page()
    agent.goto(f"{url}/agent")
    sign_in(agent, agent_token)
    agent.click(".queue-item .claim")
    expect()(agent.locator("#pl-summary")).to_contain_text("12345")
    agent.fill("#reply-text", "Hello, I am looking at order 12345 now.")
    agent.locator("#reply-text").press("Control+Enter")
    expect()(customer.locator("#messages .msg.agent")).to_contain_text("order 12345 now")

    lead_token = token_of(staff_token(svc, "lead", []))
    side = chromium.new_page(viewport={"width": 360, "height": 900})
    side.goto(f"{url}/sidebar?conversation={conversation}#access_token={lead_token}")
    expect()(side.locator("#pl-summary")).to_contain_text("12345")
    assert lead_token not in side.url
    for page in (customer, agent, side):
        page.close()

    log = captured.getvalue()
    assert "/stream?ticket=wlt_***" in log  # the streams were opened, and logged
    assert "GET /agent" in log and "GET /sidebar" in log
    leaked = TOKEN.findall(log)
    assert not leaked, [line for line in log.splitlines() if TOKEN.search(line)][:5]
    for token in (agent_token, lead_token):
        assert token not in log
