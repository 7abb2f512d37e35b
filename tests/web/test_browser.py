"""The web surfaces in real Chromium against a live server on loopback: a customer chats and is
escalated, an agent claims and sees the payload above the fold at 1366x768, sends the edited
draft and hands back, and the customer sees one continuous conversation; script in a message
shows as text; the streams resume after the server restarts."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.conftest import LiveServer, staff_token
from warmline.conversation import actions

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1366, "height": 768}
ABOVE_THE_FOLD = ["#pl-summary", "#pl-facts", "#pl-next", "#pl-citations", "#pl-routing", "#reply-text", "#send"]


def token_of(headers: dict[str, str]) -> str:
    return headers["Authorization"].split(" ", 1)[1]


def expect():
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def settled_box(page, selector: str) -> dict[str, float]:
    """The element's box once it is on screen; the panel re-renders as live events arrive, so an
    element read mid-render may be detached for a moment."""
    deadline = time.monotonic() + 5
    while True:
        expect()(page.locator(selector)).to_be_visible()
        box = page.locator(selector).bounding_box()
        if box is not None or time.monotonic() > deadline:
            assert box is not None, selector
            return box
        time.sleep(0.05)


def say(page, text: str) -> None:
    page.fill("#message", text)
    page.press("#message", "Enter")


def sign_in(page, token: str) -> None:
    page.fill("#signin-token", token)
    page.click("#signin button[type=submit]")
    expect()(page.locator("#app")).to_be_visible()


def customer_transcript(page) -> list[tuple[str, str]]:
    """(kind, text) of each chat bubble in order: customer, bot or agent."""
    return page.eval_on_selector_all(
        "#messages .msg:not(.intro)",
        "nodes => nodes.map(n => [n.classList.contains('customer') ? 'customer' :"
        " n.classList.contains('agent') ? 'agent' : 'bot', n.querySelector('p').textContent])",
    )


def test_handoff_and_handback_end_to_end(chromium, web_server) -> None:
    svc, url = web_server.services, web_server.url
    agent_token = token_of(staff_token(svc, "agent", ["billing"]))
    customer = chromium.new_context(viewport={"width": 480, "height": 800}).new_page()
    customer.goto(f"{url}/chat")
    say(customer, "Hello")
    expect()(customer.locator("#messages .msg.bot:not(.intro)")).to_contain_text("I can help")
    expect()(customer.locator("#messages .msg.customer .delivery")).to_have_text("Delivered")
    say(customer, "My order 12345 arrived damaged. I want a person please")
    # The customer is told what happens next and roughly how long it takes.
    expect()(customer.locator("#banner")).to_contain_text("expected wait is about 3 minutes")
    expect()(customer.locator("#who")).to_have_text("Waiting for a person")

    context = chromium.new_context(viewport=VIEWPORT)
    agent = context.new_page()
    agent.goto(f"{url}/agent")
    sign_in(agent, agent_token)
    expect()(agent.locator("[data-testid=waiting-billing]")).to_contain_text("1 waiting")
    expect()(agent.locator(".queue-item .qi-meta")).to_contain_text("SLA in")
    agent.click(".queue-item .claim")
    expect()(agent.locator("#pl-summary")).to_contain_text("order 12345")
    draft = svc.store.latest_event(customer_conversation(customer), "payload_built").event.payload.draft
    expect()(agent.locator("#reply-text")).to_have_value(draft.text)

    # Everything the agent needs is visible at once, beside the transcript and the reply box.
    for selector in ABOVE_THE_FOLD:
        # The panel re-renders as live events arrive: read each box once it is on screen.
        box = settled_box(agent, selector)
        assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
        assert box["x"] + box["width"] <= VIEWPORT["width"], (selector, box)
        assert box["y"] + box["height"] <= VIEWPORT["height"], (selector, box)
    transcript = settled_box(agent, "#transcript")
    payload = settled_box(agent, "#pl-summary")
    assert payload["x"] >= transcript["x"] + transcript["width"] - 1  # beside, not below
    column = "document.querySelector('.payload-col')"
    assert agent.evaluate(f"{column}.scrollHeight <= {column}.clientHeight")  # nothing hidden below
    assert agent.evaluate("document.documentElement.scrollHeight <= innerHeight")
    expect()(agent.locator("#pl-next")).to_contain_text("Refund procedure step 3")
    expect()(agent.locator("#pl-routing")).to_contain_text("billing owns refunds")
    expect()(agent.locator("#pl-facts")).to_contain_text("12345")

    # The agent edits the draft a little and sends it with the keyboard.
    agent.locator("#reply-text").press("End")
    agent.locator("#reply-text").type(" Anything else?")
    agent.locator("#reply-text").press("Control+Enter")
    expect()(customer.locator(".sys.joined")).to_be_visible()
    expect()(customer.locator("#who")).to_have_text("With a person")
    expect()(customer.locator("#messages .msg.agent")).to_contain_text("Anything else?")
    sent = svc.store.latest_event(customer_conversation(customer), "agent_message").event
    assert sent.draft_id == draft.id and 0 < sent.draft_distance <= 0.2

    # While the agent holds it, the customer's message gets no bot reply.
    say(customer, "No, that's all, thanks")
    expect()(agent.locator("#transcript")).to_contain_text("that's all")

    # Hand back: one shortcut, then a confirmation with a note.
    agent.keyboard.press("Alt+b")
    expect()(agent.locator("#confirm")).to_be_visible()
    agent.fill("#handback-note", "Refund started for order 12345.")
    agent.click("#confirm-ok")
    expect()(agent.locator("#confirm")).to_be_hidden()
    expect()(agent.locator("#conv-status")).to_have_text("bot")
    expect()(customer.locator(".sys.back")).to_be_visible()
    expect()(customer.locator("#who")).to_have_text("Assistant")
    bot_replies = customer.locator("#messages .msg.bot")
    answered = bot_replies.count()  # the resumption notice may already say "I can help"
    say(customer, "One more question about shipping")
    expect()(bot_replies).to_have_count(answered + 1)
    expect()(bot_replies.last).to_contain_text("I can help")

    kinds = [kind for kind, _ in customer_transcript(customer)]
    assert kinds == ["customer", "bot", "customer", "bot", "agent", "customer", "bot", "customer", "bot"]
    # One continuous conversation: a reload shows the same chat, and nothing internal.
    before = customer_transcript(customer)
    customer.reload()
    expect()(customer.locator("#messages .msg:not(.intro)")).to_have_count(len(before))
    assert customer_transcript(customer) == before
    assert "Refund started" not in customer.content()
    context.close()


def customer_conversation(page) -> str:
    # The chat saves its conversation once the start request returns, which under load can be
    # after the first message is already on screen.
    # A function, not an expression: Playwright evaluates an expression with eval(), which the
    # page's CSP forbids whenever the condition is not already true at the first look.
    page.wait_for_function("() => sessionStorage.getItem('warmline.chat') !== null")
    return json.loads(page.evaluate("sessionStorage.getItem('warmline.chat')"))["id"]


XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script><b>person</b>'


def test_script_in_a_message_shows_as_text(chromium, web_server) -> None:
    svc, url = web_server.services, web_server.url
    customer = chromium.new_page()
    customer.goto(f"{url}/chat")
    say(customer, XSS)
    expect()(customer.locator("#messages .msg.customer p")).to_have_text(XSS)
    assert customer.locator("#messages img, #messages script, #messages b").count() == 0
    assert customer.evaluate("window.__pwned") is None
    # The agent sees it as text too, in the transcript.
    cid = customer_conversation(customer)
    agent = chromium.new_page(viewport=VIEWPORT)
    agent.goto(f"{url}/agent?conversation={cid}")
    sign_in(agent, token_of(staff_token(svc, "lead", ["billing"])))
    expect()(agent.locator("#transcript .msg.customer p")).to_have_text(XSS)
    assert agent.locator("#transcript img, #transcript script, #transcript b").count() == 0
    assert agent.evaluate("window.__pwned") is None


def test_streams_resume_after_the_server_restarts(chromium, web_server) -> None:
    svc, url = web_server.services, web_server.url
    started = actions.do_start_conversation(svc)
    cid = started.conversation_id
    actions.do_post_customer_message(svc, cid, "I need a person for order 55555")
    agent_auth = staff_token(svc, "agent", ["billing"])
    assert httpx.post(f"{url}/v1/conversations/{cid}/claim", headers=agent_auth).status_code == 200

    customer = chromium.new_context().new_page()
    chat = json.dumps({"id": cid, "token": started.customer_token})
    customer.add_init_script(f"sessionStorage.setItem('warmline.chat', JSON.stringify({chat}))")
    customer.goto(f"{url}/chat")
    expect()(customer.locator("#who")).to_have_text("With a person")
    agent = chromium.new_page(viewport=VIEWPORT)
    agent.goto(f"{url}/agent?conversation={cid}")
    sign_in(agent, token_of(agent_auth))
    expect()(agent.locator("#transcript")).to_contain_text("order 55555")
    expect()(agent.locator("#live")).to_have_text("Live")

    web_server.stop()
    expect()(agent.locator("#live")).to_have_text("Reconnecting…", timeout=15_000)
    # While the server is down the conversation moves on (another instance, say).
    actions.do_post_customer_message(svc, cid, "hello? still there?")
    time.sleep(0.5)
    restarted = LiveServer(svc, port=web_server.port).start()
    try:
        expect()(agent.locator("#transcript")).to_contain_text("still there?", timeout=20_000)
        expect()(agent.locator("#live")).to_have_text("Live")
        actions.do_post_customer_message(svc, cid, "after the restart")
        expect()(agent.locator("#transcript")).to_contain_text("after the restart")
        assert agent.locator("#transcript li", has_text="still there?").count() == 1  # no duplicate
        # And the other way round: the agent's reply reaches the customer's resumed stream.
        agent.fill("#reply-text", "Yes, I'm here.")
        agent.click("#send")
        expect()(customer.locator("#messages .msg.agent p")).to_have_text("Yes, I'm here.", timeout=20_000)
        expect()(customer.locator("#messages .msg.customer", has_text="still there?")).to_have_count(1)
    finally:
        restarted.stop()
        web_server._server = None  # already stopped; the fixture's stop is a no-op


def test_transfer_is_audited_in_the_lead_view(chromium, web_server) -> None:
    svc, url = web_server.services, web_server.url
    started = actions.do_start_conversation(svc)
    cid = started.conversation_id
    actions.do_post_customer_message(svc, cid, "order 777777 is damaged, a person please")
    agent_auth = staff_token(svc, "agent", ["billing"])
    assert httpx.post(f"{url}/v1/conversations/{cid}/claim", headers=agent_auth).status_code == 200
    agent = chromium.new_page(viewport=VIEWPORT)
    agent.goto(f"{url}/agent?conversation={cid}")
    sign_in(agent, token_of(agent_auth))
    agent.click("#transfer")
    agent.select_option("#transfer-team", "fraud")
    agent.fill("#transfer-reason", "card used from two countries")
    agent.click("#confirm-ok")
    expect()(agent.locator("#transcript")).to_contain_text("billing → fraud")

    lead = chromium.new_page(viewport=VIEWPORT)
    lead.goto(f"{url}/lead")
    sign_in(lead, token_of(staff_token(svc, "lead", [])))
    rows = lead.locator("#audit tbody tr")
    expect()(rows).to_have_count(4)  # policy decision, routing, handoff, transfer
    expect()(lead.locator("#audit")).to_contain_text("demo-3f9c2a1")
    expect()(lead.locator("#audit")).to_contain_text("human_request")
    lead.select_option("#f-type", "transferred")
    lead.click("#filters button[type=submit]")
    expect()(rows).to_have_count(1)
    expect()(rows.first).to_contain_text("card used from two countries")
    lead.select_option("#f-type", "")
    lead.select_option("#f-team", "orders")
    lead.click("#filters button[type=submit]")
    expect()(rows).to_have_count(0)


def test_sidebar_is_narrow_and_complete(chromium, web_server) -> None:
    svc, url = web_server.services, web_server.url
    started = actions.do_start_conversation(svc)
    actions.do_post_customer_message(svc, started.conversation_id, "refund for 424242 please, a person")
    token = token_of(staff_token(svc, "lead", ["billing"]))
    page = chromium.new_page(viewport={"width": 360, "height": 900})
    page.goto(f"{url}/sidebar?conversation={started.conversation_id}#access_token={token}")
    expect()(page.locator("#pl-summary")).to_contain_text("424242")
    for selector in ("#pl-summary", "#pl-facts", "#pl-next", "#pl-draft", "#pl-routing", "#pl-citations"):
        assert page.locator(selector).is_visible(), selector
    assert page.evaluate("document.documentElement.scrollWidth <= 360")
    assert "access_token" not in page.url  # the token is not left in the address bar


LABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(n => n.offsetParent !== null)
  .filter(n => !(n.labels && n.labels.length) && !n.getAttribute('aria-label') && !n.textContent.trim())
  .map(n => n.outerHTML)"""


@pytest.mark.parametrize("path", ["/chat", "/agent", "/lead", "/sidebar"])
def test_controls_are_labelled_and_fit_at_200_percent_zoom(chromium, web_server, path) -> None:
    # 200% zoom on a 1366x768 screen is a 683x384 CSS-pixel viewport at device scale 2.
    context = chromium.new_context(viewport={"width": 683, "height": 384}, device_scale_factor=2)
    page = context.new_page()
    page.goto(web_server.url + path)
    page.wait_for_load_state("networkidle")
    assert page.evaluate(LABELLED) == []
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    context.close()
