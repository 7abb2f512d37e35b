"""Account questions through the HTTP API with the embedded model and the demo store: a customer
signed in on the store's site (the site signs the account id) is answered from that account at
once; an account id without the store's signature still has to be confirmed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.api.test_conversations import assert_error
from tests.conftest import Chat, start_chat
from tests.pipeline.test_pipeline import model_services
from tests.shop.test_dialogue import replies, staff_events
from warmline.app import create_app
from warmline.auth import account_signature
from warmline.conversation.actions import Services
from warmline.shop.topics import store_answers_turn

SECRET = "store-site-secret"


@pytest.fixture
def svc(sqlite_url: str) -> Iterator[Services]:
    services = model_services(sqlite_url, account_signing_secret=SECRET)
    yield services
    services.close()


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as test_client:
        yield test_client


def signed_in(client: TestClient, account_id: str) -> Chat:
    return start_chat(client, account_id=account_id, account_signature=account_signature(SECRET, account_id))


def test_a_signed_in_customer_is_answered_from_their_account_without_being_asked(
    client: TestClient, svc: Services
) -> None:
    chat = signed_in(client, "cu_1010")
    chat.say("where's my order at")
    (answer,) = replies(chat)
    assert "AB42107" in answer and "December 7, 2026" in answer
    assert not answer.startswith("Thanks")  # nothing was given to confirm
    verified = [e["body"] for e in staff_events(chat, svc) if e["type"] == "identity_verified"]
    assert verified == [{"customer_id": "cu_1010", "by": ["signed_in"]}]


def test_an_account_id_without_the_stores_signature_proves_nothing(client: TestClient) -> None:
    chat = start_chat(client, account_id="cu_1010")
    chat.say("where's my order at")
    (ask,) = replies(chat)
    assert "AB42107" not in ask and "full name" in ask


def test_a_signature_that_does_not_match_is_refused(client: TestClient) -> None:
    forged = account_signature("not-the-secret", "cu_1010")
    response = client.post("/v1/conversations", json={"account_id": "cu_1010", "account_signature": forged})
    assert_error(response, 401, "bad_account_signature")
    other = account_signature(SECRET, "cu_1001")  # another account's signature
    response = client.post("/v1/conversations", json={"account_id": "cu_1010", "account_signature": other})
    assert_error(response, 401, "bad_account_signature")


def test_without_a_signing_secret_no_chat_starts_signed_in(sqlite_url: str) -> None:
    services = model_services(sqlite_url)
    try:
        with TestClient(create_app(services.settings, services=services)) as client:
            body = {"account_id": "cu_1010", "account_signature": account_signature("", "cu_1010")}
            assert_error(client.post("/v1/conversations", json=body), 401, "bad_account_signature")
    finally:
        services.close()


@pytest.mark.parametrize(
    ("account", "turn", "facts"),
    [
        ("cu_1011", "how many packs of socks did i order?", ["3 x Merino Wool Socks (3-pack)"]),
        ("cu_1023", "which colour did i get the tee in?", ["Heavyweight Pocket Tee, size M, Navy"]),
        ("cu_1015", "which payment method is my plus billed to", ["billed to PayPal"]),
        ("cu_1001", "i'm not getting the login code texts", ["text message (SMS)", "ending 0117"]),
        ("cu_1009", "did my coat ship yet?", ["hasn't shipped yet"]),
        ("cu_1001", "it's been forever and my flannel still isn't here", ["delayed", "November 20, 2026"]),
        ("cu_1015", "wheres my pakage", ["out for delivery"]),
        ("cu_1020", "when's my jeans order coming and when does my plus renew?", ["December 2", "December 10"]),
        ("cu_1005", "you charged me TWICE for plus on the 27th", ["two charges of $49.00"]),
        ("cu_1016", "which card is my default and is it still valid?", ["ending 4108 (expired 11/26) (default)"]),
        ("cu_1023", "I ordered the oxford in pink and a white one showed up", ["until December 28, 2026"]),
        ("cu_1024", "the sole on my work boots is peeling off", ["warranty until February 4, 2027"]),
        ("cu_1017", "why did you send my boots back to me?", ["rejected", "outdoor wear"]),
        ("cu_1021", "I got a return label but haven't sent it yet. deadline?", ["December 12, 2026"]),
        ("cu_1020", "Quando si rinnova il mio abbonamento Plus?", ["December 10, 2026"]),
        ("cu_1003", "Wanneer komt mijn jas aan?", ["December 2, 2026"]),
        ("cu_1011", "I only ordered one pack of socks on AB41455 but got three", ["3 x Merino Wool Socks"]),
        ("cu_1012", "my gift card isnt working and is my plus still on?", ["expired", "past due"]),
        ("cu_1019", "I used WELCOME15, how much did I save?", ["-$24.75 (WELCOME15)"]),
        ("cu_1018", "order AB41011 - when can I still report damage?", ["until December 3, 2026"]),
        ("cu_1003", "where is my refund?", ["refund issued to card November 25, 2026"]),
        ("cu_1021", "return status", ["ship it by December 12, 2026"]),
        ("cu_1006", "amount due", ["$49.00 is past due"]),
        ("cu_1015", "Hey! So excited for my new shirt, any idea when it gets here?", ["out for delivery"]),
        (
            "cu_1003",
            "when will my jacket arrive, and how long do I have to return it?",
            ["December 2, 2026", "30 days"],
        ),
        ("cu_1010", "where's my order? also do you price match?", ["December 7, 2026", "we match their price"]),
        ("cu_1016", "is my card still good?", ["ending 4108 (expired 11/26)"]),
        ("cu_1011", "I got 3 packs of socks but only wanted one", ["3 x Merino Wool Socks", "December 25, 2026"]),
        ("cu_1018", "my denim jacket came with a rip in it, is it too late to report it?", ["until December 3, 2026"]),
        ("cu_1021", "when do I have to send my return by", ["ship it by December 12, 2026"]),
        ("cu_1002", "what card did I pay with for my work boots?", ["paid with your Mastercard ending 5521"]),
        ("cu_1009", "Wie hoch ist das Guthaben auf meiner Geschenkkarte?", ["ending 7734 has $100.00"]),
        ("cu_1012", "my gift card says expired??", ["expired on October 31, 2026"]),
        ("cu_1017", "what happened with my boot return", ["RF-70133", "rejected"]),
        ("cu_1021", "I started a return for my jacket, whats next", ["ship it by December 12, 2026"]),
        ("cu_1004", "when is the last day I can return my belt?", ["can be returned until January 31, 2027"]),
        ("cu_1015", "how long do I have to return my chelsea boots", ["can be returned until December 29, 2026"]),
        ("cu_1024", "is my oxford shirt returnable", ["Oxford Button-Down Shirt is final sale"]),
        ("cu_1010", "which address is my jeans order being shipped to?", ["It goes to 1109 E. 6th Street"]),
    ],
)
def test_a_signed_in_customers_question_gets_the_fact_it_asks(
    client: TestClient, account: str, turn: str, facts: list[str]
) -> None:
    chat = signed_in(client, account)
    chat.say(turn)
    (answer,) = replies(chat)
    for fact in facts:
        assert fact in answer


def test_a_username_and_the_name_verify_and_a_misspelt_question_is_read(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("refnd status isabella.moore@example.com isabella moore")
    first = start_chat(client)
    first.say("Marcus Bell, mbell_atl. When did my refund go through?")
    assert "completed on November 12, 2026" in replies(first)[0]
    assert "is requested" in replies(chat)[0]


@pytest.mark.parametrize(
    "turn",
    [
        "my chest is 40 inches, what size shirt should i get?",
        "so I bought a coat for my dad but it doesnt fit him, can he send it back even if it was a gift?",
    ],
)
def test_a_question_about_the_rules_in_the_first_person_is_not_a_lookup(client: TestClient, turn: str) -> None:
    chat = start_chat(client)
    chat.say(turn)
    (answer,) = replies(chat)
    assert "Source:" in answer and "confirm it's you" not in answer


def test_an_account_question_the_classifier_is_unsure_of_is_answered_not_handed_off(
    client: TestClient, svc: Services
) -> None:
    """The intent classifier reads this as a payment-method change it is unsure of (a critical
    intent); the store's records answer it, so the bot does."""
    chat = signed_in(client, "cu_1006")
    chat.say("plus renewal failed?? card expired i guess. how long do i have")
    (answer,) = replies(chat)
    assert "December 8, 2026" in answer
    assert not any(e["type"] == "escalated" for e in staff_events(chat, svc))


