"""/metrics speaks Prometheus text with the operations series."""

from __future__ import annotations

from tests.api.test_agents import EscalatingBot
from tests.conftest import staff_token, start_chat


def test_metrics_expose_latency_queues_escalations_and_errors(client) -> None:
    client.app.state.services.bot = EscalatingBot()
    chat = start_chat(client)
    chat.say("a person please")
    chat.say("")  # a 422
    assert client.get("/metrics").json()["error"]["code"] == "missing_token"
    assert client.get("/metrics", headers=chat.auth).json()["error"]["code"] == "wrong_role"
    agent = staff_token(client.app.state.services, "agent", ["billing"])
    assert client.get("/metrics", headers=agent).status_code == 403
    body = client.get("/metrics", headers=staff_token(client.app.state.services, "admin", []))
    assert body.status_code == 200 and body.headers["content-type"].startswith("text/plain")
    text = body.text
    route = 'route="/v1/conversations/{conversation_id}/messages"'
    assert f'warmline_http_request_duration_seconds_count{{method="POST",{route}}} 2.0' in text
    assert 'warmline_http_responses_total{status="422"} 1.0' in text
    assert 'warmline_queue_depth{team="billing"} 1.0' in text
    assert 'warmline_escalations_total{team="billing",trigger="human_request"} 1.0' in text
