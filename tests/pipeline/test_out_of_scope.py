"""Out of scope through the HTTP API: the head's reading weighed by what the store's help center
says. An off-topic question nothing in the help center comes near is handed over at once, with a
score above the head's own; a store question the help center answers stays with the bot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import start_chat
from tests.pipeline.test_pipeline import model_services
from warmline.app import create_app
from warmline.bot.model_bot import ModelBot
from warmline.conversation.actions import Services
from warmline.conversation.events import Escalated, PolicyDecided, TurnAnalysed


@pytest.fixture
def svc(database_url: str) -> Iterator[Services]:
    services = model_services(database_url)
    assert isinstance(services.bot, ModelBot) and services.bot.scope is not None
    yield services
    services.close()


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as test_client:
        yield test_client


def head_score(svc: Services, text: str) -> float:
    model = svc.bot.model  # type: ignore[attr-defined]
    return float(model.signals.turn(text, model.encode_cached([text])[0]).out_of_scope)


def test_an_off_topic_question_the_help_center_has_nothing_for_is_handed_over_at_once(
    client: TestClient, svc: Services
) -> None:
    text = "Wie repariere ich einen tropfenden Wasserhahn?"  # how do I fix a dripping tap
    chat = start_chat(client)
    assert chat.say(text).status_code == 201
    events = svc.store.load_events(chat.id)
    analysis = next(r.event.analysis for r in events if isinstance(r.event, TurnAnalysed))
    decision = next(r.event.decision for r in events if isinstance(r.event, PolicyDecided))
    assert analysis.out_of_scope and analysis.oos_score > head_score(svc, text)
    assert decision.trigger == "out_of_scope" and "clearly out of scope" in decision.reason
    assert any(isinstance(r.event, Escalated) for r in events)


def test_a_store_question_the_head_doubts_but_the_help_center_answers_stays_with_the_bot(
    client: TestClient, svc: Services
) -> None:
    text = "Do you ship to Canada?"
    assert head_score(svc, text) >= 0.5  # the head alone reads it as off-topic
    chat = start_chat(client)
    assert chat.say(text).status_code == 201
    events = svc.store.load_events(chat.id)
    analysis = next(r.event.analysis for r in events if isinstance(r.event, TurnAnalysed))
    assert not analysis.out_of_scope and analysis.oos_score < 0.5
    assert not any(isinstance(r.event, Escalated) for r in events)


def first_trigger(svc: Services, conversation_id: str) -> str | None:
    events = svc.store.load_events(conversation_id)
    return next((r.event.trigger for r in events if isinstance(r.event, Escalated)), None)


def test_an_off_topic_ask_inside_a_long_message_about_an_order_is_handed_over(
    client: TestClient, svc: Services
) -> None:
    text = (
        "My parcel came on Monday and the shirts are lovely, thank you. Something else altogether: "
        "could you help me plan a birthday party for ten kids?"
    )
    assert head_score(svc, text) < 0.9  # read whole, the store words around the ask weigh it down
    chat = start_chat(client)
    assert chat.say(text).status_code == 201
    analysis = next(r.event.analysis for r in svc.store.load_events(chat.id) if isinstance(r.event, TurnAnalysed))
    assert analysis.out_of_scope and analysis.oos_score >= 0.9
    assert first_trigger(svc, chat.id) == "out_of_scope"


def test_a_long_store_question_full_of_personal_context_stays_with_the_bot(client: TestClient, svc: Services) -> None:
    chat = start_chat(client)
    text = (
        "We're flying to Lisbon on Friday for my mum's 70th and everything is chaos here with the kids. "
        "Can the sandals I ordered on Sunday still arrive by Thursday?"
    )
    assert chat.say(text).status_code == 201
    assert first_trigger(svc, chat.id) is None


def test_an_off_topic_request_after_a_store_question_is_handed_over(client: TestClient, svc: Services) -> None:
    chat = start_chat(client)
    assert chat.say("how long do refunds take?").status_code == 201
    assert first_trigger(svc, chat.id) is None
    assert chat.say("thanks. totally different question, can you help me write a eulogy for my grandfather?")
    decision = [r.event.decision for r in svc.store.load_events(chat.id) if isinstance(r.event, PolicyDecided)][-1]
    assert decision.trigger == "out_of_scope" and "during a" in decision.reason
    assert first_trigger(svc, chat.id) == "out_of_scope"


@pytest.mark.parametrize("follow_up", ["no", "ok and can I pay with gift card?"])
def test_a_follow_up_to_a_store_question_stays_with_the_bot(client: TestClient, svc: Services, follow_up: str) -> None:
    chat = start_chat(client)
    assert chat.say("how much is express shipping?").status_code == 201
    assert chat.say(follow_up).status_code == 201
    assert first_trigger(svc, chat.id) is None
