"""The desks' published API descriptions, as a check on every request Warmline sends.

``PublishedApi.check(request)`` validates an ``httpx.Request`` (path, parameters, security and
body) against an OpenAPI description with openapi-core; ``example(...)`` is the response the
description documents for an operation, which the fake desks answer with.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import jsonschema
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPECS = Path(__file__).parent / "fixtures" / "openapi"

# Intercom 2.11 references this schema without defining it. 2.12 defines it as string, integer,
# datetime or a list of custom object instances; the last two are not defined in 2.11 either, so
# the primitive alternatives are kept (see SOURCE.md).
INTERCOM_CUSTOM_ATTRIBUTES = {
    "title": "Custom Attributes",
    "type": "object",
    "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
}


class _Request:
    """openapi-core's request protocol over an ``httpx.Request``."""

    def __init__(self, request: httpx.Request):
        self.host_url = f"{request.url.scheme}://{request.url.netloc.decode()}"
        self.path = request.url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "application/json").split(";")[0]
        query = parse_qsl(request.url.query.decode(), keep_blank_values=True)
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(query), header=Headers(list(request.headers.items())), cookie=ImmutableMultiDict()
        )

    @property
    def full_url_pattern(self) -> str:
        return self.host_url + self.path


class PublishedApi:
    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        self.api = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))  # type: ignore[arg-type]

    def check(self, request: httpx.Request) -> None:
        """Raise AssertionError naming what the published description refuses."""
        result = self.api.unmarshal_request(_Request(request))
        if result.errors:
            details = "; ".join(f"{e}: {getattr(e, '__cause__', '')}" for e in result.errors)
            raise AssertionError(f"{request.method} {request.url} does not match the published API: {details}")

    def example(self, path: str, method: str, status: str) -> Any:
        """The first documented example answer of an operation (resolving $ref)."""
        response = self.spec["paths"][path][method]["responses"][status]
        content = response["content"]["application/json"]
        examples = content.get("examples") or {}
        example = next(iter(examples.values())) if examples else {"value": content.get("example")}
        if "$ref" in example:
            example = self.spec["components"]["examples"][example["$ref"].rsplit("/", 1)[1]]
        return json.loads(json.dumps(example["value"]))


def _load(name: str) -> dict[str, Any]:
    with (SPECS / name).open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # type: ignore[no-any-return]


@cache
def intercom() -> PublishedApi:
    spec = _load("intercom-2.11.yaml")
    spec["components"]["schemas"].setdefault("custom_attributes", INTERCOM_CUSTOM_ATTRIBUTES)
    return PublishedApi(spec)


@cache
def sunshine_conversations() -> PublishedApi:
    return PublishedApi(_load("sunshine-conversations.yaml"))


@cache
def zendesk_tickets() -> dict[str, Any]:
    return json.loads((SPECS / "zendesk-tickets.schema.json").read_text())  # type: ignore[no-any-return]


def check_zendesk_ticket(request: httpx.Request) -> None:
    """A Support API ticket create or update, against the schema written from Zendesk's reference."""
    schema = zendesk_tickets()
    operation = "create" if request.method == "POST" else "update"
    if operation == "create":
        assert request.headers.get("idempotency-key"), "a ticket create must carry an Idempotency-Key"
    validator = jsonschema.Draft202012Validator({**schema[operation], "$defs": schema["$defs"]})
    errors = [e.message for e in validator.iter_errors(json.loads(request.content))]
    assert not errors, f"{request.method} {request.url}: {errors}"
