"""The body guard: what a write's body must be before any route, dependency or parser sees it.

Writes under ``/v1/`` must be JSON (415 ``unsupported_media_type``), at most
``max_body_bytes`` long (413 ``body_too_large``), valid UTF-8 and nested at most
``MAX_DEPTH`` deep (400 ``malformed_json``). A body sent with ``Transfer-Encoding: chunked`` has
no length to check up front, so it is read here, chunk by chunk, and refused as soon as it
passes the limit: no more than ``max_body_bytes`` is ever held for it. The body read here is
handed to the app unchanged, so it is read from the network once.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warmline.api.errors import error_response

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_DEPTH = 32  # no request body of the API nests deeper than a few levels
STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
BRACKET = re.compile(rb"[\[\]{}]")


def too_deep(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text nests more than ``limit`` arrays/objects deep. Cheap for ordinary
    bodies: only one with more brackets than the limit is scanned."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in BRACKET.finditer(STRING.sub(b'""', body)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class BodyGuard:
    def __init__(self, app: ASGIApp, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        chunked = length is None and b"transfer-encoding" in headers
        media = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        if (chunked or length not in (None, b"0")) and media != b"application/json":
            await error_response(415, "unsupported_media_type", "send the body as application/json")(
                scope, receive, send
            )
            return
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await self._too_large(scope, receive, send)
            return
        if length is None and not chunked:
            await self.app(scope, receive, send)
            return
        body, more = await self._read(receive)
        if more:
            await self._too_large(scope, receive, send)
            return
        if body:
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                await error_response(400, "malformed_json", "the request body is not valid UTF-8")(scope, receive, send)
                return
            if too_deep(body):
                message = f"the request body nests deeper than {MAX_DEPTH} levels"
                await error_response(400, "malformed_json", message)(scope, receive, send)
                return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> tuple[bytes, bool]:
        """The body, and whether more was coming when it passed the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return b"".join(chunks), False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"", True
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), False

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"the body is larger than {self.max_body_bytes} bytes"
        await error_response(413, "body_too_large", message)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
