"""Another company's service is out of scope; naming a company in a store request is not; how
close the help center came weighs on an off-topic reading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from warmline.model.scope import (
    SCOPE_ARTIFACT,
    HelpCenterEvidence,
    ScopeEvidence,
    help_center_answers,
    load_scope_evidence,
    other_company_request,
    request_pieces,
)
from warmline.model.scope_training import fit_scope_evidence
from warmline.packs import load_pack

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


# ---- the help center's evidence on an off-topic reading -------------------------------------------


def test_the_shipped_evidence_makes_a_far_miss_surer_and_a_near_miss_less_sure() -> None:
    scope = load_scope_evidence(load_pack("demo").path)
    assert scope is not None
    far, near = HelpCenterEvidence(0.15, 0.0), HelpCenterEvidence(0.55, 0.5)
    assert scope.probability(0.6, far) > 0.6 > scope.probability(0.6, near)
    # Bayes' rule on the log-odds: the head's probability is the prior, so it moves monotonically.
    assert scope.probability(0.9, far) > scope.probability(0.6, far) > scope.probability(0.3, far)
    assert scope.meta["fitted_on"]["out_of_scope"] > 1000 and scope.meta["fitted_on"]["in_scope"] > 1000


def test_a_help_center_answer_good_enough_or_nearly_so_with_the_customers_words() -> None:
    assert help_center_answers(0.7, 0.0)
    assert help_center_answers(0.5, 0.8)
    assert not help_center_answers(0.5, 0.3)
    assert not help_center_answers(0.3, 1.0)


def test_the_evidence_file_round_trips_and_a_foreign_one_is_ignored(tmp_path: Path) -> None:
    scope = ScopeEvidence(1.0, -3.0, -0.5, meta={"examples": 3})
    assert ScopeEvidence.from_json(json.loads(json.dumps(scope.to_json()))) == scope
    (tmp_path / SCOPE_ARTIFACT).parent.mkdir(parents=True)
    (tmp_path / SCOPE_ARTIFACT).write_text(json.dumps({"schema": "something-else"}))
    assert load_scope_evidence(tmp_path) is None
    assert load_scope_evidence(tmp_path / "no-pack") is None


def test_the_fit_reads_the_evidence_of_turns_the_help_center_does_not_answer() -> None:
    # Off-topic turns come nowhere near an answer, in-scope ones come close: the ratio falls with
    # the score. Turns the help center answers well, and questions about the customer's own
    # records, are settled before the evidence counts and are left out of the fit.
    rows = [(f"off topic {i}", "out_of_scope", "a") for i in range(40)]
    rows += [(f"in scope {i}", "in_scope", "b") for i in range(40)]
    rows += [("where is my refund?", "in_scope", "b"), ("answered", "in_scope", "b")]

    def evidence(texts: list[str]) -> list[HelpCenterEvidence]:
        found = []
        for text in texts:
            if text == "answered":
                found.append(HelpCenterEvidence(0.9, 1.0))
            else:
                number = int(text.rsplit(" ", 1)[1])
                base = 0.15 if text.startswith("off") else 0.4
                found.append(HelpCenterEvidence(base + (number % 5) * 0.02, 0.0))
        return found

    scope, report = fit_scope_evidence(rows, evidence)  # type: ignore[arg-type]
    assert report["settled_by_rules"] == 1 and report["answered_by_help_center"] == 1
    assert report["fitted_on"] == {"out_of_scope": 40, "in_scope": 40}
    assert scope.score_weight < 0
    assert scope.log_ratio(HelpCenterEvidence(0.15, 0.0)) > 0 > scope.log_ratio(HelpCenterEvidence(0.45, 0.0))


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        (
            "My parcel came on Monday and the shirts are lovely, thank you. Something else altogether: "
            "could you help me plan a birthday party for ten kids?",
            ["could you help me plan a birthday party for ten kids?"],
        ),
        (
            "Compré un abrigo el mes pasado y me encanta, de verdad. Otra cosa: ¿sabes cómo se hace un gazpacho?",
            ["¿sabes cómo se hace un gazpacho?"],
        ),
        (  # no question mark: customers put the ask last
            "We are flying out on Friday and I ordered sandals on Sunday. I need to know if they arrive by Thursday",
            ["I need to know if they arrive by Thursday"],
        ),
        (  # a question too short to stand alone is read with what comes before it
            "I ordered two shirts for my brother last week. The box came torn open and one is missing. What now?",
            ["The box came torn open and one is missing. What now?"],
        ),
    ],
)
def test_a_long_message_is_read_for_scope_by_what_it_asks(text: str, asks: list[str]) -> None:
    assert request_pieces(text) == asks


@pytest.mark.parametrize(
    "text",
    [
        "can you help me write a cover letter?",  # short: read whole
        "I would like to know whether the waterproof hiking boots in brown are available in a size 44 for men",
    ],
)
def test_a_short_or_single_sentence_message_is_read_whole(text: str) -> None:
    assert request_pieces(text) == []