def test_a_charge_the_customer_says_they_never_made_is_not_a_store_answer() -> None:
    assert store_answers_turn("why was my order charged twice?")
    assert not store_answers_turn("someone used my card, I never made this order and got charged")


def test_a_name_alone_first_is_an_introduction(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("Olivia Rossi here")
    (reply,) = replies(chat)
    assert reply.startswith("What can I help you with")


def test_no_to_a_proposed_action_is_a_no_not_frustration(client: TestClient, svc: Services) -> None:
    chat = signed_in(client, "cu_1011")
    chat.say("can I cancel my cap order?")
    chat.say("no, keep it")
    proposal, declined = replies(chat)
    assert "Shall I cancel" in proposal and "left it as it is" in declined
    assert not any(e["type"] == "escalated" for e in staff_events(chat, svc))


def test_a_rule_asked_about_something_the_customer_does_not_have_gets_the_rule(client: TestClient) -> None:
    chat = signed_in(client, "cu_1014")  # no refund on the account
    chat.say("I paid duties on my Canada order, is that refundable if I return it?")
    (answer,) = replies(chat)
    assert "Duties on returned items are refunded" in answer and "I don't see a refund" not in answer


def test_a_username_the_customer_names_verifies_them(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("where is my order")
    chat.say("Daniel Okafor, my user name is dokafor")
    ask, answer = replies(chat)
    assert "confirm it's you" in ask and "AB41562" in answer


def test_a_promo_code_is_not_taken_for_a_username(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("can i stack HOLIDAY25 with my silver discount")
    (answer,) = replies(chat)
    assert "confirm it's you" not in answer


@pytest.mark.parametrize(
    ("question", "details", "fact"),
    [
        ("refund status pls", "Samuel Reyes samuel.reyes@example.com", "RF-70467 of $173.90"),
        ("I cancelled plus, until when do I keep the perks?", "William Turner, username wturner", "February 14, 2027"),
    ],
)
def test_details_given_after_a_help_center_answer_look_up_the_record_it_was_about(
    client: TestClient, question: str, details: str, fact: str
) -> None:
    chat = start_chat(client)
    chat.say(question)
    chat.say(details)
    rule, looked_up = replies(chat)
    assert "Source:" in rule
    assert looked_up.startswith("Thanks, that's you confirmed.") and fact in looked_up


@pytest.mark.parametrize(
    ("turn", "fact"),
    [
        ("what time will my package come if it's out for delivery", "8 p.m."),
        ("ok I started a return online, how many days do i have to actually drop it off", "14 days"),
        ("why was my refund smaller than what I paid?", "Discounts are shared across items"),
        ("I lost my phone and can't get my 2FA code", "6-digit code"),
    ],
)
def test_a_rule_asked_in_the_customers_own_words_gets_the_rule(client: TestClient, turn: str, fact: str) -> None:
    chat = start_chat(client)
    chat.say(turn)
    (answer,) = replies(chat)
    assert fact in answer


@pytest.mark.parametrize(
    ("turn", "fact"),
    [
        ("This is Noah Schmidt, M5S 1G4. What did I pay in duties on my last order?", "$72.11"),
        ("noah schmidt, postal code m5s1g4, what did I pay in duties on my last order?", "$72.11"),
        ("hi its luis fernandez, luisf. whats my level", "silver level"),
    ],
)
def test_a_postal_code_or_a_plain_username_verifies_the_customer(client: TestClient, turn: str, fact: str) -> None:
    chat = start_chat(client)
    chat.say(turn)
    (answer,) = replies(chat)
    assert answer.startswith("Thanks, that's you confirmed.") and fact in answer


def test_an_order_number_given_first_asks_only_for_the_name(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("where is my order AB42107")
    chat.say("Omar Haddad")
    ask, answer = replies(chat)
    assert "what's your full name?" in ask and "couldn't match" not in ask
    assert "December 7, 2026" in answer
