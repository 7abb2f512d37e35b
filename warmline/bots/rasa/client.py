"""Rasa's HTTP API as an outbox delivery kind: pause, relay, resume.

Requests follow Rasa's server spec (``docs/static/spec/rasa.yml`` in RasaHQ/rasa; recorded in
``tests/bots/fixtures/rasa/``):

- escalated: ``POST /conversations/{sender}/tracker/events`` with ``{"event": "pause"}``: Rasa
  stops predicting for the conversation (no double replies);
- agent message: set the relay slot (``{"event": "slot", ...}``), then
  ``POST /conversations/{sender}/execute?output_channel=latest`` with the relay response's name,
  which Rasa sends to the customer's channel (``execute`` runs while the tracker is paused,
  ``trigger_intent`` would not);
- handed back: ``{"event": "resume"}``, then, when the note names an intent (``/intent_name``),
  ``POST /conversations/{sender}/trigger_intent?output_channel=latest`` so the assistant picks
  the flow up at once instead of waiting for the customer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from warmline.bots.rasa.config import RasaConfig
from warmline.bots.webhooks import bot_event
from warmline.integrations.base import Desk, DeskConfig, DeskRequest, Outbound, Webhook
from warmline.storage.sql.store import Writer

DESK = "rasa"


def jwt(secret: str, now: float) -> str:
    """An HS256 JWT with the admin role Rasa's API checks (``{"user": {"role": "admin"}}``)."""

    def part(data: dict[str, Any]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=")

    signing = (
        part({"alg": "HS256", "typ": "JWT"})
        + b"."
        + part({"user": {"username": "warmline", "role": "admin"}, "exp": int(now) + 300})
    )
    mac = hmac.new(secret.encode(), signing, hashlib.sha256).digest()
    return (signing + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()


@dataclass
class RasaDesk(Desk):
    name: ClassVar[str] = DESK
    config_class: ClassVar[type[DeskConfig]] = RasaConfig
    events: ClassVar[dict[str, Any]] = {}
    probe: ClassVar[str] = "/status"
    clock: Callable[[], float] = time.time

    @property
    def rasa(self) -> RasaConfig:
        assert isinstance(self.config, RasaConfig)
        return self.config

    def auth_headers(self, api: str = "default") -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if secret := self.rasa.jwt_secret.get_secret_value():
            headers["authorization"] = f"Bearer {jwt(secret, self.clock())}"
        return headers

    def _path(self, sender: str, endpoint: str, **query: str) -> str:
        if token := self.rasa.token.get_secret_value():
            query["token"] = token
        suffix = f"?{urlencode(query)}" if query else ""
        return f"/conversations/{quote(sender, safe='')}/{endpoint}{suffix}"

    def plan(self, outbound: Outbound) -> list[DeskRequest]:
        data = outbound.body["data"]
        sender = str(data["external_id"])
        channel = {"output_channel": self.rasa.output_channel}
        if outbound.kind == "conversation.escalated":
            return [DeskRequest("pause", "POST", self._path(sender, "tracker/events"), json={"event": "pause"})]
        if outbound.kind == "conversation.agent_message":
            slot = {"event": "slot", "name": self.rasa.relay_slot, "value": data["text"]}
            return [
                DeskRequest("slot", "POST", self._path(sender, "tracker/events"), json=slot),
                DeskRequest(
                    "relay", "POST", self._path(sender, "execute", **channel), json={"name": self.rasa.relay_action}
                ),
            ]
        if outbound.kind == "conversation.handed_back":
            steps = [DeskRequest("resume", "POST", self._path(sender, "tracker/events"), json={"event": "resume"})]
            if data.get("trigger_intent"):
                steps.append(
                    DeskRequest(
                        "trigger",
                        "POST",
                        self._path(sender, "trigger_intent", **channel),
                        json={"name": data["trigger_intent"]},
                    )
                )
            return steps
        return []  # claimed, closed: nothing to tell Rasa

    def verify(self, webhook: Webhook) -> str:
        raise NotImplementedError("Rasa reaches Warmline through its event broker, not webhooks")

    def event_type(self, payload: dict[str, Any]) -> str:
        raise NotImplementedError

    def missing(self) -> list[str]:
        return [] if self.config.base_url else ["base_url"]


def rasa_hook(source: str) -> Callable[[Writer], None]:
    """Before-commit hook: queue Rasa's calls for the Rasa source's conversations."""

    def queue_rasa_calls(writer: Writer) -> None:
        if writer.state.source != source:
            return
        for record in writer.pending:
            event = bot_event(writer, record)
            if event is not None and event.type in RASA_EVENTS:
                writer.enqueue(DESK, event.type, event.model_dump(mode="json"))

    return queue_rasa_calls


RASA_EVENTS = frozenset({"conversation.escalated", "conversation.agent_message", "conversation.handed_back"})
