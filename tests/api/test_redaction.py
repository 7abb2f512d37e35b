"""Card numbers, security codes and one-time codes customers type are masked on every surface:
the chat's answers and views, the handoff payload, the requests desks receive, what the CLI
exports and the logs (tracebacks included). The raw text is never stored or sent."""

from __future__ import annotations

import io
import json
import logging
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import staff_token, start_chat
from tests.integrations.conftest import desks
from tests.integrations.fakes import FakeDesks
from tests.pipeline.test_pipeline import agent, model_services
from warmline.app import create_app
from warmline.cli import app as cli
from warmline.conversation.actions import Services
from warmline.integrations.wiring import install_integrations
from warmline.privacy.redaction import is_card_number, redact
from warmline.storage.sql.schema import events as events_table

CARD = "4111 1111 1111 1111"
CVV = "737"
CODE = "482913"
TYPED = f"I was charged twice on my card {CARD}, security code {CVV}. The code you texted me is {CODE}."
RAW = (CARD, CARD.replace(" ", ""), f"code {CVV}", CODE)


def leaks(text: str) -> list[str]:
    return [raw for raw in RAW if raw in text]


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("my card is 4111 1111 1111 1111", "my card is [card ending 1111]"),
        ("5555-5555-5555-4444 exp 04/27", "[card ending 4444] exp 04/27"),
        ("amex 3782 822463 10005 please", "amex [card ending 0005] please"),
        ("Visa:4012888888881881.", "Visa:[card ending 1881]."),
        ("call 555 1234 then 6011 1111 1111 1117", "call 555 1234 then [card ending 1117]"),
        ("CVV: 123", "CVV: •••"),
        ("the cvc is 4567 on the back", "the cvc is •••• on the back"),
        ("código de seguridad 321", "código de seguridad •••"),
        ("my OTP=1234", "my OTP=••••"),
        ("one-time passcode is 55 66 77", "one-time passcode is •• •• ••"),
        ("verification code: 448812", "verification code: ••••••"),
        ("2FA code 99887766 doesn't work", "2FA code •••••••• doesn't work"),
        ("the code you just sent me is 482-913", "the code you just sent me is •••-•••"),
        ("mi código de verificación es 123456", "mi código de verificación es ••••••"),
        ("Mein Bestätigungscode ist 778899", "Mein Bestätigungscode ist ••••••"),
        ("code de vérification : 246810", "code de vérification : ••••••"),
        ("PIN 4321", "PIN ••••"),
    ],
)
def test_cards_and_codes_are_masked(typed: str, shown: str) -> None:
    assert redact(typed) == shown
    assert redact(shown) == shown  # masking twice changes nothing


@pytest.mark.parametrize(
    "typed",
    [
        "order 3115766613 arrived late",  # a 10-digit order id
        "4111 1111 1111 1112",  # fails the Luhn check
        "1234 5678 9012 3452",  # Luhn-valid, but no card network starts with 1
        "call me on +49 151 1234 5678 9",  # an international phone number
        "tracking 1Z999AA10123456784",
        "zip code 94107, promo code SAVE10",
        "I paid 1234 dollars on 2024-03-15 for 3 shirts",
        "the 2 items in my shipping box, pin 12",  # too short for a code
        "account 00012345678901234",  # starts with 0
    ],
)
def test_what_is_not_a_card_or_code_is_kept(typed: str) -> None:
    assert redact(typed) == typed


def test_the_card_check_is_luhn_and_network() -> None:
    assert is_card_number("4111111111111111") and is_card_number("2223003122003222")
    assert not is_card_number("4111111111111121") and not is_card_number("7111111111111117")


@pytest.fixture
def product(sqlite_url: str) -> Iterator[tuple[TestClient, Services, FakeDesks]]:
    """The product's bot and payload on SQLite, with the four desks behind fakes."""
    svc = model_services(sqlite_url)
    fake = FakeDesks()
    integrations = install_integrations(
        svc,
        desks=desks(),
        client=httpx.Client(transport=httpx.MockTransport(fake.handler)),
        public_url="https://w.test",
    )
    integrations.dispatcher.rng = random.Random(1)
    integrations.background = False
    with TestClient(create_app(svc.settings, services=svc, integrations=integrations)) as client:
        yield client, svc, fake
    svc.close()


