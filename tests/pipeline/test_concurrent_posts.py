"""Messages posted to one conversation at once (several tabs, several clients) are each analysed
once, outside the conversation's lock: a turn committed by the customer or the bot while the
analysis ran does not make the locked write analyse again (on SQLite that ran on the event loop
and stalled every request). A person's change meanwhile does."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import start_chat
from tests.pipeline.test_pipeline import agent, model_services
from warmline.app import create_app
from warmline.bot.model_bot import ModelBot
from warmline.conversation import actions
from warmline.conversation.actions import Services
from warmline.model.analysis import Model, TurnAnalysis, TurnContext
from warmline.queue import actions as agent_actions

ASKED = "where is my order 8812345678? it has not arrived"


class CountingModel:
    """The product's model, counting analyses per text; ``meanwhile`` runs once, while the first
    analysis of ``ASKED`` is under way (another client's write landing during it)."""

    def __init__(self, inner: Model):
        self.inner = inner
        self.name = inner.name
        self.analysed: list[str] = []
        self.meanwhile: Callable[[], object] | None = None

    def analyse(self, context: TurnContext) -> TurnAnalysis:
        self.analysed.append(context.text)
        if context.text == ASKED and self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            meanwhile()
        return self.inner.analyse(context)


@pytest.fixture
def world(database_url: str) -> Iterator[tuple[TestClient, Services, CountingModel]]:
    svc = model_services(database_url)
    assert isinstance(svc.bot, ModelBot)
    model = CountingModel(svc.bot.model)
    svc.bot.model = model
    with TestClient(create_app(svc.settings, services=svc)) as client:
        yield client, svc, model
    svc.close()


def test_a_turn_posted_meanwhile_does_not_make_the_write_analyse_again(
    world: tuple[TestClient, Services, CountingModel],
) -> None:
    client, svc, model = world
    chat = start_chat(client, customer_name="Ann Lee")
    assert chat.say("hi, I have a question about a delivery").status_code == 201
    # Another tab of the same customer posts while this message's analysis runs.
    model.meanwhile = lambda: actions.do_post_customer_message(svc, chat.id, "my email is ann.lee@example.com")
    posted = chat.say(ASKED)
    assert posted.status_code == 201, posted.text
    assert model.analysed.count(ASKED) == 1  # analysed once, before the lock; not redone under it

    log = svc.store.load_events(chat.id)
    texts = {r.seq: r.event.text for r in log if r.type == "customer_message"}  # type: ignore[attr-defined]
    seq = next(s for s, t in texts.items() if t == ASKED)
    assert any(t.startswith("my email") for s, t in texts.items() if s < seq)  # it did land first
    analysis = next(r.event.analysis for r in log if r.type == "turn_analysed" and r.event.message_seq == seq)  # type: ignore[attr-defined]
    order = [f for f in analysis.facts if f.kind == "order_id"]
    assert order and order[0].value == "8812345678" and order[0].source_seq == seq  # placed where it landed
    assert [e["type"] for e in posted.json()["events"]][:2] == ["customer_message", "bot_message"]


def test_an_agent_claiming_meanwhile_makes_the_write_analyse_against_the_new_log(
    world: tuple[TestClient, Services, CountingModel],
) -> None:
    client, svc, model = world
    chat = start_chat(client)
    assert chat.say("I want to talk to a person").status_code == 201
    team = svc.store.load_state(chat.id).team
    assert team is not None
    holder = agent(svc, [team])
    caller = client.app.state.authenticator.authenticate(holder["Authorization"].split(" ", 1)[1])  # type: ignore[attr-defined]
    model.meanwhile = lambda: agent_actions.do_claim(svc, chat.id, caller)
    assert chat.say(ASKED).status_code == 201
    assert model.analysed.count(ASKED) == 2  # what a person did may change what the turn means
    assert svc.store.load_state(chat.id).status == "WITH_AGENT"
