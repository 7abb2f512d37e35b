"""The OpenAPI document lists every error an operation can answer, each with the one error
shape (``{"error": {"code", "message", "details"}}``), so generated clients and contract testers
(e.g. schemathesis) know every status code the service sends."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "stable machine code, see the README"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}
READ_ERRORS = {
    401: "missing_token, invalid_token",
    403: "wrong_role, not_your_conversation, not_your_team, not_assigned",
    404: "not_found, conversation_not_found, no_payload, ...",
    422: "invalid_request and the other input codes",
    429: "rate_limited: wait Retry-After seconds",
}
WRITE_ERRORS = {
    400: "malformed_json",
    409: "illegal_transition, already_claimed, at_capacity, idempotency_key_reused, ...",
    413: "body_too_large, message_too_large",
    415: "unsupported_media_type",
}
WRITES = ("post", "put", "patch", "delete")


def install_openapi(app: FastAPI) -> None:
    """Add the error responses to the document ``app.openapi`` builds (call after the routes and
    any other change to the document are installed)."""
    build = app.openapi
    documented = False

    def document() -> dict[str, Any]:
        nonlocal documented
        schema = build()
        if documented:
            return schema
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Error"] = ERROR_SCHEMA
        for schema_name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(schema_name, None)
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith("/v1/"):
                continue
            for method, operation in operations.items():
                errors = {**READ_ERRORS, **(WRITE_ERRORS if method in WRITES else {})}
                responses = operation.setdefault("responses", {})
                for status, codes in sorted(errors.items()):
                    response: dict[str, Any] = {
                        "description": codes,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    }
                    if status == 429:
                        response["headers"] = {
                            "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
                        }
                    responses[str(status)] = response
        documented = True
        return schema

    app.openapi = document  # type: ignore[method-assign]