def test_a_card_typed_by_a_customer_is_masked_in_the_chat_the_views_the_payload_and_the_desks(
    product: tuple[TestClient, Services, FakeDesks],
) -> None:
    client, svc, fake = product
    staff = staff_token(svc, "lead", [])
    chat = start_chat(client, customer_name="Ann Lee")
    posted = chat.say(TYPED)
    assert posted.status_code == 201
    assert leaks(posted.text) == [] and "[card ending 1111]" in posted.text
    assert chat.say("I want to talk to a real person please").status_code == 201

    customer_view = client.get(f"/v1/conversations/{chat.id}/events", headers=chat.auth)
    staff_view = client.get(f"/v1/conversations/{chat.id}/events", headers=staff)
    assert staff_view.status_code == 200, staff_view.text
    said = [e["body"]["text"] for e in staff_view.json()["events"] if e["type"] == "customer_message"]
    assert said[0] == (
        "I was charged twice on my card [card ending 1111], security code •••. The code you texted me is ••••••."
    )
    payload = client.get(f"/v1/conversations/{chat.id}/payload", headers=staff)
    assert payload.status_code == 200, payload.text
    transcript = [t["text"] for t in payload.json()["payload"]["transcript"]]
    assert said[0] in transcript
    for response in (customer_view, staff_view, payload, client.get(f"/v1/conversations/{chat.id}", headers=staff)):
        assert response.status_code == 200 and leaks(response.text) == []

    # Nothing raw was stored either: the database holds the masked text only.
    with svc.store.engine.connect() as connection:
        stored = " ".join(connection.execute(sa.select(events_table.c.body)).scalars())
    assert leaks(stored) == [] and "[card ending 1111]" in stored

    # Every desk request the handoff and a handback caused carries the masked text, the agent's
    # handback note (which desks get as a note) included.
    team = payload.json()["payload"]["routing"]["team"]
    holder = agent(svc, [team])
    assert client.post(f"/v1/conversations/{chat.id}/claim", headers=holder).status_code == 200
    note = f"card on file is {CARD}, cvv {CVV}; they read me their one-time code: {CODE}"
    handback = client.post(f"/v1/conversations/{chat.id}/handback", json={"note": note}, headers=holder)
    assert handback.status_code == 200 and leaks(handback.text) == []
    client.app.state.integrations.dispatcher.drain()  # type: ignore[attr-defined]
    assert fake.requests, "the handoff reached no desk"
    sent = " ".join(r.content.decode() for r in fake.requests)
    assert "card ending 1111" in sent and leaks(sent) == []


def test_a_record_stored_before_masking_existed_is_shown_masked(client: TestClient) -> None:
    chat = start_chat(client)
    assert chat.say("my card number is coming").status_code == 201
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    raw = json.dumps({"text": TYPED, "external_id": None, "sent_at": None})
    with services.store.engine.begin() as connection:  # as an earlier build wrote it
        connection.execute(
            sa.update(events_table)
            .where(events_table.c.conversation_id == chat.id, events_table.c.type == "customer_message")
            .values(body=raw)
        )
    lead = staff_token(services, "lead", [])
    for headers in (chat.auth, lead):
        shown = client.get(f"/v1/conversations/{chat.id}/events", headers=headers)
        assert shown.status_code == 200 and leaks(shown.text) == [] and "[card ending 1111]" in shown.text


def test_an_exported_payload_renders_desk_requests_masked(tmp_path: Path) -> None:
    fixture = Path(__file__).parents[1] / "integrations" / "fixtures" / "payload.json"
    document = json.loads(fixture.read_text())
    payload = document.get("payload", document)
    payload["summary"] = TYPED
    payload["transcript"][0]["text"] = TYPED  # a payload exported by an earlier build
    exported = tmp_path / "payload.json"
    exported.write_text(json.dumps(document))
    for desk in ("zendesk", "salesforce", "servicenow", "intercom"):
        result = CliRunner().invoke(cli, ["integrations", "render", desk, "--payload", str(exported), "--json"])
        assert result.exit_code == 0, result.output
        assert leaks(result.output) == [] and "card ending 1111" in result.output


def test_log_lines_and_tracebacks_are_masked(client: TestClient) -> None:
    """An unhandled error's traceback (the exception's message holds what the customer typed and
    a token) is logged masked; so are a message's arguments."""
    chat = start_chat(client)

    def fail() -> None:
        raise RuntimeError(f"could not process {TYPED!r} for {chat.token}")

    client.app.add_api_route("/v1/test-failure", fail)  # type: ignore[attr-defined]
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with TestClient(client.app, raise_server_exceptions=False) as failing:  # type: ignore[arg-type]
            assert failing.get("/v1/test-failure").status_code == 500
        logging.getLogger("warmline.test").warning("customer said %s (%s)", TYPED, ValueError(chat.token))
    finally:
        root.removeHandler(handler)
    logged = out.getvalue()
    assert "Traceback (most recent call last)" in logged and "RuntimeError: could not process" in logged
    assert leaks(logged) == [] and chat.token not in logged
    assert "[card ending 1111]" in logged and "wlc_***" in logged
