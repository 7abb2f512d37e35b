"""ServiceNow (Customer Service Management): a case with routing fields and work notes.

Outbound (Table API): ``POST /api/now/table/sn_customerservice_case`` with ``correlation_id`` =
the Warmline conversation id, assignment group, priority and ``work_notes`` holding the payload;
handback and close update the case found by ``correlation_id`` through the same table.
Inbound: a business rule posts Warmline-signed events (see docs/integrations).
"""

from __future__ import annotations

import base64
from typing import Any, ClassVar

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from warmline.integrations.base import (
    FLOW_EVENTS,
    Desk,
    DeskConfig,
    DeskRequest,
    Webhook,
    case_title,
    summary_note,
    verify_signed_post,
)

TABLE = "/api/now/table/sn_customerservice_case"


class ServiceNowConfig(DeskConfig):
    model_config = SettingsConfigDict(env_prefix="WARMLINE_SERVICENOW_", frozen=True, extra="ignore")
    username: str = ""
    password: SecretStr = SecretStr("")
    group_ids: dict[str, str] = {}  # Warmline team -> assignment group sys_id


class ServiceNow(Desk):
    name: ClassVar[str] = "servicenow"
    config_class: ClassVar[type[DeskConfig]] = ServiceNowConfig
    probe: ClassVar[str] = "/api/now/table/sys_user?sysparm_limit=1"
    events: ClassVar = FLOW_EVENTS
    config: ServiceNowConfig

    def headers(self) -> dict[str, str]:
        basic = base64.b64encode(f"{self.config.username}:{self.config.password.get_secret_value()}".encode()).decode()
        return {"Authorization": f"Basic {basic}", "Content-Type": "application/json", "Accept": "application/json"}

    def outbound(self, kind: str, body: dict[str, Any]) -> list[DeskRequest]:
        if kind == "handoff":
            record: dict[str, Any] = {
                "correlation_id": body["conversation_id"],
                "short_description": case_title(body),
                "priority": str(int(body.get("priority", 3))),
                "contact_type": "chat",
                "u_warmline_team": body.get("team", ""),
                "u_warmline_skills": ",".join(body.get("skills", [])),
                "work_notes": summary_note(body),
            }
            group = self.config.group_ids.get(str(body.get("team")))
            if group:
                record["assignment_group"] = group
            return [DeskRequest("POST", TABLE, record)]
        notes = {
            "handback": f"Handed back to the Warmline assistant: {body.get('note', '')}",
            "closed": "Closed in Warmline.",
        }
        if kind not in notes:
            return []
        return [
            DeskRequest(
                "PATCH",
                f"{TABLE}?sysparm_query=correlation_id={body['conversation_id']}",
                {"work_notes": notes[kind], **({"state": "3"} if kind == "closed" else {})},
            )
        ]

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
