"""Regenerates the screenshots in ``docs/screenshots`` (``warmline screenshots``): a throwaway
database, the product's bot (embedded model, demo pack), the real app on loopback and Debian's Chromium driven by
Playwright, playing one handoff from the customer's first message to the agent's reply."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

import uvicorn

from warmline.app import build_services, create_app
from warmline.bus.memory import MemoryBus
from warmline.config import Settings
from warmline.packs.demo_data import load_demo_data
from warmline.staffing import do_create_staff

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ("agent-workspace.png", "sidebar.png", "customer-chat.png", "lead-view.png")


def _serve(settings: Settings, services: object, port: int) -> uvicorn.Server:
    app = create_app(settings, services=services)  # type: ignore[arg-type]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    return server


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def take_screenshots(out_dir: Path, chromium: str = "/usr/bin/chromium") -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{tmp}/screenshots.db",
            environment="test",
            cold_transfer_share=0.0,
        )
        services = build_services(settings, bus=MemoryBus())
        load_demo_data(services)
        teams = sorted(services.teams())
        kim = do_create_staff(services.store, "Kim Agent", "agent", teams)
        services.store.set_presence(kim["id"], "online")
        agent = kim["token"]
        lead = do_create_staff(services.store, "Lee Lead", "lead", [])["token"]
        port = _free_port()
        server = _serve(settings, services, port)
        url = f"http://127.0.0.1:{port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                customer = browser.new_page(viewport={"width": 480, "height": 720})
                customer.goto(f"{url}/chat?name=Dana%20Reyes")

                def say(text: str, count: int) -> None:
                    customer.fill("#message", text)
                    customer.press("#message", "Enter")
                    expect(customer.locator("#messages .msg:not(.intro)")).to_have_count(count)

                say("Hi, the jeans I ordered are too small and I'd like to return them", 2)
                say("I'm Dana Reyes, username dreyes482, order 4821356790", 4)
                say("Can I talk to a person please?", 6)
                conversation = customer.evaluate("JSON.parse(sessionStorage.getItem('warmline.chat')).id")

                desk = browser.new_page(viewport={"width": 1366, "height": 768})
                desk.goto(f"{url}/agent")
                desk.fill("#signin-token", agent)
                desk.click("#signin button[type=submit]")
                desk.click(".queue-item .claim")
                expect(desk.locator("#pl-summary")).to_be_visible()
                desk.locator("#reply-text").press("End")
                desk.locator("#reply-text").type(" Is there anything else?")
                desk.wait_for_timeout(300)
                desk.screenshot(path=str(out_dir / "agent-workspace.png"))
                desk.locator("#reply-text").press("Control+Enter")
                expect(customer.locator("#messages .msg.agent")).to_be_visible()
                customer.fill("#message", "That's great, thank you!")
                customer.press("#message", "Enter")
                expect(customer.locator("#messages .msg.customer")).to_have_count(4)
                customer.screenshot(path=str(out_dir / "customer-chat.png"))

                side = browser.new_page(viewport={"width": 360, "height": 900})
                side.goto(f"{url}/sidebar?conversation={conversation}#access_token={lead}")
                expect(side.locator("#pl-summary")).to_be_visible()
                side.screenshot(path=str(out_dir / "sidebar.png"), full_page=True)

                audit = browser.new_page(viewport={"width": 1366, "height": 768})
                audit.goto(f"{url}/lead")
                audit.fill("#signin-token", lead)
                audit.click("#signin button[type=submit]")
                expect(audit.locator("#audit tbody tr").first).to_be_visible()
                audit.screenshot(path=str(out_dir / "lead-view.png"))
                browser.close()
        finally:
            server.should_exit = True
            server.force_exit = True
            time.sleep(0.3)
            services.close()
    return [out_dir / name for name in SHOTS]


def take_dashboard_screenshot(
    url: str, lead_token: str, out_dir: Path, chromium: str = "/usr/bin/chromium", bucket: str = "minute"
) -> Path:
    """The metrics dashboard of a running service (after ``warmline simulate``, say)."""
    from playwright.sync_api import expect, sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "metrics-dashboard.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{url.rstrip('/')}/lead/metrics")
        page.fill("#token", lead_token)
        page.select_option("#bucket", bucket)
        page.click("#load")
        expect(page.locator("svg").first).to_be_visible()
        page.wait_for_timeout(500)
        page.screenshot(path=str(path), full_page=True)
        browser.close()
    return path
