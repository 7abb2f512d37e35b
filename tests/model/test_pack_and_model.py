from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import httpx
import pytest

from warmline.model import TurnContext, UnknownModelBackend, create_model
from warmline.model.analysis import Fact, Turn, TurnAnalysis
from warmline.packs import PackError, load_pack


@pytest.fixture(scope="module")
def pack():
    return load_pack("demo")


@pytest.fixture(scope="module")
def model(pack):
    return create_model("embedded", pack)


def test_pack_matches_the_abcd_ontology_and_team_map(pack) -> None:
    assert len(pack.flows) == 10 and len(pack.subflows) == 55
    assert pack.team_for("account_access", "reset_2fa") == "account"
    assert pack.team_for("single_item_query", "jeans_how_2") == pack.team_for("single_item_query", "jeans")
    assert [s.action for s in pack.procedure("account_access", "recover_password")] == [
        "pull-up-account",
        "enter-details",
        "make-password",
    ]
    assert len({a.id for a in pack.articles}) == len(pack.articles) >= 55
    assert pack.accounts and all("id" in a and "name" in a for a in pack.accounts.values())
    assert load_pack("demo") is pack  # cached


def test_unknown_pack_and_backend_are_errors(pack) -> None:
    with pytest.raises(PackError):
        load_pack("no-such-pack")
    with pytest.raises(UnknownModelBackend):
        create_model("gpt-magic", pack)


def test_the_bots_own_words_come_from_the_pack(pack, tmp_path: Path) -> None:
    assert pack.texts.brand == "AcmeBrands"
    assert pack.texts.notice("billing").startswith("I'm connecting you with our billing team.")
    assert pack.texts.resume_text("Kim").startswith("Thanks, Kim. You're back with the assistant")
    assert pack.texts.resume_text(None).startswith("You're back with the assistant")

    import shutil

    copy = tmp_path / "shop"
    shutil.copytree(pack.path, copy, ignore=shutil.ignore_patterns("*.npz", "*.onnx", "eval"))
    texts = copy / "texts.yaml"
    cases = {
        "brand: Shop\nhandoff_notice: x\nresume: y\n": "missing or empty: resume_greeting",
        "brand: Shop\nhandoff_notice: x\nresume: y\nresume_greeting: z\nslogan: w\n": "unknown: slogan",
        "brand: Shop\nhandoff_notice: 'to {queue}'\nresume: y\nresume_greeting: z\n": "placeholder",
        "[1, 2]\n": "expected a mapping",
        "brand: Shop\nhandoff_notice: x\nresume: y\nresume_greeting: z\nneeds: {a/b: ''}\n": "needs must map",
        "brand: Shop\nhandoff_notice: x\nresume: y\nresume_greeting: z\nneeds: {no/such: Hi.}\n": "unknown intents",
    }
    for text, problem in cases.items():
        texts.write_text(text)
        with pytest.raises(PackError, match=problem):
            load_pack(str(copy))
    texts.unlink()
    with pytest.raises(PackError, match="texts.yaml: missing"):
        load_pack(str(copy))


