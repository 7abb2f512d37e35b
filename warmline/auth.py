"""Who is calling: a customer of one conversation, or a staff member with a role.

Customer tokens are derived from the conversation id with an instance secret (HMAC), so they are
unguessable, cost no storage and are returned unchanged when a start request is retried. Staff
tokens are random and stored only as SHA-256 hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from warmline.errors import AuthError, Forbidden, InvalidInput

if TYPE_CHECKING:
    from warmline.storage.protocols import Directory

Role = Literal["customer", "agent", "lead", "admin", "bot"]
STAFF_ROLES: tuple[Role, ...] = ("agent", "lead", "admin")
BOT_ROLE = "bot"  # an outside bot: posts its conversations' turns, never works a queue
CUSTOMER_PREFIX = "wlc_"
STAFF_PREFIX = "wls_"


@dataclass(frozen=True)
class Principal:
    role: Role
    id: str  # conversation id for a customer, staff id otherwise
    name: str = ""
    teams: tuple[str, ...] = ()

    @property
    def actor(self) -> str:
        return "customer" if self.role == "customer" else f"{self.role}:{self.id}"

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            raise Forbidden(f"this needs one of the roles: {', '.join(roles)}", code="wrong_role")

    def may_read(self, conversation_id: str) -> None:
        if self.role == "customer" and self.id != conversation_id:
            raise Forbidden("a customer can only see their own conversation", code="not_your_conversation")
        if self.role == "bot":
            raise Forbidden(
                "a bot reads and writes its conversations through the ingestion API (/v1/conversations/{id}/turns)",
                code="wrong_role",
            )


def customer_token(secret: str, conversation_id: str) -> str:
    mac = hmac.new(secret.encode(), conversation_id.encode(), hashlib.sha256).digest()
    return f"{CUSTOMER_PREFIX}{conversation_id}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def account_signature(secret: str, account_id: str) -> str:
    """What the store's site sends with a signed-in customer's account id (HMAC-SHA256, hex): the
    chat then starts signed in, as with Intercom's identity verification."""
    return hmac.new(secret.encode(), account_id.encode(), hashlib.sha256).hexdigest()


def signed_account(secret: str | None, account_id: str | None, signature: str | None) -> bool:
    """Whether ``signature`` is the store's signature of ``account_id`` (never without a secret)."""
    if not secret or account_id is None or signature is None:
        return False
    return hmac.compare_digest(account_signature(secret, account_id), signature)


def new_staff_token() -> tuple[str, str]:
    """A fresh staff token and the hash that is stored."""
    token = STAFF_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_role(role: str) -> Role:
    for known in STAFF_ROLES:
        if role == known:
            return known
    raise InvalidInput(f"role must be one of {', '.join(STAFF_ROLES)}", code="invalid_role")


class Authenticator:
    """Resolves a bearer token to a principal. Staff look-ups are cached briefly (revocation takes
    effect within ``ttl`` seconds) so that the hot path does not hit the database per request."""

    def __init__(self, store: Directory, ttl: float = 30.0):
        self.store = store
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._customers: dict[str, Principal] = {}  # customer tokens already verified
        self._lock = threading.Lock()

    def cached(self, token: str | None) -> Principal | None:
        """The principal for ``token`` if it can be told without the database, else None."""
        if not token:
            return None
        if token.startswith(CUSTOMER_PREFIX):
            if (known := self._customers.get(token)) is not None:
                return known
            if not self.store.token_secret_cached:
                return None
            principal = self.authenticate(token)
            if len(self._customers) > 10_000:
                self._customers.clear()
            self._customers[token] = principal  # valid for good: derived from the instance secret
            return principal
        cached = self._cache.get(hash_token(token))
        return cached[1] if cached and cached[0] > time.monotonic() and cached[1] else None

    def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise AuthError("missing credentials: send 'Authorization: Bearer <token>'", code="missing_token")
        if token.startswith(CUSTOMER_PREFIX):
            conversation_id = token[len(CUSTOMER_PREFIX) :].split(".", 1)[0]
            expected = customer_token(self.store.token_secret(), conversation_id)
            if hmac.compare_digest(expected.encode(), token.encode()):
                return Principal("customer", conversation_id)
            raise AuthError("invalid token", code="invalid_token")
        principal = self._staff(hash_token(token))
        if principal is None:
            raise AuthError("invalid token", code="invalid_token")
        return principal

    def staff_by_hash(self, token_hash: str) -> Principal | None:
        """The staff member whose (unrevoked) token has this hash."""
        return self._staff(token_hash)

    def _staff(self, token_hash: str) -> Principal | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(token_hash)
        if cached and cached[0] > now:
            return cached[1]
        row = self.store.staff_by_token(token_hash)
        principal = None if row is None else Principal(row["role"], row["id"], row["name"], tuple(row["teams"]))
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[token_hash] = (now + self.ttl, principal)
        return principal
