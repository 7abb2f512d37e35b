"""The bot's dialogue through the HTTP API with the embedded model and the demo store: it answers
from the help center (a follow-up gets its own answer), verifies the customer before looking
anything up, asks before it acts and records what it did, closes when the customer is done, and
never sends the same reply twice in a row."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Chat, staff_token, start_chat
from tests.pipeline.test_pipeline import model_services
from warmline.app import create_app
from warmline.conversation.actions import Services


@pytest.fixture
def svc(sqlite_url: str) -> Iterator[Services]:
    services = model_services(sqlite_url)
    yield services
    services.close()


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc.settings, services=svc)) as test_client:
        yield test_client


def replies(chat: Chat) -> list[str]:
    events = chat.client.get(f"/v1/conversations/{chat.id}/events", headers=chat.auth).json()["events"]
    return [e["body"]["text"] for e in events if e["type"] == "bot_message"]


def staff_events(chat: Chat, svc: Services) -> list[dict]:
    headers = staff_token(svc, "lead", ["orders"])
    return chat.client.get(f"/v1/conversations/{chat.id}/events", headers=headers).json()["events"]


def test_questions_get_their_own_answers_and_thanks_closes(client: TestClient) -> None:
    chat = start_chat(client)
    assert chat.say("what discount do gold members get?").status_code == 201
    assert chat.say("and how long is the return window?").status_code == 201
    assert chat.say("thanks, that's all").status_code == 201
    first, second, last = replies(chat)
    assert "15%" in first and "Source:" in first
    assert "30 days" in second
    assert len(first.split()) <= 80 and len(second.split()) <= 80
    assert "survey" in last or "how it went" in last
    state = client.get(f"/v1/conversations/{chat.id}", headers=chat.auth).json()
    assert state["state"]["status"] == "CLOSED"
    assert client.post(f"/v1/conversations/{chat.id}/survey", json={"score": 5}, headers=chat.auth).status_code == 201


def test_an_order_is_looked_up_only_after_the_customer_is_verified(client: TestClient, svc: Services) -> None:
    chat = start_chat(client)
    chat.say("where is my order? it's been a week")
    chat.say("AB40317")
    chat.say("Maya Thompson")
    ask, second, answer = replies(chat)
    assert "full name" in ask
    assert "AB40317" not in second  # nothing shown before the name matches
    assert "delayed" in answer and "November 20, 2026" in answer and "9400111899223374552108" in answer
    events = staff_events(chat, svc)
    verified = [e for e in events if e["type"] == "identity_verified"]
    assert verified and verified[0]["body"] == {"customer_id": "cu_1001", "by": ["name", "order_id"]}
    looked = [e["body"] for e in events if e["type"] == "store_looked_up"]
    assert looked == [{"customer_id": "cu_1001", "topic": "order_status", "order_id": "AB40317"}]
    customer_view = client.get(f"/v1/conversations/{chat.id}/events", headers=chat.auth).json()["events"]
    assert not any(e["type"] in ("identity_verified", "store_looked_up") for e in customer_view)


def test_a_cancellation_is_confirmed_first_then_done_and_audited(client: TestClient, svc: Services) -> None:
    chat = start_chat(client)
    chat.say("I'm Grace Liu, grace.liu@example.com. Please cancel my order")
    chat.say("yes please")
    proposal, done = replies(chat)
    assert "AB42288" in proposal and proposal.endswith("?")
    assert "cancelled" in done
    actions = [e["body"] for e in staff_events(chat, svc) if e["type"] == "store_action"]
    assert [(a["action"], a["status"]) for a in actions] == [("cancel_order", "proposed"), ("cancel_order", "done")]
    assert actions[-1]["verified_by"] == ["name", "email"]


def test_a_shipped_order_is_not_cancelled_and_the_rule_is_said(client: TestClient, svc: Services) -> None:
    chat = start_chat(client)
    chat.say("Omar Haddad, omar.haddad@example.com - cancel my order please")
    (reply,) = replies(chat)
    assert "already shipped" in reply
    actions = [e["body"] for e in staff_events(chat, svc) if e["type"] == "store_action"]
    assert actions and actions[0]["status"] == "refused" and actions[0]["reason"] == "order_not_processing"


def test_the_payload_shows_what_the_bot_looked_up(client: TestClient, svc: Services) -> None:
    chat = start_chat(client)
    chat.say("Aisha Patel, aisha.patel@example.com - how much store credit do I have?")
    assert "$89.61" in replies(chat)[0]
    chat.say("I want to talk to a person")
    headers = staff_token(svc, "lead", ["orders"])
    payload = client.get(f"/v1/conversations/{chat.id}/payload", headers=headers).json()["payload"]
    activity = payload["account"]["bot_activity"]
    assert [a["type"] for a in activity] == ["identity_verified", "store_looked_up"]
    assert payload["account"]["id"] == "cu_1013"


def test_the_summary_and_next_action_read_the_bots_lookup(client: TestClient, svc: Services) -> None:
    chat = start_chat(client)
    chat.say("where is my order? I'm Maya Thompson, maya.thompson@example.com")
    chat.say("I'd rather talk to a person about it")
    headers = staff_token(svc, "lead", ["orders"])
    payload = client.get(f"/v1/conversations/{chat.id}/payload", headers=headers).json()["payload"]
    assert "verified the customer by name and email, looked up order AB40317" in payload["summary"]
    assert len(payload["summary"].split()) <= 80
    action = payload["next_action"]
    assert {"pull-up-account", "verify-identity", "validate-purchase"} <= set(action["steps_done"])
    assert action["step"] not in ("pull-up-account", "verify-identity", "validate-purchase")
    assert "ask for" not in action["action"]


def test_the_same_reply_is_never_sent_twice_in_a_row(client: TestClient) -> None:
    chat = start_chat(client)
    for _ in range(3):
        chat.say("where is my order?")
    sent = replies(chat)
    assert all(a != b for a, b in zip(sent, sent[1:], strict=False))


def test_the_details_asked_for_are_not_read_as_a_request_for_a_person(client: TestClient, svc: Services) -> None:
    """A name and an email in reply to the bot's question carry no request for an agent, whatever
    a name sounds like to the signal heads: the bot goes on and answers the need."""
    chat = start_chat(client)
    chat.say("where is my order?")
    chat.say("Priya Raman, priya.raman@example.com")
    ask, answer = replies(chat)
    assert "full name" in ask
    assert "AB42015" in answer and "December 2, 2026" in answer
    state = client.get(f"/v1/conversations/{chat.id}", headers=chat.auth).json()
    assert state["state"]["status"] == "BOT"


def test_a_question_about_the_rules_is_answered_without_asking_who_the_customer_is(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("if I cancel acme plus after a week and haven't used it, can I get my money back?")
    chat.say("¿Cuántos días tengo para devolver un pedido?")
    refund, days = replies(chat)
    assert "14 days" in refund and "$49" in refund and "full name" not in refund
    assert "30 days" in days and "full name" not in days


def test_details_given_first_are_confirmed_then_the_question_is_answered(client: TestClient, svc: Services) -> None:
    chat = start_chat(client)
    chat.say("Hi, I'm Samuel Reyes, samuel.reyes@example.com")
    chat.say("when does my acme plus renew?")
    chat.say("and where is my jeans order?")
    chat.say("what's the tracking number?")
    confirmed, renewal, order, tracking = replies(chat)
    assert "confirmed" in confirmed and "help you with" in confirmed
    assert "December 10, 2026" in renewal and "$49.00" in renewal
    assert "AB42199" in order and "December 2, 2026" in order
    assert "1Z7V83K22103500188" in tracking
    verified = [e for e in staff_events(chat, svc) if e["type"] == "identity_verified"]
    assert [v["body"] for v in verified] == [{"customer_id": "cu_1020", "by": ["name", "email"]}]


def test_a_signed_in_customer_confirms_with_one_detail_of_that_account(client: TestClient, svc: Services) -> None:
    """The site says which account this is (ABCD's account id); the bot still asks for the name or
    a detail of that account before it shows anything, and another account's detail shows nothing."""
    chat = start_chat(client, account_id="cu_1010")
    chat.say("where's my order?")
    chat.say("maya.thompson@example.com")  # someone else's email
    chat.say("omar.haddad@example.com")
    ask, mismatch, answer = replies(chat)
    assert "full name" in ask
    assert "AB42107" not in mismatch and "couldn't match" in mismatch
    assert "AB42107" in answer and "December 7, 2026" in answer
    verified = [e["body"] for e in staff_events(chat, svc) if e["type"] == "identity_verified"]
    assert verified == [{"customer_id": "cu_1010", "by": ["email", "account"]}]


def test_the_order_meant_is_the_one_holding_the_product_named(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("Lucas Bennett, lucas.bennett@example.com. is my work boot still under warranty?")
    chat.say("ok and my other order?")
    warranty, other = replies(chat)
    assert "AB30877" in warranty and "February 4, 2027" in warranty
    assert "AB40480" in other and "AB30877" not in other


def test_a_problem_question_without_details_gets_the_rule_and_the_offer(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("where is my order?")
    chat.say("order AB40317")
    chat.say("Maya Thompson")
    ask, again, answer = replies(chat)
    assert ask.startswith("I can look that up")
    assert "AB40317" in answer and "delayed" in answer


def test_after_a_handback_the_bot_confirms_the_note_and_takes_the_routine_tail(
    client: TestClient, svc: Services
) -> None:
    chat = start_chat(client)
    chat.say("where is my order? I'm Maya Thompson, maya.thompson@example.com")
    chat.say("I want to talk to a person please")
    lead = staff_token(svc, "lead", ["orders"])
    state = client.get(f"/v1/conversations/{chat.id}", headers=lead).json()["state"]
    assert state["status"] == "WAITING_FOR_AGENT"
    staff = staff_token(svc, "agent", [state["team"]])
    assert client.post(f"/v1/conversations/{chat.id}/claim", headers=staff).status_code == 200
    note = "Replacement for AB40317 shipped by free express"
    assert client.post(f"/v1/conversations/{chat.id}/handback", json={"note": note}, headers=staff).status_code == 200
    chat.say("great, can you check the tracking?")
    chat.say("thanks, that's all")
    said = replies(chat)
    resume = next(r for r in said if "back with me" in r)
    assert note in resume and "tracking" in resume
    assert "9400111899223374552108" in said[-2]
    assert "how it went" in said[-1]


def test_a_turn_asking_two_things_gets_both_facts(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("Do I get charged tax on shipping? Also is the $75 free shipping before or after discounts")
    (answer,) = replies(chat)
    assert "after discounts" in answer and len(answer.split()) <= 80


@pytest.mark.parametrize(
    ("turn", "facts"),
    [
        # the second question points back ("it", "they"): found with the first, answered by its own words
        ("What does Acme Plus cost per year and do I get free returns with it?", ["$49", "Free return labels"]),
        (
            "Can I use two promo codes on one order, and are they case sensitive?",
            ["One code per order", "not case-sensitive"],
        ),
        # "und" / "en" part questions as "and" does
        ("Wie lange habe ich Zeit für eine Rücksendung und was kostet das Etikett?", ["30 days", "$5.99"]),
        # what is said before the questions goes with the first
        (
            "ordering a parka for my dad, is there an extra fee for it and how long does standard shipping take?",
            ["$8.00", "5-7 business days"],
        ),
    ],
)
def test_each_question_of_a_turn_gets_the_sentence_that_answers_it(
    client: TestClient, turn: str, facts: list[str]
) -> None:
    chat = start_chat(client)
    chat.say(turn)
    (answer,) = replies(chat)
    assert all(fact in answer for fact in facts), answer
    assert len(answer.split()) <= 80


def test_the_questions_of_a_turn_are_parted_in_the_customers_language() -> None:
    from warmline.shop.dialogue import question_parts

    assert question_parts("Hoe lang duurt de levering en wat kost het?") == [
        "Hoe lang duurt de levering",
        "wat kost het",
    ]
    assert question_parts("Combien de temps pour un remboursement, et comment suivre mon colis ?") == [
        "Combien de temps pour un remboursement",
        "comment suivre mon colis",
    ]
    assert question_parts("I want to return my boots and I need a label") == []  # no question in it
    assert question_parts("quiero devolver las botas y que me den el dinero") == []  # "y que" opens no question


def test_a_later_question_read_with_the_first_gets_its_own_sentence(client: TestClient) -> None:
    # "how many units max" read with the price-match question must not get the same sentence again
    chat = start_chat(client)
    chat.say("do you price match amazon marketplace sellers? and how many units max?")
    (answer,) = replies(chat)
    assert "Marketplace sellers" in answer and "2 units" in answer and len(answer.split()) <= 80


def test_a_question_for_an_amount_is_answered_by_the_sentence_stating_it(client: TestClient) -> None:
    # the article opens "Acme Plus is our paid membership." and says the price in the next sentence
    chat = start_chat(client)
    chat.say("How much does Acme Plus cost and does it give free express shipping?")
    (answer,) = replies(chat)
    assert "$49" in answer and "express" in answer.lower()


def test_misspelled_words_are_searched_as_the_help_center_spells_them(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("wat is teh shiping cost for standerd")
    (answer,) = replies(chat)
    assert "$5.99" in answer


def test_details_that_match_nobody_twice_get_the_other_ways_not_the_same_words(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("my jeans came in the wrong size")
    chat.say("order AB12345")
    chat.say("it's Lee, Sam. zip 94107")
    _, first, second = replies(chat)
    assert "couldn't match those details" in first
    assert second.startswith("I still can't find an account") and "ask for a person" in second
    assert "Here it is again" not in second


def test_details_that_match_nobody_are_said_not_to_match_at_once(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("Dana Reyes, dana.reyes@example.com. where is my order?")
    (reply,) = replies(chat)
    assert "couldn't match those details" in reply
    chat.say("sorry, it's Maya Thompson, maya.thompson@example.com")
    assert "AB40317" in replies(chat)[-1]


def test_cancel_it_after_a_lookup_means_the_order_just_shown(client: TestClient, svc: Services) -> None:
    chat = start_chat(client)
    chat.say("Zoe Campbell, zoe.campbell@example.com. where is my order?")
    assert "AB42301" in replies(chat)[-1]
    chat.say("can I cancel it?")
    proposal = replies(chat)[-1]
    assert "AB42301" in proposal and "Acme Plus" not in proposal
    chat.say("yes please")
    assert "AB42301" in replies(chat)[-1]
    actions = [e["body"] for e in staff_events(chat, svc) if e["type"] == "store_action"]
    assert [(a["action"], a["order_id"], a["status"]) for a in actions][-1] == ("cancel_order", "AB42301", "done")


def test_cancel_it_for_a_shipped_order_gives_the_rule_not_another_topic(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("Maya Thompson, maya.thompson@example.com. where is my order?")
    chat.say("can I cancel it?")
    reply = replies(chat)[-1]
    assert "AB40317" in reply and "Acme Plus" not in reply


def test_a_delivered_order_is_returned_not_refused_and_a_bare_yes_asks_what_next(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("Daniel Okafor, daniel.okafor@example.com. where is my order?")
    chat.say("can you cancel it?")
    refusal = replies(chat)[-1]
    assert "AB41562" in refusal and "return it instead" in refusal and "refuse the delivery" not in refusal
    chat.say("yes")  # nothing was proposed: no article found for "yes"
    assert "Source:" not in replies(chat)[-1] and "Acme Plus" not in replies(chat)[-1]


def test_an_opening_that_introduces_the_customer_is_not_a_request_for_a_person(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("This is Priya Raman, priya.raman@example.com")
    state = client.get(f"/v1/conversations/{chat.id}", headers=chat.auth).json()["state"]
    assert state["status"] == "BOT"
    chat.say("Priya Raman again, priya.raman@example.com, get me an agent please")
    state = client.get(f"/v1/conversations/{chat.id}", headers=chat.auth).json()["state"]
    assert state["status"] == "WAITING_FOR_AGENT"


def test_the_saved_cards_are_looked_up_and_two_questions_get_two_answers(client: TestClient, svc: Services) -> None:
    chat = start_chat(client)
    chat.say("Jacob Wilson jacob.wilson@example.com what cards do i have on file?")
    chat.say("when did my tee arrive? and did I pay extra for express?")
    cards, both = replies(chat)
    assert "4108 (expired 11/26)" in cards and "3355" in cards
    assert "delivered on November 30, 2026" in both and "$9.00" in both
    looked = [e["body"]["topic"] for e in staff_events(chat, svc) if e["type"] == "store_looked_up"]
    assert looked == ["payment_methods", "order_status", "order_charges"]


def test_a_case_told_in_unknown_words_is_looked_up_once_the_details_come(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("my boots say delivered but they aren't here")
    chat.say("Daniel Okafor, AB41562")
    rule, record = replies(chat)
    assert "48 hours" in rule
    assert "AB41562" in record and "December 12, 2026" in record


def test_a_follow_up_detail_gets_the_next_sentences_not_the_same(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("my promo code SAVE20 says invalid")
    chat.say("I got it in an email 3 days ago")
    first, second = replies(chat)
    assert "Source: How do promo codes work?" in first and "Source: How do promo codes work?" in second
    said = {s.strip() for s in first.split("(Source")[0].split(". ") if s.strip()}
    assert not said & {s.strip() for s in second.split("(Source")[0].split(". ") if s.strip()}


def test_the_assistant_speaks_the_customers_language_in_its_own_sentences(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("¿Dónde está mi pedido?")
    chat.say("Maya Thompson, maya.thompson@example.com")
    ask, answer = replies(chat)
    assert ask.startswith("Puedo consultarlo.")
    assert answer.startswith("Gracias, ya confirmé que eres tú.") and "AB40317" in answer


def test_a_signed_in_customer_is_asked_only_for_their_name(client: TestClient) -> None:
    chat = start_chat(client, account_id="cu_1001")
    chat.say("hi! where's my order?")
    chat.say("Maya Thompson")
    ask, answer = replies(chat)
    assert ask == "I can look that up. To confirm it's you, what's your full name?"
    assert "AB40317" in answer and "delayed" in answer


def test_a_signed_in_customers_second_record_question_is_answered_beside_an_action(client: TestClient) -> None:
    chat = start_chat(client, account_id="cu_1009")
    chat.say("can I still change the address on my order, and why is there an 8 dollar charge?")
    chat.say("Grace Liu")
    reply = replies(chat)[-1]
    assert "Oversized item fee $8.00" in reply and "address can be changed" in reply
    assert reply.index("$8.00") < reply.index("address can be changed")  # the question back comes last


def test_a_question_pointing_back_at_a_record_gets_no_unrelated_rule(client: TestClient) -> None:
    chat = start_chat(client, account_id="cu_1020")
    chat.say("when does my plus renew and how much will it be?")
    chat.say("Samuel Reyes")
    reply = replies(chat)[-1]
    assert "December 10, 2026 for $49.00" in reply and "return label" not in reply


def test_a_name_given_again_after_the_answer_is_no_question(client: TestClient) -> None:
    chat = start_chat(client, account_id="cu_1020")
    chat.say("when does my plus renew?")
    chat.say("Samuel Reyes")
    chat.say("Samuel Reyes")
    assert replies(chat)[-1] == "Is there anything else I can help you with?"


def test_a_rule_asked_about_an_item_the_customer_bought_is_answered_for_that_item(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("Olivia Rossi olivia.rossi@example.com")
    chat.say("can i return the linen camp shirt?")
    _, answer = replies(chat)
    assert answer.startswith("Linen Camp Shirt (Clearance) is final sale")


def test_an_item_the_customer_never_bought_is_said_so_not_the_newest_order(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("I want to return the jeans")
    chat.say("Daniel Okafor, daniel.okafor@example.com")
    reply = replies(chat)[-1]
    assert "I don't see jeans" in reply and "AB41562" in reply and "AB36044" in reply
    assert "Shall I" not in reply  # no return proposed for the boots


def test_an_introduction_is_not_a_question_and_ciao_opening_it_is_no_goodbye(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("my name is Maya Thompson")
    assert replies(chat)[-1].startswith("What can I help you with")  # not "change your name"
    ciao = start_chat(client)
    ciao.say("Ciao, sono Olivia Rossi")
    assert "Come posso aiutarti" in replies(ciao)[-1]  # not the closing


def test_a_level_asked_about_gets_its_own_row(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("what perks do gold members get?")
    reply = replies(chat)[-1]
    # the row may follow the sentence that introduces the table ("Your level is set by ...: Gold: ...")
    assert "Gold: yearly spend" in reply and "Bronze" not in reply and "Silver" not in reply


def test_a_rule_question_in_the_first_person_gets_the_rule_and_the_offer(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("is the gift wrap fee refunded when I return the item?")
    reply = replies(chat)[-1]
    assert "aren't refunded" in reply and "full name" in reply


def test_a_customer_writing_spanish_is_told_of_the_handoff_in_spanish(client: TestClient) -> None:
    chat = start_chat(client)
    chat.say("hola, quiero devolver unos pantalones que me quedan grandes")
    chat.say("quiero hablar con una persona, por favor")
    notice = replies(chat)[-1]
    assert notice.startswith("Nuestro equipo de Pedidos y Envíos") or notice.startswith("Te paso con una persona")
    assert "team" not in notice and "{" not in notice


def claim_and_hand_back(client: TestClient, svc: Services, conversation_id: str, note: str) -> None:
    """An agent of the team the conversation went to claims it and hands it back with ``note``."""
    lead = staff_token(svc, "lead", ["general"])
    team = client.get(f"/v1/conversations/{conversation_id}", headers=lead).json()["state"]["team"]
    staff = staff_token(svc, "agent", [team])
    assert client.post(f"/v1/conversations/{conversation_id}/claim", headers=staff).status_code == 200
    handback = client.post(f"/v1/conversations/{conversation_id}/handback", json={"note": note}, headers=staff)
    assert handback.status_code == 200


def test_a_spanish_customer_is_greeted_back_in_spanish_with_the_agents_note(client: TestClient, svc: Services) -> None:
    chat = start_chat(client)
    chat.say("hola, ¿dónde está mi pedido? soy Maya Thompson, maya.thompson@example.com")
    chat.say("quiero hablar con una persona, por favor")
    note = "Replacement for AB40317 shipped by free express"
    claim_and_hand_back(client, svc, chat.id, note)
    resume = next(r for r in replies(chat) if "Vuelves a estar conmigo" in r)
    assert resume.startswith("Gracias, Maya.") and f"La nota de nuestro equipo dice: {note}." in resume
    assert "back with me" not in resume


def test_a_polish_customer_is_told_of_the_handoff_and_greeted_back_in_polish(client: TestClient, svc: Services) -> None:
    chat = start_chat(client)
    chat.say("dzień dobry, chcę rozmawiać z konsultantem, proszę")
    notice = replies(chat)[-1]
    assert notice.startswith(("Nasz zespół", "Łączę Cię z osobą")) and "team" not in notice and "{" not in notice
    note = "Replacement for AB40317 shipped by free express"
    claim_and_hand_back(client, svc, chat.id, note)
    resume = next(r for r in replies(chat) if "Znowu rozmawiasz ze mną" in r)
    assert f"Notatka naszego zespołu: {note}." in resume and "back with me" not in resume


def test_a_signed_in_customer_asking_after_another_order_by_its_item_gets_that_order(client: TestClient) -> None:
    chat = start_chat(client, account_id="cu_1011")
    chat.say("how many sock packs did I order on AB41455")
    chat.say("has my cap order shipped?")
    chat.say("when's my cap order getting here")
    socks, cap, again = replies(chat)
    assert "AB41455" in socks
    assert "AB42310" in cap and "AB41455" not in cap
    assert "AB42310" in again