def test_step_wording_is_checked_when_the_pack_loads(pack, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "shop"
    shutil.copytree(pack.path, copy, ignore=shutil.ignore_patterns("*.npz", "*.onnx", "eval"))
    steps = copy / "steps.yaml"
    cases = {
        "no-such-step: {label: x, how: y}\n": "actions in no procedure: no-such-step",
        "pull-up-account: {label: x}\n": "pull-up-account: needs exactly",
        "pull-up-account: {label: '', how: y}\n": "pull-up-account: needs exactly",
        "[1, 2]\n": "expected a mapping",
        "pull-up-account: [\n": "invalid YAML",
    }
    for text, problem in cases.items():
        steps.write_text(text)
        with pytest.raises(PackError, match=problem):
            load_pack(str(copy))
    steps.write_text("pull-up-account: {label: Find the member, how: By name.}\n")
    step = load_pack(str(copy)).procedure("product_defect", "refund_initiate")[0]
    assert (step.label, step.how, step.button) == ("Find the member", "By name.", "Pull up Account")
    steps.unlink()
    step = load_pack(str(copy)).procedure("product_defect", "refund_initiate")[0]
    assert (step.label, step.how) == ("Pull up Account", "")


def test_analysis_of_a_turn(model) -> None:
    analysis = model.analyse(
        TurnContext(conversation_id="c", message_seq=3, text="I forgot my password, can you help?")
    )
    assert (analysis.flow, analysis.subflow) == ("account_access", "recover_password")
    assert not analysis.out_of_scope and analysis.reply_kind == "answer"
    assert analysis.citations and analysis.citations[0].article_id.startswith("acme-")
    assert analysis.message_seq == 3
    assert type(analysis).model_validate(analysis.model_dump()) == analysis  # storable as an event


def test_out_of_scope(model) -> None:
    analysis = model.analyse(
        TurnContext(conversation_id="c", message_seq=1, text="what's the weather in Paris tomorrow")
    )
    assert analysis.out_of_scope and analysis.reply_kind == "refuse"


@pytest.mark.parametrize(
    ("text", "subflow"),
    [
        ("I keep clicking add to cart but the cart stays at 0", "shopping_cart"),
        ("are the boots waterproof", "boots"),
    ],
)
def test_a_clearly_named_need_stays_in_scope(model, text: str, subflow: str) -> None:
    analysis = model.analyse(TurnContext(conversation_id="c", message_seq=1, text=text))
    assert not analysis.out_of_scope and analysis.subflow == subflow


def test_two_turns_that_only_together_name_the_need(model) -> None:
    opening = "about the jacket on your homepage"
    first = model.analyse(TurnContext(conversation_id="c", message_seq=1, text=opening))
    assert first.alternatives == []  # the item alone is no need yet
    history = [
        Turn(seq=1, speaker="customer", text=opening),
        Turn(seq=2, speaker="agent", text="What would you like to know?"),
    ]
    follow_up = "can I wash it at home or does it need dry cleaning"
    alone = model.analyse(TurnContext(conversation_id="d", message_seq=1, text=follow_up))
    second = model.analyse(
        TurnContext(conversation_id="c", message_seq=3, text=follow_up, history=history, analyses=[first])
    )
    assert alone.subflow is None  # read alone, a laundry question
    assert second.subflow == "jacket" and not second.out_of_scope


def test_conversation_intent_survives_fact_turns_and_reply_does_not_reask(model) -> None:
    first = model.analyse(
        TurnContext(conversation_id="c", message_seq=1, text="I want to return the jeans, wrong color")
    )
    history = [
        Turn(seq=1, speaker="customer", text="I want to return the jeans, wrong color"),
        Turn(seq=2, speaker="agent", text="Sure, can I have your full name?"),
    ]
    second = model.analyse(
        TurnContext(conversation_id="c", message_seq=3, text="Joseph Banter", history=history, analyses=[first])
    )
    assert second.subflow == "return_color"
    assert ("name", "Joseph Banter", 3) in {(f.kind, f.value, f.source_seq) for f in second.facts}
    known = [
        Fact(kind="username", value="jb1", source_seq=1),
        Fact(kind="email", value="a@b.com", source_seq=1),
        Fact(kind="order_id", value="1234567890", source_seq=1),
        Fact(kind="name", value="J B", source_seq=1),
    ]
    third = model.analyse(
        TurnContext(conversation_id="c", message_seq=5, text="I want to return the jeans", known_facts=known)
    )
    assert "order ID" not in third.reply and "username" not in third.reply


@pytest.mark.parametrize(
    ("opening", "agent", "answer", "subflow"),
    [
        ("my promo code keeps getting rejected at checkout", "What's your name?", "Lopez, Maria", "promo_code_invalid"),
        (
            "I need to update my address",
            "Full name please?",
            "first name is Ana, last name Souza",
            "manage_change_address",
        ),
        (
            "my order came with two instead of one",
            "Order number?",
            "its 3358104972 under my husband David Kim",
            "status_quantity",
        ),
        ("the coupon isn't working", "Which code are you using?", "SPRING-15", "promo_code_invalid"),
        ("my promo code won't work", "What is your membership level?", "I am a gold member", "promo_code_invalid"),
        (
            "I was billed for shoes I already returned",
            "Did you keep the receipt?",
            "yes I did",
            "mistimed_billing_already_returned",
        ),
    ],
)
def test_a_later_turn_of_identifiers_keeps_the_need(model, opening: str, agent: str, answer: str, subflow: str) -> None:
    first = model.analyse(TurnContext(conversation_id="c", message_seq=1, text=opening))
    history = [Turn(seq=1, speaker="customer", text=opening), Turn(seq=2, speaker="agent", text=agent)]
    second = model.analyse(
        TurnContext(conversation_id="c", message_seq=3, text=answer, history=history, analyses=[first])
    )
    assert second.alternatives == [] and second.subflow == subflow
    assert second.confidence == first.confidence


@pytest.mark.parametrize(
    ("text", "only_item"),
    [
        ("Micheal Kors shirt", True),
        ("the $49 TH Boots", True),
        ("the navy XL hoodie", True),
        ("return the shirt", False),
        ("can I wash the jacket at home?", False),
        ("my jeans are too tight", False),
    ],
)
def test_a_turn_that_only_names_the_item(text: str, only_item: bool) -> None:
    from warmline.model.embedded import names_only_item
    from warmline.model.facts import extract_facts

    assert names_only_item(text, extract_facts(text, 1, "customer")) is only_item


def test_naming_the_item_or_giving_the_username_keeps_the_need(model) -> None:
    turns = [
        ("customer", "the hoodie I want has been sold out for weeks"),
        ("agent", "Sorry about that. Can I have your username?"),
        ("customer", "sure, my username is kpatel77"),
        ("agent", "Thanks. Which one is it?"),
        ("customer", "the grey Calvin Klein hoodie"),
        ("agent", "Noted."),
        ("customer", "did you get the right username? it's kpatel77"),
    ]
    history: list[Turn] = []
    analyses: list[TurnAnalysis] = []
    for seq, (speaker, text) in enumerate(turns, start=1):
        if speaker == "customer":
            analyses.append(
                model.analyse(
                    TurnContext(
                        conversation_id="c", message_seq=seq, text=text, history=list(history), analyses=list(analyses)
                    )
                )
            )
        history.append(Turn(seq=seq, speaker=speaker, text=text))
    assert {a.subflow for a in analyses} == {"out_of_stock_one_item"}


def test_openai_backend_with_mock_transport(pack) -> None:
    recorded = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {
                    "role": "assistant",
                    "content": json.dumps(
                        {
                            "intent": "shipping_issue/missing",
                            "confidence": 0.9,
                            "out_of_scope": False,
                            "sentiment": -0.4,
                            "reply": "Sorry your package has not arrived; let me check it.",
                        }
                    ),
                },
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json=recorded)

    client = httpx.Client(base_url="https://llm.example/v1", transport=httpx.MockTransport(handler))
    model = create_model("openai", pack, http_client=client)
    analysis = model.analyse(
        TurnContext(conversation_id="c", message_seq=1, text="my package never came, order 1234567890")
    )
    assert (analysis.flow, analysis.subflow) == ("shipping_issue", "missing")
    assert analysis.facts[0].kind == "order_id"
    assert seen[0]["messages"][0]["role"] == "system"


