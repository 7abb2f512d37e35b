"""Salesforce Service Cloud: a Case (upserted by the Warmline conversation id) whose fields an
Omni-Channel routing configuration can use, and an internal CaseComment with the payload.

Outbound (REST API): ``PATCH /services/data/vXX.X/sobjects/Case/Warmline_Conversation_Id__c/{id}``
(upsert by external id, so a retried call cannot create a second case), then
``POST .../sobjects/CaseComment`` with ``IsPublished: false``.
Inbound: a record-triggered Flow or Apex posts Warmline-signed events (see docs/integrations).
"""

from __future__ import annotations

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

PRIORITIES = {1: "High", 2: "High", 3: "Medium", 4: "Low"}


class SalesforceConfig(DeskConfig):
    model_config = SettingsConfigDict(env_prefix="WARMLINE_SALESFORCE_", frozen=True, extra="ignore")
    access_token: SecretStr = SecretStr("")
    api_version: str = "v60.0"
    origin: str = "Chat"


class Salesforce(Desk):
    name: ClassVar[str] = "salesforce"
    config_class: ClassVar[type[DeskConfig]] = SalesforceConfig
    probe: ClassVar[str] = "/services/data/"
    events: ClassVar = FLOW_EVENTS
    config: SalesforceConfig

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.config.access_token.get_secret_value()}",
            "Content-Type": "application/json",
        }

    def outbound(self, kind: str, body: dict[str, Any]) -> list[DeskRequest]:
        base = f"/services/data/{self.config.api_version}/sobjects"
        case_path = f"{base}/Case/Warmline_Conversation_Id__c/{body['conversation_id']}"
        if kind == "handback":
            return [
                DeskRequest(
                    "PATCH", case_path, {"Status": "Handed Back", "Warmline_Handback_Note__c": body.get("note", "")}
                )
            ]
        if kind == "closed":
            return [DeskRequest("PATCH", case_path, {"Status": "Closed"})]
        payload = body.get("payload", {})
        case = {
            "Subject": case_title(body),
            "Origin": self.config.origin,
            "Priority": PRIORITIES.get(int(body.get("priority", 3)), "Medium"),
            "Status": "New",
            "Warmline_Team__c": body.get("team", ""),
            "Warmline_Skills__c": ";".join(body.get("skills", [])),
            "Warmline_Priority__c": int(body.get("priority", 3)),
            "Warmline_SLA_Due__c": body.get("sla_due_at"),
            "Warmline_Summary__c": str(payload.get("summary", ""))[:1000],
            "Warmline_Sidebar_URL__c": body.get("sidebar_url", ""),
        }
        comment_path = f"{base}/CaseComment"
        return [
            DeskRequest("PATCH", case_path, case),
            DeskRequest(
                "POST",
                comment_path,
                {
                    "ParentId": f"@{{Warmline_Conversation_Id__c:{body['conversation_id']}}}",
                    "CommentBody": summary_note(body),
                    "IsPublished": False,
                },
            ),
        ]

    def verify(self, webhook: Webhook) -> str:
        return verify_signed_post(webhook, self.config.webhook_secret.get_secret_value())

    def event_type(self, payload: dict[str, Any]) -> str:
        return str(payload.get("event", ""))

    def missing(self) -> list[str]:
        problems = super().missing()
        if not self.config.access_token.get_secret_value():
            problems.append("access_token")
        return problems
