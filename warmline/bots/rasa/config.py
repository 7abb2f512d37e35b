"""Rasa's settings (``WARMLINE_RASA_*``), read once at start-up."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from warmline.integrations.base import DeskConfig


class RasaConfig(DeskConfig):
    model_config = SettingsConfigDict(env_prefix="WARMLINE_RASA_", frozen=True, extra="ignore")

    # base_url: the Rasa server (``rasa run --enable-api``), e.g. http://rasa:5005
    source: str = "rasa"  # the bot source (warmline token create --role bot --name ...)
    # Rasa's API auth: ``--auth-token`` (sent as ?token=) or ``--jwt-secret`` (HS256 bearer JWT).
    token: SecretStr = SecretStr("")
    jwt_secret: SecretStr = SecretStr("")
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    exchange: str = "rasa-exchange"  # Rasa's ``exchange_name`` (its default)
    queue: str = "warmline"  # list it under ``queues`` in Rasa's endpoints.yml too
    # Rasa intents that mean "a person, please" (the bot's own handoff signal) and "not mine".
    handoff_intents: tuple[str, ...] = ("human_handoff",)
    out_of_scope_intents: tuple[str, ...] = ("out_of_scope", "nlu_fallback")
    # What Rasa runs to show an agent's message: a response that prints the slot.
    relay_slot: str = "warmline_agent_message"
    relay_action: str = "utter_warmline_agent_message"
    output_channel: str = "latest"
