"""Fakes of the four desks behind ``httpx.MockTransport``: they keep the records a real desk
would (tickets, cases, conversations), refuse what the real one refuses with its documented
error bodies, and answer with the documented response shapes. Every Intercom and Sunshine
Conversations request is validated against the published OpenAPI description, and every Zendesk
ticket request against the schema written from the Tickets reference; a violation is answered
400 and recorded in ``violations``."""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx

from tests.integrations import published

ZENDESK, SALESFORCE, INTERCOM, SERVICENOW = (
    "acme.zendesk.com",
    "acme.my.salesforce.com",
    "api.intercom.io",
    "acme.service-now.com",
)
CONVERSATION_FIELD = "360001234"  # the ticket field the Zendesk fake's messaging tickets keep


def basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def reply(status: int, body: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


@dataclass
class FakeDesks:
    requests: list[httpx.Request] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    # errors to answer before the documented behaviour: host -> list of responses (or callables)
    failures: dict[str, list[httpx.Response | Exception]] = field(default_factory=dict)
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, httpx.Response] = field(default_factory=dict)
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)  # Salesforce, by external id
    comments: list[dict[str, Any]] = field(default_factory=list)
    routings: dict[str, dict[str, Any]] = field(default_factory=dict)
    skills: list[dict[str, Any]] = field(default_factory=list)
    sn_cases: dict[str, dict[str, Any]] = field(default_factory=dict)  # ServiceNow, by sys_id
    sunco_messages: list[dict[str, Any]] = field(default_factory=list)
    intercom_parts: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    salesforce_token: str = "sf-token"
    ids: itertools.count = field(default_factory=lambda: itertools.count(35436))
    create_messaging_tickets: bool = True  # Zendesk makes the messaging ticket on a control pass

    def fail(self, host: str, *responses: httpx.Response | Exception) -> None:
        self.failures.setdefault(host, []).extend(responses)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queued = self.failures.get(request.url.host) or []
        if queued:
            failure = queued.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure
        route: Callable[[httpx.Request], httpx.Response] = {
            ZENDESK: self._zendesk,
            SALESFORCE: self._salesforce,
            INTERCOM: self._intercom,
            SERVICENOW: self._servicenow,
        }[request.url.host]
        return route(request)

    def sent(self, host: str) -> list[tuple[str, str, Any]]:
        return [
            (r.method, r.url.raw_path.decode(), json.loads(r.content) if r.content else None)
            for r in self.requests
            if r.url.host == host
        ]

    def _violation(self, error: AssertionError, answer: httpx.Response) -> httpx.Response:
        self.violations.append(str(error))
        return answer

    # --- Zendesk ----------------------------------------------------------------------------

    def _zendesk(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/sc/"):
            return self._sunco(request)
        if request.headers.get("authorization") != basic("bot@acme.test/token", "zd-token"):
            return reply(401, {"error": "Couldn't authenticate you"})
        if request.method in ("POST", "PUT") and path.startswith("/api/v2/tickets"):
            try:
                published.check_zendesk_ticket(request)
            except AssertionError as error:
                return self._violation(error, reply(422, {"error": "RecordInvalid", "description": str(error)}))
        if request.method == "POST" and path == "/api/v2/tickets.json":
            key = request.headers.get("idempotency-key", "")
            if key in self.idempotency:
                earlier = self.idempotency[key]
                return httpx.Response(201, content=earlier.content, headers={"x-idempotency-lookup": "hit"})
            ticket = {**json.loads(request.content)["ticket"], "id": next(self.ids), "status": "new"}
            ticket.pop("comment")
            self.tickets[ticket["id"]] = ticket
            answer = reply(201, {"ticket": ticket})
            self.idempotency[key] = answer
            return answer
        if (match := re.fullmatch(r"/api/v2/tickets/(\d+)\.json", path)) and request.method == "GET":
            shown = self.tickets.get(int(match.group(1)))
            if shown is None:
                return reply(404, {"error": "RecordNotFound", "description": "Not found"})
            fields = [{"id": int(k), "value": v} for k, v in shown.get("fields", {}).items()]
            return reply(200, {"ticket": {**shown, "custom_fields": fields}})
        if match := re.fullmatch(r"/api/v2/tickets/(\d+)\.json", path):
            known = self.tickets.get(int(match.group(1)))
            if known is None or request.method != "PUT":
                return reply(404, {"error": "RecordNotFound", "description": "Not found"})
            ticket = known
            change = json.loads(request.content)["ticket"]
            ticket.setdefault("comments", []).append(change.pop("comment", None))
            ticket["tags"] = [*ticket.get("tags", []), *change.pop("additional_tags", [])]
            ticket.update(change)
            return reply(200, {"ticket": ticket})
        if request.method == "GET" and path == "/api/v2/tickets.json":
            external = parse_qs(request.url.query.decode()).get("external_id", [""])[0]
            found = [t for t in self.tickets.values() if t.get("external_id") == external]
            return reply(200, {"tickets": found, "count": len(found), "next_page": None, "previous_page": None})
        if request.method == "GET" and path == "/api/v2/search.json":
            query = parse_qs(request.url.query.decode())["query"][0]
            wanted = re.search(r"custom_field_(\d+):(\S+)", query)
            found = [
                {**t, "result_type": "ticket"}
                for t in self.tickets.values()
                if wanted and t.get("fields", {}).get(wanted.group(1)) == wanted.group(2)
            ]
            return reply(200, {"results": found, "count": len(found), "facets": None, "next_page": None})
        return reply(404, {"error": "InvalidEndpoint", "description": "Not found"})

    def _sunco(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != basic("key_1", "sc"):
            return reply(401, {"errors": [{"code": "unauthorized", "title": "Authorization is required"}]})
        spec = published.sunshine_conversations()
        try:
            spec.check(request)
        except AssertionError as error:
            return self._violation(error, reply(400, {"errors": [{"code": "bad_request", "title": str(error)}]}))
        body = json.loads(request.content)
        if request.url.path.endswith("/passControl"):
            if body["switchboardIntegration"] == "next" and self.create_messaging_tickets:
                metadata = body.get("metadata") or {}
                fields = {
                    k.rsplit(".", 1)[1]: v for k, v in metadata.items() if k.startswith("dataCapture.ticketField.")
                }
                tags = str(metadata.get("dataCapture.systemField.tags", "")).split(",")
                ticket_id = next(self.ids)
                self.tickets[ticket_id] = {
                    "id": ticket_id,
                    "status": "open",
                    "fields": fields,
                    "tags": tags,
                    "via": "messaging",
                }
            path = "/v2/apps/{appId}/conversations/{conversationId}/passControl"
            return reply(200, spec.example(path, "post", "200"))
        self.sunco_messages.append(body)
        return reply(201, spec.example("/v2/apps/{appId}/conversations/{conversationId}/messages", "post", "201"))

    # --- Intercom ---------------------------------------------------------------------------

    def _intercom(self, request: httpx.Request) -> httpx.Response:
        spec = published.intercom()
        if request.headers.get("authorization") != "Bearer ic-token":
            return reply(401, spec.example("/conversations/{conversation_id}/reply", "post", "401"))
        try:
            spec.check(request)
        except AssertionError as error:
            return self._violation(
                error,
                reply(400, {"type": "error.list", "errors": [{"code": "parameter_invalid", "message": str(error)}]}),
            )
        path = request.url.path
        body = json.loads(request.content) if request.content else {}
        self.intercom_parts.append((path, body))
        if request.method == "PUT":
            return reply(200, spec.example("/conversations/{conversation_id}", "put", "200"))
        if path.endswith("/reply"):
            return reply(200, spec.example("/conversations/{conversation_id}/reply", "post", "200"))
        return reply(200, spec.example("/conversations/{conversation_id}/parts", "post", "200"))

    # --- Salesforce -------------------------------------------------------------------------

    def _salesforce(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/services/oauth2/token":
            form = parse_qs(request.content.decode())
            if form.get("grant_type") != ["refresh_token"] or form.get("refresh_token") != ["sf-refresh"]:
                return reply(400, {"error": "invalid_grant", "error_description": "expired access/refresh token"})
            self.salesforce_token = "sf-token-2"
            return reply(
                200,
                {
                    "access_token": "sf-token-2",
                    "signature": "Qsf3hnQuqe1xVk2ew8g4dn5i0kbk4R2Vv8+GNz7ZQzQ=",
                    "scope": "refresh_token api",
                    "instance_url": f"https://{SALESFORCE}",
                    "id": "https://login.salesforce.com/id/00Dxx0000001gPL/005xx000001Sv6A",
                    "token_type": "Bearer",
                    "issued_at": "1764590000000",
                },
            )
        if request.headers.get("authorization") != f"Bearer {self.salesforce_token}":
            return reply(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
        body = json.loads(request.content) if request.content else {}
        base = "/services/data/v60.0/sobjects"
        if match := re.fullmatch(base + r"/Case/Warmline_Conversation_Id__c/([\w-]+)", path):
            external = match.group(1)
            case = self.cases.get(external)
            if request.method == "GET":
                if case is None:
                    return reply(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
                return reply(200, {"attributes": {"type": "Case"}, "Id": case["Id"]})
            if case is None:
                if request.url.params.get("updateOnly") == "true":
                    return reply(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
                case = {"Id": f"500D000000cq{len(self.cases):04d}IAQ", **body}
                self.cases[external] = case
                return reply(201, {"id": case["Id"], "success": True, "errors": [], "created": True})
            case.update(body)
            return reply(200, {"id": case["Id"], "success": True, "errors": [], "created": False})
        if request.method == "POST" and path == f"{base}/CaseComment":
            parent = body.get("ParentId") or ""
            if parent.startswith("@{") or (not parent and "Parent" not in body):
                return reply(
                    400,
                    [
                        {
                            "message": "ParentId: id value of incorrect type",
                            "errorCode": "MALFORMED_ID",
                            "fields": ["ParentId"],
                        }
                    ],
                )
            if len(str(body.get("CommentBody", "")).encode()) > 4000:
                return reply(
                    400,
                    [
                        {
                            "message": "Comment Body: data value too large",
                            "errorCode": "STRING_TOO_LONG",
                            "fields": ["CommentBody"],
                        }
                    ],
                )
            self.comments.append(body)
            return reply(201, {"id": f"00aD000000Ab{len(self.comments):04d}", "success": True, "errors": []})
        if request.method == "POST" and path == f"{base}/PendingServiceRouting":
            known = {c["Id"] for c in self.cases.values()}
            if body.get("WorkItemId") not in known:
                return reply(
                    400,
                    [
                        {
                            "message": "invalid WorkItemId",
                            "errorCode": "FIELD_INTEGRITY_EXCEPTION",
                            "fields": ["WorkItemId"],
                        }
                    ],
                )
            routing_id = f"0JRD000000{len(self.routings):04d}"
            self.routings[routing_id] = body
            return reply(201, {"id": routing_id, "success": True, "errors": []})
        if request.method == "POST" and path == f"{base}/SkillRequirement":
            if body.get("RelatedRecordId") not in self.routings:
                return reply(
                    400,
                    [
                        {
                            "message": "invalid RelatedRecordId",
                            "errorCode": "FIELD_INTEGRITY_EXCEPTION",
                            "fields": ["RelatedRecordId"],
                        }
                    ],
                )
            self.skills.append(body)
            return reply(201, {"id": f"0tSD000000{len(self.skills):04d}", "success": True, "errors": []})
        if match := re.fullmatch(base + r"/PendingServiceRouting/(\w+)", path):
            if match.group(1) not in self.routings:
                return reply(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])
            self.routings[match.group(1)].update(body)
            return httpx.Response(204)
        return reply(404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}])

    # --- ServiceNow -------------------------------------------------------------------------

    def _servicenow(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != basic("warmline", "pw"):
            return reply(
                401,
                {
                    "error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"},
                    "status": "failure",
                },
            )
        table = "/api/now/table/sn_customerservice_case"
        path = request.url.path
        if path == table and request.method == "GET":
            query = parse_qs(request.url.query.decode()).get("sysparm_query", [""])[0]
            wanted = query.removeprefix("correlation_id=")
            found = [
                {"sys_id": s, "number": c["number"]}
                for s, c in self.sn_cases.items()
                if c.get("correlation_id") == wanted
            ]
            return reply(200, {"result": found[:1]})
        if path == table and request.method == "POST":
            sys_id = f"46d44a5ddb1c2010a6b7f3c2ca96{len(self.sn_cases):04d}"
            case = {**json.loads(request.content), "sys_id": sys_id, "number": f"CS{1234 + len(self.sn_cases):07d}"}
            self.sn_cases[sys_id] = case
            return reply(201, {"result": case})
        if path == table:  # the Table API has no PATCH, PUT or DELETE on a whole table
            return reply(
                405,
                {
                    "error": {
                        "message": "Method not Supported",
                        "detail": f"{request.method} on a table needs a sys_id",
                    },
                    "status": "failure",
                },
            )
        if (match := re.fullmatch(table + r"/(\w+)", path)) and request.method == "PATCH":
            existing = self.sn_cases.get(match.group(1))
            if existing is None:
                return reply(
                    404,
                    {
                        "error": {
                            "message": "No Record found",
                            "detail": "Record doesn't exist or ACL restricts the record retrieval",
                        },
                        "status": "failure",
                    },
                )
            change = json.loads(request.content)
            existing.setdefault("work_notes_log", []).append(change.get("work_notes"))
            existing.update(change)
            return reply(200, {"result": existing})
        return reply(400, {"error": {"message": "Invalid table", "detail": path}, "status": "failure"})
