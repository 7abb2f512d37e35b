"""Another company's service is out of scope; naming a company in a store request is not."""

from __future__ import annotations

import pytest

from warmline.model.scope import other_company_request

ABOUT_ANOTHER_COMPANY = [
    ("How do I reset my Netflix password?", "Netflix"),
    ("Is my Amazon package going to arrive today?", "Amazon"),
    ("How do I sign up for Spotify premium?", "Spotify"),
    ("How do I cancel my gym membership at Planet Fitness?", "Planet Fitness"),
    ("I ordered from eBay and the seller never shipped", "eBay"),
]
STORE_REQUESTS = [
    "Walmart sells these boots cheaper, can you match?",
    "I saw the jacket on Amazon for less, do you price match?",
    "I paid with PayPal and want the refund there",
    "my gmail address is jo@gmail.com",
    "the tracking says FedEx delivered it",
    "I want to cancel my subscription",
]


@pytest.mark.parametrize(("text", "company"), ABOUT_ANOTHER_COMPANY)
def test_requests_about_another_companys_service(text: str, company: str) -> None:
    assert other_company_request(text) == company


@pytest.mark.parametrize("text", STORE_REQUESTS)
def test_store_requests_that_name_a_company(text: str) -> None:
    assert other_company_request(text) is None
