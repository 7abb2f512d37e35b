"""Typed settings, read once from the environment (``WARMLINE_*``) and passed in.

Nothing reads the environment anywhere else. Secrets are masked in ``repr`` and the production
profile refuses defaults that are only safe on a laptop.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///warmline.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WARMLINE_", extra="ignore", frozen=True)

    environment: str = Field("development", pattern="^(development|test|production)$")
    database_url: str = DEFAULT_DATABASE_URL
    # "memory" for one process; "redis://host:port/db" when several app instances share streams.
    bus_url: str = "memory"
    pack: str = "demo"
    model: str = "embedded"
    model_endpoint: str | None = None
    model_api_key: SecretStr | None = None
    model_name: str | None = None
    # Largest customer/agent message accepted, in UTF-8 bytes.
    max_message_bytes: int = Field(8192, ge=64, le=1_048_576)
    # Largest request body accepted at all, in bytes.
    max_body_bytes: int = Field(65536, ge=1024, le=16_777_216)
    # How long a stored Idempotency-Key answer is kept, in hours.
    idempotency_ttl_hours: int = Field(24, ge=1)
    # Seconds between SSE keep-alive comments.
    stream_keepalive_s: float = Field(15.0, gt=0)
    # Origins allowed to frame the sidebar (staff payloads), space-separated, e.g.
    # "https://acme.zendesk.com https://*.zdusercontent.com https://acme.lightning.force.com".
    desk_origins: str = Field("", pattern=r"^[A-Za-z0-9:/.*\- ]*$")
    # Rate limits (``limits`` expressions, e.g. "20/second;600/minute"), see warmline.api.rate_limits.
    rate_limit_enabled: bool = True
    rate_limit_ip: str = "200/second;6000/minute"  # every /v1/ request from one client address
    rate_limit_token: str = "50/second;1500/minute"  # every /v1/ request with one token
    rate_limit_start: str = "20/second;1200/minute"  # conversations started from one address
    rate_limit_auth_failures: str = "20/minute"  # 401 answers to one address
    # Where the counters live: "memory://" (this process) or redis://; by default the bus's Redis.
    rate_limit_url: str | None = None
    # How long a stream ticket (``POST /v1/stream-tickets``) may be used to open its stream.
    stream_ticket_ttl_s: int = Field(60, ge=5, le=3600)
    load_demo_data: bool = True
    # Where people reach this service (links in desk notes and sidebar apps).
    public_url: str = "http://127.0.0.1:8000"
    # Cold-transfer experiment: this share of handoffs gets only the transcript and the name, as
    # today's desks do, so every metric can be compared between cohorts. Seeded: reproducible.
    cold_transfer_share: float = Field(0.10, ge=0.0, le=1.0)
    cold_transfer_seed: int = 7
    # The store's systems the bot looks orders up in: the pack's demo store by default, or a
    # deployment's own order system (docs/store-api.md) at this URL with this bearer token.
    store_url: str | None = None
    store_token: SecretStr | None = None
    # The store's site signs a signed-in customer's account id with this secret (``account_signature``
    # when starting a chat, HMAC-SHA256 hex): such a chat is signed in, and the bot shows that
    # account's records without asking who they are. Unset: an account id alone proves nothing.
    account_signing_secret: SecretStr | None = None
    store_timeout_s: float = Field(5.0, gt=0, le=60)

    @field_validator("rate_limit_ip", "rate_limit_token", "rate_limit_start", "rate_limit_auth_failures")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as error:
            raise ValueError(f"not a rate limit such as '20/second;600/minute': {value!r}") from error
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if not (url.startswith("sqlite") or url.startswith("postgresql")):
            raise ValueError("database_url must be a sqlite:/// or postgresql+psycopg:// URL")
        return url

    @model_validator(mode="after")
    def _safe_in_production(self) -> Settings:
        if self.environment == "production" and self.database_url == DEFAULT_DATABASE_URL:
            raise ValueError("production needs an explicit WARMLINE_DATABASE_URL")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (used by the CLI and tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
