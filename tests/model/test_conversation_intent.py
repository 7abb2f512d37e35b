"""The conversation's need from all customer turns: bare answers keep it, a new topic replaces it."""

from __future__ import annotations

import pytest

from warmline.model.analysis import IntentScore
from warmline.model.conversation_intent import TurnEvidence, asks_about_need, conversation_intent


def turn(text: str, *scores: tuple[str, float], answers: bool = False, elaborates: bool = False) -> TurnEvidence:
    intents = [IntentScore(flow=label.split("/")[0], subflow=label.split("/")[1], confidence=c) for label, c in scores]
    return TurnEvidence(text, intents, answers_request=answers, elaborates=elaborates)


PROMO = "purchase_dispute/promo_code_invalid"


def test_no_intent_before_a_need_is_said() -> None:
    assert conversation_intent([turn("hi"), turn("Joseph Banter")]) is None


def test_a_name_an_id_or_a_yes_keeps_the_earlier_need() -> None:
    held = conversation_intent(
        [
            turn("my promo code SAVE20 says invalid", (PROMO, 0.9)),
            turn("Joseph Banter"),
            turn("8226176905"),
            turn("yes"),
        ]
    )
    assert held is not None and (held.flow, held.subflow) == ("purchase_dispute", "promo_code_invalid")
    assert held.confidence == 0.9


def test_an_answer_to_the_agent_does_not_overwrite_the_request() -> None:
    held = conversation_intent(
        [
            turn("the jacket I want is out of stock", ("purchase_dispute/out_of_stock_one_item", 0.9)),
            turn(
                "I don't have my account ID, my username is cm730",
                ("account_access/recover_username", 0.9),
                answers=True,
            ),
        ]
    )
    assert held is not None and held.subflow == "out_of_stock_one_item"
    assert 0.5 < held.confidence < 0.9  # the turns disagree: less sure than either


def test_a_confident_detail_outweighs_a_weak_opening() -> None:
    held = conversation_intent(
        [
            turn("there's a charge on my account", ("order_issue/status_mystery_fee", 0.35)),
            turn("it's for something I never bought", ("purchase_dispute/mistimed_billing_never_bought", 0.9)),
        ]
    )
    assert held is not None and held.subflow == "mistimed_billing_never_bought"


def test_an_announced_new_topic_replaces_the_need() -> None:
    held = conversation_intent(
        [
            turn("where is my order", ("shipping_issue/status", 0.9)),
            turn("also, I need to change my phone number", ("manage_account/manage_change_phone", 0.8)),
        ]
    )
    assert held is not None and held.subflow == "manage_change_phone"


def test_a_new_need_after_an_answer_replaces_the_served_one() -> None:
    returns = ("storewide_query/policy", 0.95)
    status = ("shipping_issue/status", 0.7)
    asked_again = [turn("how long do I have to return something?", returns), turn("where is my order?", status)]
    assert conversation_intent(asked_again).subflow == "policy"  # type: ignore[union-attr]
    after_answer = TurnEvidence("where is my order?", asked_again[1].intents, after_answer=True)
    held = conversation_intent([asked_again[0], after_answer])
    assert held is not None and held.subflow == "status"


def test_details_of_the_answered_need_do_not_replace_it() -> None:
    promo = turn("my promo code SAVE20 says invalid at checkout", (PROMO, 0.9))
    detail = TurnEvidence(
        "I got it in an email 3 days ago",
        [IntentScore(flow="shipping_issue", subflow="status", confidence=0.75)],
        after_answer=True,
    )
    held = conversation_intent([promo, detail])
    assert held is not None and held.subflow == "promo_code_invalid"


def test_the_answer_to_what_the_problem_is_refines_an_equally_sure_opening() -> None:
    opening = turn("my coupon code isn't working", (PROMO, 0.99))
    detail = ("purchase_dispute/promo_code_out_of_date", 0.99)
    refined = conversation_intent([opening, turn("it says the code expired", detail, elaborates=True)])
    assert refined is not None and refined.subflow == "promo_code_out_of_date"
    # the same detail said unprompted is an elaboration the opening still outweighs
    unprompted = conversation_intent([opening, turn("it says the code expired", detail)])
    assert unprompted is not None and unprompted.subflow == "promo_code_invalid"


@pytest.mark.parametrize(
    ("agent", "asks"),
    [
        ("What does the error message say?", True),
        ("Okay, what seems to be the problem with them?", True),
        ("How can I help with that?", True),
        ("Que dit le message ?", True),
        ("¿En qué le puedo ayudar?", True),
        ("Can I have your full name?", False),
        ("Is there anything else I can help you with?", False),
        ("Thanks, I have pulled up your account.", False),
    ],
)
def test_which_agent_turns_ask_about_the_need(agent: str, asks: bool) -> None:
    assert asks_about_need(agent) is asks


def test_a_sure_specific_need_after_a_status_check_refines_it() -> None:
    status, cost = "shipping_issue/status", "shipping_issue/cost"
    opening = turn("I would like to check my order status because the shipping is high", (status, 0.99), (cost, 0.01))
    detail = turn("I haven't had to pay for shipping this high before", (cost, 0.93), (status, 0.01))
    held = conversation_intent([opening, detail])
    assert held is not None and held.subflow == "cost"
    # an unsure or a short later turn does not
    unsure = turn("it was shipped a while ago and still has not come", (cost, 0.6), (status, 0.3))
    held = conversation_intent([opening, unsure])
    assert held is not None and held.subflow == "status"
