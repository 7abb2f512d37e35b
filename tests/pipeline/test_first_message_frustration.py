"""Frustration in a first message, through the HTTP API: a customer who is already angry when
they start (threats of a chargeback or of leaving, insults to the bot, "I've told you three
times") gets a person at once; a cheerful or loud but calm one ("!!", "??", emojis, "lol", a
product name in capitals, a mild complaint) stays with the bot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import start_chat
from tests.pipeline.test_pipeline import model_services
from warmline.app import create_app
from warmline.conversation.actions import Services
from warmline.conversation.events import Escalated, PolicyDecided, TurnAnalysed
from warmline.packs import load_pack
from warmline.policy import load_policy

IMMEDIATE_ABOVE = load_policy(load_pack("demo").path / "policy.yaml").triggers.frustration.immediate_above


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    path = tmp_path_factory.mktemp("first-message") / "warmline.db"
    services = model_services(f"sqlite:///{path}")
    yield services
    services.close()


@pytest.fixture(scope="module")
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as test_client:
        yield test_client


def first_message(client: TestClient, svc: Services, text: str) -> tuple[float, str | None, bool]:
    """The frustration read on a conversation's first message, the decision's trigger, escalated?"""
    chat = start_chat(client)
    assert chat.say(text).status_code == 201
    events = svc.store.load_events(chat.id)
    analysis = next(r.event.analysis for r in events if isinstance(r.event, TurnAnalysed))
    decision = next(r.event.decision for r in events if isinstance(r.event, PolicyDecided))
    return analysis.frustration, decision.trigger, any(isinstance(r.event, Escalated) for r in events)


@pytest.mark.parametrize(
    "text",
    [
        "Two weeks of emails about a parcel that never came. I'm calling my bank about a chargeback today.",
        "Schon wieder die gleiche automatische Antwort. Ich bestelle nie wieder bei euch.",
        "Ce chatbot est inutile, je vous ai déjà tout expliqué hier et avant-hier.",
        "Tercer mensaje y nadie me responde. Si no me devolvéis el dinero, me doy de baja.",
    ],
)
def test_an_angry_first_message_is_handed_over_at_once(client: TestClient, svc: Services, text: str) -> None:
    frustration, trigger, escalated = first_message(client, svc, text)
    assert IMMEDIATE_ABOVE is not None and frustration >= IMMEDIATE_ABOVE
    assert trigger == "frustration" and escalated


@pytest.mark.parametrize(
    "text",
    [
        "yay my parcel came!! 🎉 can I order the matching scarf too??",
        "¡Hola! ¡¡Me encanta la chaqueta!! ¿La tenéis en verde?",
        "Coucou !! Je peux encore changer la taille de ma commande ?? Merci 😊",
        "lol the box is huge for one pair of socks. can I return them if they don't fit?",
        "The strap is a little stiff, nothing serious. Does the leather soften with use?",
    ],
)
def test_a_cheerful_or_loud_but_calm_first_message_stays_with_the_bot(
    client: TestClient, svc: Services, text: str
) -> None:
    frustration, trigger, _ = first_message(client, svc, text)
    assert IMMEDIATE_ABOVE is not None and frustration < IMMEDIATE_ABOVE
    assert trigger != "frustration"
