"""One error tree with stable machine codes.

Every error the service raises on purpose is a ``WarmlineError``. The API turns it into the one
JSON error shape (``{"error": {"code", "message", "details"}}``) in ``warmline.api.errors``; the CLI
prints its message and exits non-zero. Codes are part of the public interface: never rename one.
"""

from __future__ import annotations

from typing import Any


class WarmlineError(Exception):
    code = "error"
    status = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code is not None:
            self.code = code


class InvalidInput(WarmlineError):
    """The request is well-formed but a value is not acceptable."""

    code = "invalid_request"
    status = 422


class MessageTooLarge(InvalidInput):
    code = "message_too_large"
    status = 413


class NotFound(WarmlineError):
    code = "not_found"
    status = 404


class ConversationNotFound(NotFound):
    code = "conversation_not_found"


class AgentNotFound(NotFound):
    code = "agent_not_found"


class Conflict(WarmlineError):
    code = "conflict"
    status = 409


class IllegalTransition(Conflict):
    """The conversation's lifecycle does not allow this action in its current state."""

    code = "illegal_transition"


class IdempotencyKeyReused(Conflict):
    """The same Idempotency-Key was sent again with a different request."""

    code = "idempotency_key_reused"


class AuthError(WarmlineError):
    code = "unauthenticated"
    status = 401


class Forbidden(WarmlineError):
    code = "forbidden"
    status = 403


class ConfigurationError(WarmlineError):
    """Settings or a data file cannot be used; raised at start-up, never per request."""

    code = "configuration_error"


class MissingExtra(ConfigurationError):
    """An optional backend was selected but its package is not installed."""

    code = "missing_extra"

    def __init__(self, feature: str, package: str):
        super().__init__(f"{feature} needs the '{package}' package: pip install {package}")
