"""ServiceNow (Customer Service Management): one case per conversation, created once.

Outbound (Table API): before creating, the case is looked up by ``correlation_id`` (the Warmline
conversation id): ``GET /api/now/table/sn_customerservice_case?sysparm_query=correlation_id=...``;
only when none exists is it created (``POST``), and its ``sys_id`` is kept. A transfer, handback
and close update that record: ``PATCH /api/now/table/sn_customerservice_case/{sys_id}`` (the
Table API has no PATCH by query). The case carries the routing fields, ``work_notes`` with the
payload, and ``u_warmline_payload`` (JSON) that the workspace side panel renders.
Inbound: a business rule posts Warmline-signed events (see docs/integrations).
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from warmline.integrations.base import (
    FLOW_EVENTS,
    Desk,
    DeskConfig,
    DeskRequest,
    Outbound,
    Webhook,
    case_title,
    handback_note,
    json_links,
    panel_document,
    summary_note,
    transfer_note,
    verify_signed_post,
)

RESOLVED = "6"  # CSM case state "Resolved"
PANEL_LIMIT = 65000  # u_warmline_payload, a String column at its largest


class ServiceNowConfig(DeskConfig):
    model_config = SettingsConfigDict(env_prefix="WARMLINE_SERVICENOW_", frozen=True, extra="ignore")
    username: str = ""
    password: SecretStr = SecretStr("")
    table: str = "sn_customerservice_case"
    group_ids: dict[str, str] = {}  # Warmline team -> assignment group sys_id


class ServiceNow(Desk):
    name: ClassVar[str] = "servicenow"
    config_class: ClassVar[type[DeskConfig]] = ServiceNowConfig
    probe: ClassVar[str] = "/api/now/table/sys_user?sysparm_limit=1"
    events: ClassVar = FLOW_EVENTS
    config: ServiceNowConfig

    def auth_headers(self, api: str = "default") -> dict[str, str]:
        basic = base64.b64encode(f"{self.config.username}:{self.config.password.get_secret_value()}".encode()).decode()
        return {"Authorization": f"Basic {basic}", "Content-Type": "application/json", "Accept": "application/json"}

    def _table(self) -> str:
        return f"/api/now/table/{self.config.table}"

    def plan(self, outbound: Outbound) -> list[DeskRequest]:
        body, kind = outbound.body, outbound.kind
        if kind == "message":
            return []
        query = quote(f"correlation_id={body['conversation_id']}")
        lookup = DeskRequest(
            "find_case",
            "GET",
            f"{self._table()}?sysparm_query={query}&sysparm_fields=sys_id,number&sysparm_limit=1",
            learn=json_links("result", "0", "sys_id", name="sys_id"),
            learns=("sys_id",),
            lookup=True,
        )
        sys_id = outbound.find("sys_id", lookup)
        if kind in ("handoff", "transfer"):
            record: dict[str, Any] = {
                "short_description": case_title(body),
                "priority": str(int(body.get("priority") or 3)),
                "u_warmline_team": body.get("team") or "",
                "u_warmline_skills": ",".join(body.get("skills") or []),
                "u_warmline_payload": panel_document(body, PANEL_LIMIT),
                "work_notes": summary_note(body) if kind == "handoff" else transfer_note(body),
            }
            group = self.setting(self.config.group_ids.get(str(body.get("team"))), "assignment_group")
            if group:
                record["assignment_group"] = group
            if sys_id is None:
                created = {"correlation_id": body["conversation_id"], "contact_type": "chat", **record}
                learn = json_links("result", "sys_id", name="sys_id")
                return [DeskRequest("case", "POST", self._table(), created, learn=learn, learns=("sys_id",))]
            return [DeskRequest("case", "PATCH", f"{self._table()}/{sys_id}", record)]
        # one step name for create and update: once the case is written, re-planning (now with
        # its sys_id) does not write it again
        if sys_id is None:
            return []  # the handoff never made a case: nothing to update, and nothing is created
        if kind == "handback":
            change = {"work_notes": handback_note(body)}
        else:
            change = {"state": RESOLVED, "close_notes": "Resolved in Warmline.", "work_notes": "Resolved in Warmline."}
        return [DeskRequest("case", "PATCH", f"{self._table()}/{sys_id}", change)]

    def verify(self, webhook: Webhook) -> str:
        return verify_signed_post(webhook, self.config.webhook_secret.get_secret_value())

    def event_type(self, payload: dict[str, Any]) -> str:
        return str(payload.get("event", ""))

    def missing(self) -> list[str]:
        problems = super().missing()
        if not self.config.username:
            problems.append("username")
        if not self.config.password.get_secret_value():
            problems.append("password")
        return problems
