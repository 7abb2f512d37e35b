"""Salesforce Service Cloud: one Case per conversation, routed by Omni-Channel skills.

Outbound (REST API): the handoff upserts the Case by the external id
``Warmline_Conversation_Id__c`` (``PATCH /sobjects/Case/Warmline_Conversation_Id__c/{id}``: a
retried call cannot make a second case), adds an internal ``CaseComment`` (``ParentId`` = the
case's Id, or the ``Parent`` external-id relationship; ``CommentBody`` at most 4,000 bytes) and,
when a service channel is configured, routes the case: a ``PendingServiceRouting`` with
``RoutingType: SkillsBased``, one ``SkillRequirement`` per skill, then ``IsReadyForRouting``.
A transfer, handback and close update the case with ``?updateOnly=true`` (a case that does not
exist is an error, never an empty new case). The panel on the Case and Messaging Session pages
(``lwc/warmlinePayload``) reads ``Warmline_Payload__c``.
Auth: OAuth 2.0 bearer token, renewed with the refresh-token flow on a 401; a 403
``REQUEST_LIMIT_EXCEEDED`` waits and retries (see the dispatcher).
Inbound: a record-triggered Flow or Apex posts Warmline-signed events (see docs/integrations).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import httpx
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from warmline.integrations.base import (
    FLOW_EVENTS,
    Desk,
    DeskConfig,
    DeskRequest,
    Outbound,
    Webhook,
    cap_utf8,
    case_title,
    handback_note,
    json_links,
    panel_document,
    summary_note,
    transfer_note,
    verify_signed_post,
)

log = logging.getLogger("warmline.integrations")
PRIORITIES = {1: "High", 2: "High", 3: "Medium", 4: "Low"}
COMMENT_LIMIT = 4000  # CaseComment.CommentBody, in bytes


class SalesforceConfig(DeskConfig):
    model_config = SettingsConfigDict(env_prefix="WARMLINE_SALESFORCE_", frozen=True, extra="ignore")
    access_token: SecretStr = SecretStr("")
    refresh_token: SecretStr = SecretStr("")  # OAuth refresh token of the integration user
    client_id: str = ""  # the connected app's consumer key
    client_secret: SecretStr = SecretStr("")
    api_version: str = "v60.0"
    origin: str = "Chat"
    service_channel_id: str = ""  # Omni-Channel service channel for cases (0N9...)
    skill_ids: dict[str, str] = {}  # Warmline skill -> Omni-Channel Skill Id (0C5...)
    routing_model: str = "MostAvailable"


class Salesforce(Desk):
    name: ClassVar[str] = "salesforce"
    config_class: ClassVar[type[DeskConfig]] = SalesforceConfig
    probe: ClassVar[str] = "/services/data/v60.0/limits"
    events: ClassVar = FLOW_EVENTS
    config: SalesforceConfig
    _token: str = ""  # the renewed access token, once refreshed

    def auth_headers(self, api: str = "default") -> dict[str, str]:
        token = self._token or self.config.access_token.get_secret_value()
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"}

    def refresh(self, client: httpx.Client) -> bool:
        refresh_token = self.config.refresh_token.get_secret_value()
        if not refresh_token or not self.config.client_id:
            return False
        form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret.get_secret_value(),
        }
        url = self.config.base_url.rstrip("/") + "/services/oauth2/token"
        try:
            response = client.post(url, data=form, headers={"Accept": "application/json"})
            token = str(response.json().get("access_token", "")) if response.status_code == 200 else ""
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("Salesforce token refresh failed: %s", exc)
            return False
        if not token:
            log.warning("Salesforce token refresh refused: %s %s", response.status_code, response.text[:200])
            return False
        self._token = token
        return True

    def _base(self) -> str:
        return f"/services/data/{self.config.api_version}/sobjects"

    def plan(self, outbound: Outbound) -> list[DeskRequest]:
        body, kind = outbound.body, outbound.kind
        if kind == "message":
            return []
        cid = body["conversation_id"]
        case_path = f"{self._base()}/Case/Warmline_Conversation_Id__c/{cid}"
        learn_case = json_links("id", name="case_id")
        if kind == "handback":
            fields = {"Status": "Handed Back", "Warmline_Handback_Note__c": cap_utf8(body.get("note") or "", 4000)}
            return [
                DeskRequest("update_case", "PATCH", f"{case_path}?updateOnly=true", fields, learn=learn_case),
                self._comment(outbound, handback_note(body)),
            ]
        if kind == "closed":
            return [DeskRequest("update_case", "PATCH", f"{case_path}?updateOnly=true", {"Status": "Closed"})]
        payload = body.get("payload") or {}
        case = {
            "Priority": PRIORITIES.get(int(body.get("priority") or 3), "Medium"),
            "Warmline_Team__c": body.get("team") or "",
            "Warmline_Skills__c": ";".join(body.get("skills") or []),
            "Warmline_Priority__c": int(body.get("priority") or 3),
            "Warmline_SLA_Due__c": body.get("sla_due_at"),
            "Warmline_Summary__c": cap_utf8(str(payload.get("summary", "")), 1000),
            "Warmline_Sidebar_URL__c": body.get("sidebar_url", ""),
            "Warmline_Payload__c": panel_document(body),
        }
        if kind == "handoff":
            case = {"Subject": case_title(body), "Origin": self.config.origin, "Status": "New", **case}
            upsert = DeskRequest("upsert_case", "PATCH", case_path, case, learn=learn_case, learns=("case_id",))
            note = summary_note(body)
        else:
            upsert = DeskRequest("update_case", "PATCH", f"{case_path}?updateOnly=true", case, learn=learn_case)
            note = transfer_note(body)
        return [upsert, self._comment(outbound, note), *self._route(outbound, case_path)]

    def _comment(self, outbound: Outbound, text: str) -> DeskRequest:
        case_id = outbound.links.get("case_id")
        parent: dict[str, Any] = (
            {"ParentId": case_id}
            if case_id
            else {"Parent": {"Warmline_Conversation_Id__c": outbound.body["conversation_id"]}}
        )
        comment = {**parent, "CommentBody": cap_utf8(text, COMMENT_LIMIT), "IsPublished": False}
        return DeskRequest("comment", "POST", f"{self._base()}/CaseComment", comment)

    def _route(self, outbound: Outbound, case_path: str) -> list[DeskRequest]:
        """Omni-Channel skills-based routing of the case, when a service channel is configured."""
        channel = self.setting(self.config.service_channel_id, "service_channel_id")
        if not channel:
            return []
        case_id = outbound.links.get("case_id")
        if not case_id:  # an upsert that answered 204 names no Id: read it
            find = DeskRequest(
                "find_case", "GET", f"{case_path}?fields=Id", learn=json_links("Id", name="case_id"), lookup=True
            )
            return [find]
        psr_link = f"psr_id:{outbound.key}"
        psr = {
            "WorkItemId": case_id,
            "ServiceChannelId": channel,
            "RoutingType": "SkillsBased",
            "RoutingModel": self.config.routing_model,
            "RoutingPriority": int(outbound.body.get("priority") or 3),
            "CapacityWeight": 1,
            "IsReadyForRouting": False,
        }
        create = DeskRequest(
            "routing",
            "POST",
            f"{self._base()}/PendingServiceRouting",
            psr,
            learn=json_links("id", name=psr_link),
            learns=(psr_link,),
        )
        psr_id = outbound.links.get(psr_link)
        if not psr_id:
            return [create]
        steps = [create]
        for skill in outbound.body.get("skills") or []:
            skill_id = self.setting(self.config.skill_ids.get(skill), f"skill_id:{skill}")
            if skill_id:
                requirement = {"RelatedRecordId": psr_id, "SkillId": skill_id, "SkillLevel": 1}
                steps.append(DeskRequest(f"skill:{skill}", "POST", f"{self._base()}/SkillRequirement", requirement))
        ready = {"IsReadyForRouting": True}
        steps.append(DeskRequest("route", "PATCH", f"{self._base()}/PendingServiceRouting/{psr_id}", ready))
        return steps

    def verify(self, webhook: Webhook) -> str:
        return verify_signed_post(webhook, self.config.webhook_secret.get_secret_value())

    def event_type(self, payload: dict[str, Any]) -> str:
        return str(payload.get("event", ""))

    def missing(self) -> list[str]:
        problems = super().missing()
        if not self.config.access_token.get_secret_value() and not self.config.refresh_token.get_secret_value():
            problems.append("access_token or refresh_token")
        if self.config.refresh_token.get_secret_value() and not self.config.client_id:
            problems.append("client_id")
        return problems
