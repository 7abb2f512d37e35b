"""Small pieces shared by the pure ASGI middlewares (rate limits, request metrics)."""

from __future__ import annotations

from starlette.types import Message, Send


class StatusRecorder:
    """An ASGI ``send`` that passes every message on and keeps the response's status code, for
    middlewares that act on the outcome after the app answered (``status`` is ``default`` until
    the response starts, e.g. when the app raised)."""

    def __init__(self, send: Send, default: int = 0):
        self._send = send
        self.status = default

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        await self._send(message)
