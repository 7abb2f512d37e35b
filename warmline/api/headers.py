"""Security headers on every response, and the API docs page under a CSP of its own.

Every response gets ``X-Content-Type-Options: nosniff``; every HTML page gets a Content Security
Policy (scripts and styles from this origin only, no inline script, ``frame-ancestors 'self'``)
and ``Referrer-Policy: no-referrer`` unless its route set stricter or embeddable ones itself (the
web surfaces in ``warmline.web.routes``). ``/docs`` (Swagger UI) loads its code from a CDN and
starts it with one inline script: its CSP names exactly that CDN and that script's hash.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors 'self'"
)
SWAGGER_CDN = "https://cdn.jsdelivr.net"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", PAGE_CSP)
                    headers.setdefault("Referrer-Policy", "no-referrer")
            await send(message)

        await self.app(scope, receive, sending)


def install_docs(app: FastAPI) -> None:
    """``/docs`` with a CSP that allows the Swagger UI bundle and its one inline start script."""

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - API")
        html = bytes(page.body).decode()
        hashes = " ".join(
            "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
            for script in INLINE_SCRIPT.findall(html)
        )
        page.headers["Content-Security-Policy"] = (
            f"default-src 'self'; script-src 'self' {SWAGGER_CDN} {hashes}; style-src 'self' {SWAGGER_CDN}; "
            "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; base-uri 'none'; "
            "object-src 'none'; frame-ancestors 'none'"
        )
        return page
