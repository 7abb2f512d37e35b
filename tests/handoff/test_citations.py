"""The payload cites what the bot showed the customer: the help-center passage its reply quoted,
not the agents' guidelines the model read, so the agent sees the answer the customer already has."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import staff_token, start_chat
from tests.pipeline.test_pipeline import model_services
from warmline.app import create_app
from warmline.conversation.actions import Services


@pytest.fixture
def svc(sqlite_url: str) -> Iterator[Services]:
    services = model_services(sqlite_url)
    yield services
    services.close()


def test_the_payload_cites_the_help_center_passage_the_bot_quoted(svc: Services) -> None:
    with TestClient(create_app(svc.settings, services=svc)) as client:
        chat = start_chat(client)
        chat.say("how long is the return window?")
        events = client.get(f"/v1/conversations/{chat.id}/events", headers=chat.auth).json()["events"]
        answer = next(e["body"] for e in events if e["type"] == "bot_message")
        assert "30 days" in answer["text"]
        chat.say("I'd like to talk to a person please")
        headers = staff_token(svc, "lead", ["orders"])
        payload = client.get(f"/v1/conversations/{chat.id}/payload", headers=headers).json()["payload"]
    titles = [c["title"] for c in payload["citations"]]
    assert titles and titles[0] in answer["text"]  # the reply says "(Source: <title>)"
    assert f"citing '{titles[0]}'" in payload["summary"]
    assert all(c["passage"] for c in payload["citations"])


def test_an_answer_from_the_store_s_records_cites_no_passage_nobody_was_shown(svc: Services) -> None:
    with TestClient(create_app(svc.settings, services=svc)) as client:
        chat = start_chat(client)
        chat.say("has my order shipped? Omar Haddad, omar.haddad@example.com")
        events = client.get(f"/v1/conversations/{chat.id}/events", headers=chat.auth).json()["events"]
        answer = next(e["body"] for e in events if e["type"] == "bot_message")
        assert "1Z1F58R09303211877" in answer["text"] and not answer.get("citations")
        chat.say("can I talk to a person please")
        headers = staff_token(svc, "lead", ["orders"])
        payload = client.get(f"/v1/conversations/{chat.id}/payload", headers=headers).json()["payload"]
    assert payload["citations"] == [] and "citing" not in payload["summary"]
    assert "looked up order AB42107" in payload["summary"]


def test_the_summary_and_draft_state_the_need_in_the_pack_s_words(svc: Services) -> None:
    with TestClient(create_app(svc.settings, services=svc)) as client:
        chat = start_chat(client)
        chat.say("hi, can you check the status of my order? I want to know when it arrives")
        chat.say("I want to speak to a person")
        headers = staff_token(svc, "lead", ["orders"])
        payload = client.get(f"/v1/conversations/{chat.id}/payload", headers=headers).json()["payload"]
    assert (payload["intent"]["flow"], payload["intent"]["subflow"]) == ("shipping_issue", "status")
    assert "wants to know where their order is" in payload["summary"]
    assert "you want to know where your order is" in payload["draft"]["text"]
    assert "yes/no question" not in payload["summary"] + payload["draft"]["text"]


def test_the_handback_greets_a_customer_the_bot_verified_in_the_chat_by_name(svc: Services) -> None:
    with TestClient(create_app(svc.settings, services=svc)) as client:
        chat = start_chat(client)  # anonymous: the conversation itself has no customer name
        chat.say("has my order shipped? Omar Haddad, omar.haddad@example.com")
        chat.say("can I talk to a person please")
        headers = staff_token(svc, "agent", ["orders"])
        assert client.post(f"/v1/conversations/{chat.id}/claim", headers=headers).status_code == 200
        back = client.post(f"/v1/conversations/{chat.id}/handback", json={"note": "redirect asked"}, headers=headers)
        assert back.status_code == 200, back.text
        events = client.get(f"/v1/conversations/{chat.id}/events", headers=chat.auth).json()["events"]
    resume = [e["body"]["text"] for e in events if e["type"] == "bot_message"][-1]
    assert resume.startswith("Thanks, Omar. ") and "redirect asked" in resume
