from __future__ import annotations

import pytest

from warmline.model.facts import extract_facts
from warmline.model.frustration import sentiment


@pytest.mark.parametrize(
    ("text", "asked", "expected"),
    [
        (
            "My name is Rodriguez Domingo, my Account ID: M6EBXQJR5M",
            None,
            {("name", "Rodriguez Domingo"), ("account_id", "M6EBXQJR5M")},
        ),
        ("Joseph Banter", "Can I have the full name on your account?", {("name", "Joseph Banter")}),
        ("josephbanter716@email.com", None, {("email", "josephbanter716@email.com")}),
        ("my order id is 0929208660", None, {("order_id", "0929208660")}),
        ("Where's my order? #AB40021", None, {("order_id", "AB40021")}),
        (
            "call (822) 577-6709, I live at 5887 circle drive, zip 21131",
            None,
            {("phone", "(822) 577-6709"), ("address", "5887 circle drive"), ("zip_code", "21131")},
        ),
        ("the Guess Jacket priced at $70", None, {("amount", "$70"), ("product", "Guess Jacket")}),
        ("I ordered it on March 3rd", None, {("date", "March 3rd")}),
        ("my username is cminh730", None, {("username", "cminh730")}),
        ("I'm a gold member", None, {("membership", "gold")}),
    ],
)
def test_extracts_facts(text: str, asked: str | None, expected: set[tuple[str, str]]) -> None:
    facts = extract_facts(text, seq=7, asked=asked)
    assert expected <= {(f.kind, f.value) for f in facts}
    assert all(f.source_seq == 7 for f in facts)


def test_no_false_name_from_ordinary_sentence() -> None:
    assert not [f for f in extract_facts("I am having trouble with my order", 1) if f.kind == "name"]


def test_sentiment() -> None:
    assert sentiment("thanks, that was great") > 0 > sentiment("this is terrible and useless")