def test_openai_backend_errors_are_typed(pack) -> None:
    from warmline.model.openai import ModelBackendError

    client = httpx.Client(
        base_url="https://llm.example/v1",
        transport=httpx.MockTransport(lambda r: httpx.Response(500, json={"error": "boom"})),
    )
    with pytest.raises(ModelBackendError):
        create_model("openai", pack, http_client=client).analyse(
            TurnContext(conversation_id="c", message_seq=1, text="hi")
        )


def test_training_examples_are_in_the_repo(pack) -> None:
    rows = pack.training_examples()
    labels = {row.label for row in rows}
    assert {"oos", "smalltalk", "account_access/reset_2fa"} <= labels
    # the generated variants of one phrasing share its group; every subflow has many phrasings
    by_group: dict[str, set[str]] = {}
    for row in rows:
        by_group.setdefault(row.group, set()).add(row.label)
    assert all(len(group_labels) == 1 for group_labels in by_group.values())
    assert len(by_group) < len(rows)
    phrasings = Counter(label for group, (label,) in by_group.items() if group.startswith("en:"))
    assert min(phrasings[sub.label] for sub in pack.subflows) >= 30
    assert (Path(pack.path) / "ATTRIBUTION.md").is_file()


@pytest.mark.parametrize(
    ("label", "top", "oos_score", "in_scope"),
    [
        ("manage_account/status_credit_missing", 1.0, 0.89, True),  # a doubtful head does not outvote it
        ("manage_account/manage_payment_method", 0.88, 0.99, True),
        ("manage_account/manage_payment_method", 0.88, 0.999, False),  # a certain head does
        ("manage_account/manage_payment_method", 0.7, 0.6, False),  # nor does an unsure classifier
        ("oos", 0.99, 0.6, False),
        ("vague", 0.99, 0.6, False),
    ],
)
def test_a_clear_need_outweighs_a_doubtful_out_of_scope_head(
    label: str, top: float, oos_score: float, in_scope: bool
) -> None:
    from warmline.model.embedded import names_clear_need

    assert names_clear_need(label, top, oos_score) is in_scope
