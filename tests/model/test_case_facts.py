"""Key facts beyond the fixed slots: codes, product attributes, dates against the message time,
what the customer tried, how something arrived, names in another form; and nothing invented."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from warmline.model.facts import extract_facts

SENT = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)  # a Tuesday


@pytest.mark.parametrize(
    ("text", "asked", "expected"),
    [
        ("my promo code SAVE20 says invalid at checkout", None, {("promo_code", "SAVE20", None)}),
        ("the coupon save20 is expired", None, {("promo_code", "save20", None)}),
        ("mi código WELCOME10 no funciona", None, {("promo_code", "WELCOME10", None)}),
        ("my gift card 6011-2345-9876-0001 won't work", None, {("gift_card", "6011-2345-9876-0001", None)}),
        (
            "I got it in an email 3 days ago",
            None,
            {("date", "3 days ago", "2026-11-28"), ("received_via", "email", None)},
        ),
        ("it's been broken since Tuesday", None, {("date", "since Tuesday", "2026-11-24")}),
        ("lo recibí hace 3 días", None, {("date", "hace 3 días", "2026-11-28")}),
        (
            "I ordered the red Calvin Klein shirt in a medium",
            None,
            {("product", "Calvin Klein shirt", None), ("colour", "red", None), ("size", "medium", None)},
        ),
        ("the jeans came in size 32", None, {("product", "jeans", None), ("size", "32", None)}),
        (
            "I already reset my password and cleared my cache",
            None,
            {("tried", "I already reset my password and cleared my cache", None)},
        ),
        ("I checked the whole box, the jacket isn't there", None, {("tried", "I checked the whole box", None)}),
        ("Banter, Joseph", None, {("name", "Banter, Joseph", "Joseph Banter")}),
        ("the account is under Maria Rodriguez", None, {("name", "Maria Rodriguez", None)}),
        ("it's under my wife's name, Priya Patel", None, {("name", "Priya Patel", None)}),
        (
            "First name Joseph, last name Banter",
            "Can I have your name?",
            {("name", "First name Joseph, last name Banter", "Joseph Banter")},
        ),
        (
            "surname is Banter and first name joseph",
            None,
            {("name", "surname is Banter and first name joseph", "Joseph Banter")},
        ),
        ("name's Chloe Zhang btw", None, {("name", "Chloe Zhang", None)}),
        ("I'm Dr. Maria Rodriguez", None, {("name", "Maria Rodriguez", None)}),
        (
            "I bought a navy XL hoodie last Friday",
            None,
            {
                ("colour", "navy", None),
                ("size", "XL", None),
                ("product", "hoodie", None),
                ("date", "last Friday", "2026-11-27"),
            },
        ),
        ("I want to return the medium black jacket", None, {("size", "medium", None), ("colour", "black", None)}),
        ("zip code would be 94107", None, {("zip_code", "94107", None)}),
        ("94107", "And your zip code?", {("zip_code", "94107", None)}),
        ("call me at (822) 577-6709", None, {("phone", "(822) 577-6709", "+18225776709")}),
        ("the gift card AGC-1234-5678-9012 isn't working", None, {("gift_card", "AGC-1234-5678-9012", None)}),
        ("its under Ben Achterberg", "Can I have your full name please?", {("name", "Ben Achterberg", None)}),
        ("sure it's María José García", "Could I get your name?", {("name", "María José García", None)}),
        ("I'm Jean-Luc Picard, jl@example.com", None, {("name", "Jean-Luc Picard", None)}),
        ("Hola, soy Lucía Fernández", None, {("name", "Lucía Fernández", None)}),
        ("Dzień dobry, nazywam się Łukasz Wójcik", None, {("name", "Łukasz Wójcik", None)}),
        ("ich bin Jürgen Groß", None, {("name", "Jürgen Groß", None)}),
        ("Okonkwo", "And your last name?", {("name", "Okonkwo", None)}),
        ("Mike", "What's your first name?", {("name", "Mike", None)}),
    ],
)
def test_case_facts_keep_the_typed_words_and_their_normal_form(
    text: str, asked: str | None, expected: set[tuple[str, str, str | None]]
) -> None:
    facts = extract_facts(text, seq=4, asked=asked, sent_at=SENT)
    assert expected <= {(f.kind, f.value, f.resolved) for f in facts}
    assert all(f.source_seq == 4 and f.value.lower() in text.lower() for f in facts)


@pytest.mark.parametrize(
    "text",
    [
        "I already told you my name twice",
        "I'm having trouble with my order",
        "can I talk to a human",
        "the code doesn't work",  # no code given
        "my order number is 8226176905",  # ten digits: an order, not a phone
        "soy cliente desde hace años",  # an introduction word before no name
        "I am Very upset about this",
        "my gift card balances are wrong",
    ],
)
def test_no_case_fact_without_support(text: str) -> None:
    kinds = {f.kind for f in extract_facts(text, seq=1, sent_at=SENT)}
    assert not kinds & {"tried", "promo_code", "gift_card", "phone", "name", "date"}


def test_a_date_without_the_message_time_is_kept_unresolved() -> None:
    facts = extract_facts("I ordered it 3 days ago", seq=2)
    assert [(f.kind, f.value, f.resolved) for f in facts] == [("date", "3 days ago", None)]


@pytest.mark.parametrize("answer", ["Thanks", "Sure", "Perfect", "Hmm", "Yes", "Why?"])
def test_a_one_word_reply_to_a_name_question_is_a_name_only_when_it_is_one(answer: str) -> None:
    facts = extract_facts(answer, seq=3, asked="Can I have your name?", sent_at=SENT)
    assert not [f for f in facts if f.kind == "name"]


NAME_ASKED = "Could I have your full name, please?"


@pytest.mark.parametrize(
    ("text", "asked", "expected"),
    [
        # names in later turns, in whatever order, case and wording they come
        ("the name is Tan, Wei", NAME_ASKED, {("name", "Tan, Wei", "Wei Tan")}),
        ("it's Lee, Sam. zip 94107", NAME_ASKED, {("name", "Lee, Sam", "Sam Lee"), ("zip_code", "94107", None)}),
        (
            "LOPEZ MARIA. order AB12345",
            NAME_ASKED,
            {("name", "LOPEZ MARIA", "Lopez Maria"), ("order_id", "AB12345", None)},
        ),
        ("It is broken. order AB12345", NAME_ASKED, {("order_id", "AB12345", None)}),
        ("sure its jamal wright", NAME_ASKED, {("name", "jamal wright", "Jamal Wright")}),
        ("ok it's lopez, maria", NAME_ASKED, {("name", "lopez, maria", "Maria Lopez")}),
        ("LOPEZ MARIA", NAME_ASKED, {("name", "LOPEZ MARIA", "Lopez Maria")}),
        ("name on the order is Maria Lopez", None, {("name", "Maria Lopez", None)}),
        ("account holder: Maria Lopez", None, {("name", "Maria Lopez", None)}),
        ("its 3358104972 under my husband David Kim", "Order number?", {("name", "David Kim", None)}),
        ("me llamo maría lópez", NAME_ASKED, {("name", "maría lópez", None)}),
        (
            "Maria Lopez 94107",
            "Can I have your name and zip code?",
            {("name", "Maria Lopez", None), ("zip_code", "94107", None)},
        ),
        (
            "maria lopez, zip 94107-1234",
            "Can I have your name and zip code?",
            {("name", "maria lopez", "Maria Lopez"), ("zip_code", "94107", None)},
        ),
        ("Dan Brown dan@example.com", "Your name and email?", {("name", "Dan Brown", None)}),
        # zip codes
        ("its 02139", "To verify, the zip code on file?", {("zip_code", "02139", None)}),
        ("my credit is missing, I live in 60614 if that helps", None, {("zip_code", "60614", None)}),
        # a code given after a question about it is the promo code, not a username
        ("SPRING-15", "Which code are you using?", {("promo_code", "SPRING-15", None)}),
        ("it's welcome10", "Which code are you using?", {("promo_code", "welcome10", None)}),
        # relative dates
        ("I sent it back two weeks back", None, {("date", "two weeks back", "2026-11-17")}),
        ("ordered a couple days ago", None, {("date", "a couple days ago", "2026-11-29")}),
        # what was tried, told in answer to a question about it
        (
            "yes, refreshed and logged out and back in",
            "Have you tried refreshing the page?",
            {("tried", "refreshed and logged out and back in", None)},
        ),
        (
            "restarted my phone and reinstalled the app",
            "What have you tried so far?",
            {("tried", "restarted my phone and reinstalled the app", None)},
        ),
    ],
)
def test_later_answers_keep_their_facts(
    text: str, asked: str | None, expected: set[tuple[str, str, str | None]]
) -> None:
    facts = extract_facts(text, seq=5, asked=asked, sent_at=SENT)
    assert expected <= {(f.kind, f.value, f.resolved) for f in facts}
    assert all(f.source_seq == 5 and f.value.lower() in text.lower() for f in facts)


@pytest.mark.parametrize(
    "answer", ["I don't know", "yes please", "one sec", "no idea honestly", "same as before", "it's under my husband"]
)
def test_a_sentence_after_a_name_question_is_no_name(answer: str) -> None:
    assert not [f for f in extract_facts(answer, seq=3, asked=NAME_ASKED, sent_at=SENT) if f.kind == "name"]


@pytest.mark.parametrize(
    ("text", "asked", "bare"),
    [
        ("first name is Ana, last name Souza", NAME_ASKED, True),
        ("its 3358104972 under my husband David Kim", "Order number?", True),
        ("sure, my name is maria lopez and my zip is 94107", "Can I have your name and zip?", True),
        ("I want a refund for order 3358104972 because it broke", None, False),
        ("the promo code SAVE20 says it expired", None, False),
    ],
)
def test_a_turn_of_identifiers_is_a_bare_answer(text: str, asked: str | None, bare: bool) -> None:
    from warmline.model.facts import is_bare_answer

    assert is_bare_answer(text, extract_facts(text, seq=2, asked=asked, sent_at=SENT)) is bare
