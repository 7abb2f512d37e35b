"""The desks Warmline integrates with: one line each."""

from __future__ import annotations

from warmline.errors import InvalidInput
from warmline.integrations.base import Desk
from warmline.integrations.chatwoot import Chatwoot
from warmline.integrations.intercom import Intercom
from warmline.integrations.salesforce import Salesforce
from warmline.integrations.servicenow import ServiceNow
from warmline.integrations.zendesk import Zendesk

DESKS: dict[str, type[Desk]] = {desk.name: desk for desk in (Zendesk, Salesforce, Intercom, ServiceNow, Chatwoot)}


def desk_class(name: str) -> type[Desk]:
    if name not in DESKS:
        raise InvalidInput(f"unknown desk {name!r}: one of {', '.join(DESKS)}", code="unknown_desk")
    return DESKS[name]


def configured_desks() -> dict[str, Desk]:
    """Every desk with its configuration from the environment (enabled or not)."""
    return {name: cls(config=cls.config_class()) for name, cls in DESKS.items()}
