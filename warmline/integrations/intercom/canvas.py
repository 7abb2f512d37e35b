"""The Intercom Messenger/Inbox app: a Canvas Kit ``initialize`` answer that shows the handoff
payload in the conversation details sidebar, next to Intercom's own reply box.

Intercom signs the request with ``X-Body-Signature: hex(HMAC-SHA256(client_secret, body))``.
"""

from __future__ import annotations

from typing import Any

from warmline.integrations.base import WebhookRejected, hmac_digest, same


def verify_canvas_request(secret: str, body: bytes, signature: str) -> None:
    if not secret or not signature or not same(hmac_digest(secret, body).hex(), signature):
        raise WebhookRejected("the Canvas Kit request signature does not match", code="bad_signature")


def payload_canvas(payload: dict[str, Any] | None, sidebar_url: str) -> dict[str, Any]:
    """Canvas components: summary, key facts, next action, draft, citations, and a link to the
    full panel."""
    if not payload:
        components: list[dict[str, Any]] = [{"type": "text", "text": "No Warmline handoff for this conversation yet."}]
        return {"canvas": {"content": {"components": components}}}
    components = [
        {"type": "text", "text": "*Summary*", "style": "header"},
        {"type": "text", "text": str(payload.get("summary", ""))},
    ]
    facts = payload.get("key_facts") or []
    if facts:
        components.append({"type": "text", "text": "*Key facts*", "style": "header"})
        components.append(
            {
                "type": "list",
                "items": [
                    {
                        "type": "item",
                        "id": f"fact-{i}",
                        "title": str(f.get("value", "")),
                        "subtitle": str(f.get("kind", "")),
                    }
                    for i, f in enumerate(facts[:10])
                ],
            }
        )
    next_action = payload.get("next_action") or {}
    if next_action:
        components += [
            {"type": "text", "text": "*Next action*", "style": "header"},
            {"type": "text", "text": f"{next_action.get('action', '')}: {next_action.get('reasoning', '')}"},
        ]
    draft = payload.get("draft") or {}
    if draft.get("text"):
        components += [
            {"type": "text", "text": "*Draft reply*", "style": "header"},
            {"type": "text", "text": str(draft["text"])},
        ]
    citations = payload.get("citations") or []
    if citations:
        components.append({"type": "text", "text": "*Citations*", "style": "header"})
        components.append(
            {
                "type": "list",
                "items": [
                    {
                        "type": "item",
                        "id": f"citation-{i}",
                        "title": str(c.get("title") or c.get("article_id", "")),
                        "subtitle": str(c.get("article_id", "")),
                    }
                    for i, c in enumerate(citations[:5])
                ],
            }
        )
    if not sidebar_url:
        return {"canvas": {"content": {"components": components}}}
    components += [
        {"type": "divider"},
        {
            "type": "button",
            "id": "open-warmline",
            "label": "Open the full payload",
            "action": {"type": "url", "url": sidebar_url},
        },
    ]
    return {"canvas": {"content": {"components": components}}}
