"""The conversation's need from all customer turns: bare answers keep it, a new topic replaces it."""

from __future__ import annotations

from warmline.model.analysis import IntentScore
from warmline.model.conversation_intent import TurnEvidence, conversation_intent


def turn(text: str, *scores: tuple[str, float], answers: bool = False) -> TurnEvidence:
    intents = [IntentScore(flow=label.split("/")[0], subflow=label.split("/")[1], confidence=c) for label, c in scores]
    return TurnEvidence(text, intents, answers_request=answers)


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
