"""Bot sources: an outside bot's name, API token, webhook URL and signing secret.

``warmline token create --role bot --name NAME --webhook-url URL`` creates one. The token is a
staff-style API token (``wls_...``, stored as a SHA-256 hash) of role ``bot``. The webhook
signing secret (Standard Webhooks, ``whsec_`` + base64 of 32 bytes) is never stored: it is an
HMAC of the instance secret and a per-source random nonce, recomputed when an event is signed;
rotating it means a new nonce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from warmline.auth import BOT_ROLE, new_staff_token
from warmline.errors import Conflict, InvalidInput, NotFound
from warmline.storage.sql.engine import write_transaction
from warmline.storage.sql.schema import api_tokens, bot_sources, staff

SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
TEAM_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
SECRET_PREFIX = "whsec_"


class SourceNotFound(NotFound):
    code = "unknown_source"


class SourceSettings(BaseModel):
    """Per-source policy inputs: the bot's own confidence scale and intent names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The bot's confidence below this escalates as low confidence (None: never on its own).
    confidence_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    # The bot's intent name -> the team that owns it (overrides Warmline's routing by intent).
    intent_teams: dict[str, str] = {}

    @field_validator("intent_teams")
    @classmethod
    def _teams(cls, value: dict[str, str]) -> dict[str, str]:
        for intent, team in value.items():
            if not TEAM_NAME.match(team) or not 0 < len(intent) <= 200:
                raise ValueError(f"{intent!r} -> {team!r}: a team name is lower-case letters, digits, '-' or '_'")
        return value


@dataclass(frozen=True)
class BotSource:
    name: str
    staff_id: str
    webhook_url: str
    secret_nonce: str = field(repr=False)
    shadow: bool
    settings: SourceSettings
    created_at: datetime


def check_source_name(name: str) -> str:
    if not SOURCE_NAME.match(name):
        raise InvalidInput(
            "a bot's name is 1-32 characters: a lower-case letter, then letters, digits, '-' or '_'",
            code="invalid_source_name",
            details={"field": "name"},
        )
    return name


def check_webhook_url(url: str, *, production: bool = False) -> str:
    """An absolute http(s) URL without credentials; https only in production."""
    parts = urlsplit(url)
    problem = None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problem = "must be an absolute http:// or https:// URL"
    elif parts.username or parts.password:
        problem = "must not carry credentials (the webhook is signed instead)"
    elif len(url) > 2000:
        problem = "must be at most 2000 characters"
    elif production and parts.scheme != "https":
        problem = "must be https:// in production"
    if problem:
        raise InvalidInput(f"webhook URL {problem}", code="invalid_webhook_url", details={"field": "webhook_url"})
    return url


def check_settings(
    confidence_threshold: float | None, intent_teams: dict[str, str] | None, known_teams: Collection[str] = ()
) -> SourceSettings:
    """``known_teams``: the teams the service routes to (a bot intent owned by a misspelt team
    would strand its conversations in a queue nobody works); empty: any well-formed name."""
    try:
        checked = SourceSettings(confidence_threshold=confidence_threshold, intent_teams=intent_teams or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(
            f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}", code="invalid_source_settings"
        ) from None
    unknown = sorted({t for t in checked.intent_teams.values() if known_teams and t not in known_teams})
    if unknown:
        raise InvalidInput(
            f"intent_teams: unknown team(s) {', '.join(unknown)}",
            code="invalid_source_settings",
            details={"teams": sorted(known_teams)},
        )
    return checked


def signing_secret(instance_secret: str, source: str, nonce: str) -> str:
    key = hmac.new(instance_secret.encode(), f"bot-webhook:{source}:{nonce}".encode(), hashlib.sha256).digest()
    return SECRET_PREFIX + base64.b64encode(key).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a Standard Webhooks secret stands for."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


class BotSources:
    """The ``bot_sources`` table."""

    def __init__(self, engine: Engine, instance_secret: str, clock: Any = None):
        self.engine = engine
        self.instance_secret = instance_secret
        self.clock = clock or (lambda: datetime.now(UTC))

    def create(
        self,
        name: str,
        webhook_url: str,
        *,
        shadow: bool = False,
        settings: SourceSettings | None = None,
        production: bool = False,
    ) -> dict[str, Any]:
        """A new source with its token and secret (both shown once)."""
        name = check_source_name(name)
        webhook_url = check_webhook_url(webhook_url, production=production)
        settings = settings or SourceSettings()
        token, token_hash = new_staff_token()
        staff_id = "bt_" + secrets.token_hex(6)
        nonce = secrets.token_hex(16)
        now = self.clock()
        try:
            with write_transaction(self.engine) as connection:
                if connection.execute(select(bot_sources.c.name).where(bot_sources.c.name == name)).first():
                    raise Conflict(f"a bot named {name!r} exists already", code="source_exists")
                connection.execute(
                    insert(staff).values(
                        id=staff_id,
                        name=name,
                        role=BOT_ROLE,
                        teams="[]",
                        capacity=1,
                        presence="offline",
                        created_at=now,
                    )
                )
                connection.execute(insert(api_tokens).values(token_hash=token_hash, staff_id=staff_id, created_at=now))
                connection.execute(
                    insert(bot_sources).values(
                        name=name,
                        staff_id=staff_id,
                        webhook_url=webhook_url,
                        secret_nonce=nonce,
                        shadow=shadow,
                        settings=settings.model_dump_json(),
                        created_at=now,
                    )
                )
        except IntegrityError as exc:  # a concurrent create of the same name
            raise Conflict(f"a bot named {name!r} exists already", code="source_exists") from exc
        return {
            "name": name,
            "id": staff_id,
            "role": BOT_ROLE,
            "webhook_url": webhook_url,
            "shadow": shadow,
            "settings": settings.model_dump(),
            "token": token,
            "webhook_secret": signing_secret(self.instance_secret, name, nonce),
        }

    def get(self, name: str) -> BotSource:
        with self.engine.connect() as connection:
            row = connection.execute(select(bot_sources).where(bot_sources.c.name == name)).first()
        if row is None:
            raise SourceNotFound(f"no bot named {name!r}")
        return _source(row)

    def by_staff(self, staff_id: str) -> BotSource:
        with self.engine.connect() as connection:
            row = connection.execute(select(bot_sources).where(bot_sources.c.staff_id == staff_id)).first()
        if row is None:
            raise SourceNotFound("this bot token has no source")
        return _source(row)

    def all(self) -> list[BotSource]:
        with self.engine.connect() as connection:
            return [_source(r) for r in connection.execute(select(bot_sources).order_by(bot_sources.c.name))]

    def secret(self, source: BotSource) -> str:
        return signing_secret(self.instance_secret, source.name, source.secret_nonce)

    def set_shadow(self, name: str, shadow: bool) -> BotSource:
        self.get(name)
        with write_transaction(self.engine) as connection:
            connection.execute(update(bot_sources).where(bot_sources.c.name == name).values(shadow=shadow))
        return self.get(name)

    def rotate_secret(self, name: str) -> str:
        self.get(name)
        nonce = secrets.token_hex(16)
        with write_transaction(self.engine) as connection:
            connection.execute(update(bot_sources).where(bot_sources.c.name == name).values(secret_nonce=nonce))
        return signing_secret(self.instance_secret, name, nonce)


def _source(row: Any) -> BotSource:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return BotSource(
        name=row.name,
        staff_id=row.staff_id,
        webhook_url=row.webhook_url,
        secret_nonce=row.secret_nonce,
        shadow=bool(row.shadow),
        settings=SourceSettings.model_validate(json.loads(row.settings)),
        created_at=created,
    )
