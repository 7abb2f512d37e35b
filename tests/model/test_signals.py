"""The learned escalation signals: shipped artifact, calibration, multilingual cases, the
conversation stage, the backstop rule and the training code's determinism."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from warmline.cli import app
from warmline.model.encoder import shared_encoder
from warmline.model.frustration import frustration_score
from warmline.model.human_request import human_request_score, rule_backstop
from warmline.model.signals import ARTIFACT, SignalModel, sparse_features, style_features
from warmline.model.signals_training import (
    CALIBRATION_FOLDS,
    FIRST_MESSAGES,
    LABELS,
    Features,
    calibration_folds,
    data_digest,
    first_message_rows,
    fit_head,
    fit_platt,
    signal_rows,
    team_rows,
)
from warmline.packs import load_pack
from warmline.policy import load_policy

GOLDEN = yaml.safe_load((Path(__file__).parents[1] / "policy" / "golden" / "human_request.yaml").read_text())


@pytest.fixture(scope="module")
def signals() -> SignalModel:
    return SignalModel.load(load_pack("demo").path / ARTIFACT)


@pytest.fixture(scope="module")
def encode():
    return shared_encoder().encode


def turn(signals: SignalModel, encode, text: str):  # type: ignore[no-untyped-def]
    return signals.turn(text, encode([text])[0])


def test_the_shipped_artifact_matches_the_pack_data(signals) -> None:
    pack = load_pack("demo")
    assert signals.meta["data"] == data_digest(pack.path)
    assert signals.meta["examples"] > 10000


def test_save_and_load_round_trip(signals, tmp_path, encode) -> None:
    path = tmp_path / "signals.npz"
    signals.save(path)
    again = SignalModel.load(path)
    text = "I want to speak to a human"
    vector = encode([text])[0]
    assert again.turn(text, vector).human_request == pytest.approx(signals.turn(text, vector).human_request, abs=1e-3)


def test_a_foreign_file_is_refused(tmp_path) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, header=np.array(json.dumps({"schema": "something-else"})))
    with pytest.raises(ValueError):
        SignalModel.load(path)


# What the demo policy escalates on (triggers.human_request.threshold).
REQUEST_THRESHOLD = load_policy(load_pack("demo").path / "policy.yaml").triggers.human_request.threshold


@pytest.mark.parametrize("text", GOLDEN["positive"])
def test_requests_for_a_person(signals, encode, text: str) -> None:
    score, cues = human_request_score(text, turn(signals, encode, text).human_request)
    assert score >= max(0.5, REQUEST_THRESHOLD), cues


@pytest.mark.parametrize("text", GOLDEN["negative"])
def test_look_alikes_are_not_requests(signals, encode, text: str) -> None:
    score, cues = human_request_score(text, turn(signals, encode, text).human_request)
    assert score < min(0.5, REQUEST_THRESHOLD), cues


@pytest.mark.parametrize(
    ("text", "out_of_scope"),
    [
        ("Can you help me book a flight to Denver?", True),
        ("¿Cuál es la receta de la paella?", True),
        ("Wie wird das Wetter morgen in Berlin?", True),
        ("Où est ma commande AB44102 ?", False),
        ("Quiero devolver unas botas", False),
        ("Wann kommt mein Paket?", False),
        ("can I get a gift receipt for this order?", False),
        ("am I talking to a bot?", False),
    ],
)
def test_out_of_scope_across_languages(signals, encode, text: str, out_of_scope: bool) -> None:
    assert (turn(signals, encode, text).out_of_scope >= 0.5) is out_of_scope


def test_frustration_is_read_over_the_conversation(signals, encode) -> None:
    def score(turns: list[str]) -> tuple[float, list[str]]:
        *earlier, last = turns
        vectors = encode(turns)
        signal = signals.turn(last, vectors[-1])
        return frustration_score(signals, signal, last, vectors[-1], earlier, vectors[:-1] if earlier else None)

    calm, _ = score(["Where is my order?"])
    assert calm < 0.3
    told, cues = score(["where is my order", "I ALREADY GAVE YOU MY ORDER NUMBER. How many times??"])
    assert told >= 0.5 and "message" in cues
    repeated, cues = score(["where is my refund for the jacket", "where is my refund for the jacket"])
    assert "repetition" in cues


def test_calibration_is_monotone_and_bounded(signals, encode) -> None:
    for text in ["hi", "AGENT NOW", "I want a recipe for lasagna"]:
        result = turn(signals, encode, text)
        assert 0.0 <= result.human_request <= 1.0 and 0.0 <= result.out_of_scope <= 1.0


def test_asking_who_answers_is_not_a_request_unless_it_asks_for_one() -> None:
    assert human_request_score("is this a person or a bot?", 0.7) == (0.2, ["model:0.70", "rule:asks_who_answers"])
    assert human_request_score("r u human lol", 0.6)[0] == 0.2
    assert human_request_score("are you a bot? then get me a person", 0.7)[0] == 0.7


def test_the_backstop_only_lifts_plain_requests() -> None:
    assert rule_backstop("agent!!") and rule_backstop("Mitarbeiter bitte")
    assert rule_backstop("I want to talk to a human")
    assert rule_backstop("I don't want to talk to a human") is None
    assert rule_backstop("the delivery agent was late") is None
    assert human_request_score("agent!!", 0.2)[0] >= 0.5
    assert human_request_score("where is my order", 0.8)[0] == 0.8  # never lowers the model's score


@pytest.mark.parametrize(
    "text",
    [
        "I was charged twice for my jacket. operator",
        "I need to change my shipping address. representative please",
        "my promo code doesn't work. speek to a humen",
        "i want a representitive",
        "call me back please",
        "Is there a number I can call?",
        "can someone ring me today",
        "Kan jag få prata med en människa?",
        "Müşteri temsilcisiyle görüşmek istiyorum",
        "Beni bir yetkiliye bağlayın lütfen",
    ],
)
def test_the_backstop_hears_a_last_sentence_a_misspelt_person_and_a_callback(text: str) -> None:
    assert rule_backstop(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "call me Sam",
        "please call me Sam, and where is my order",
        "don't call me please, email is fine",
        "Your agent said it shipped. Thanks.",
        "I work as a travel agent. Any discount?",
        "I dont want a representitive",
        "I need to update the phone number on my account",
        "Jag vill inte prata med en människa",
        "Kundtjänst sa att paketet kommer",
        "Bir insanla konuşmak istemiyorum",
    ],
)
def test_the_backstop_leaves_look_alikes_alone(text: str) -> None:
    assert rule_backstop(text) is None


def test_features_handle_case_and_spacing() -> None:
    assert sparse_features("Où est") == sparse_features("ou est")
    assert style_features("W H E R E  I S  I T")[4] == 1.0
    assert style_features("THIS IS RIDICULOUS")[0] == 1.0


def test_training_is_deterministic_and_calibrated() -> None:
    rng = np.random.default_rng(0)
    texts = [f"please connect me to an agent {i}" for i in range(40)] + [f"where is my order {i}" for i in range(40)]
    vectors = rng.normal(size=(80, 384)).astype(np.float32) * 0.01
    features = Features(texts, vectors)
    y = np.array([1.0] * 40 + [0.0] * 40)
    first, second = fit_head(features, y, 1e-4, steps=60), fit_head(features, y, 1e-4, steps=60)
    assert np.array_equal(first.sparse, second.sparse) and first.bias == second.bias
    z = features.logits(first.sparse.astype(np.float64), first.dense.astype(np.float64), first.bias)
    assert (z[:40] > 0).all() and (z[40:] < 0).all()
    a, b = fit_platt(z, y)
    assert a > 0


def test_calibration_folds_keep_each_source_whole() -> None:
    rows = signal_rows(load_pack("demo").path)
    folds = calibration_folds(rows)
    by_group: dict[str, set[int]] = {}
    for row, fold in zip(rows, folds, strict=True):
        by_group.setdefault(row.group, set()).add(int(fold))
    # A head is calibrated on sources it was not fitted on: each source sits in one fold ...
    assert all(len(f) == 1 for g, f in by_group.items() if g != "pack")
    # ... except the pack's own utterances (most of the in-scope data), spread over all of them.
    assert by_group["pack"] == set(range(CALIBRATION_FOLDS))


def test_the_shipped_heads_are_calibrated_out_of_source(signals) -> None:
    assert signals.meta.get("calibration") == f"out-of-source, {CALIBRATION_FOLDS} folds"


def test_training_rows_cover_the_languages_and_kinds() -> None:
    rows = signal_rows(load_pack("demo").path)
    assert {r.lang for r in rows} >= {"en", "es", "fr", "de", "pt", "it", "nl", "pl"}
    kinds = {r.kind for r in rows}
    assert kinds == set(LABELS)
    assert len({r.text for r in rows}) > 10000


def test_rows_written_one_by_one_cover_every_language_and_weigh_more() -> None:
    rows = team_rows(load_pack("demo").path)
    languages = {"en", "es", "fr", "de", "pt", "it", "nl", "pl"}
    assert {r.lang for r in rows} == languages
    assert {r.group for r in rows} == {f"team/{lang}" for lang in languages}  # one source per language
    for lang in languages:  # every signal has examples of both labels in every language
        kinds = {r.kind for r in rows if r.lang == lang}
        assert {"human_request", "not_human_request", "frustrated", "out_of_scope", "in_scope"} <= kinds
    assert all(r.weight > 1.0 for r in rows)
    assert all(r.weight == 1.0 for r in signal_rows(load_pack("demo").path) if r.group in {"bitext", "clinc150"})


def test_first_messages_train_the_frustration_head_alone_and_leave_the_other_folds_as_they_were() -> None:
    pack = load_pack("demo").path
    rows = signal_rows(pack)
    first = first_message_rows(pack)
    languages = {"en", "es", "fr", "de", "pt", "it", "nl", "pl"}
    assert {r.lang for r in first} == languages and {r.group for r in first} == {FIRST_MESSAGES}
    for lang in languages:  # angry and lively-but-calm messages in every language
        assert {r.kind for r in first if r.lang == lang} == {"frustrated_message", "calm_message"}
    assert all(LABELS[r.kind][0] is None and LABELS[r.kind][2] is None for r in first)
    assert all(r.weight > 1.0 for r in first)
    # The smallest source is dealt last, so every other source keeps its calibration fold and
    # the request and off-topic heads are fitted and calibrated exactly as without these rows.
    others = [r for r in rows if r.group != FIRST_MESSAGES]
    sizes = {g: sum(r.group == g for r in others) for g in {r.group for r in others} - {"pack"}}
    assert len(first) < min(sizes.values())
    kept = np.array([r.group != FIRST_MESSAGES for r in rows])
    assert (calibration_folds(rows)[kept] == calibration_folds(others)).all()


@pytest.mark.parametrize(
    ("text", "frustrated"),
    [
        ("Third email this week about the same missing refund. I'm disputing the payment with my bank.", True),
        ("Ya os di mi número de pedido dos veces. ¿Alguien lee lo que escribo?", True),
        ("Schon wieder die gleiche automatische Antwort. Ich bestelle nie wieder bei euch.", True),
        ("eek my order is here!! 😍 do you have the matching hat??", False),
        ("¡¡Hola!! ¡Qué bonita la chaqueta! ¿Hacéis envíos a Canarias?", False),
        ("The lid is a little loose, not a big deal. Can I buy a spare one?", False),
    ],
)
def test_a_single_message_reads_angry_or_calm_not_loud(signals, encode, text: str, frustrated: bool) -> None:
    assert (turn(signals, encode, text).frustration >= 0.5) is frustrated


def test_team_file_with_an_unknown_kind_is_refused(tmp_path) -> None:
    pack = tmp_path / "pack"
    (pack / "signals" / "team").mkdir(parents=True)
    (pack / "intents.yaml").write_text("{}")
    (pack / "signals" / "team" / "en.yaml").write_text("angry_customer: [grr]\n")
    with pytest.raises(ValueError, match="angry_customer"):
        signal_rows(pack)


def test_row_weights_change_the_fit_within_a_class() -> None:
    rng = np.random.default_rng(1)
    texts = ["agent please"] * 10 + ["agent please"] * 10 + ["where is my order"] * 10
    vectors = rng.normal(size=(30, 384)).astype(np.float32) * 0.01
    y = np.array([1.0] * 10 + [0.0] * 20)
    features = Features(texts, vectors)

    def logit_of_the_ambiguous_text(weight: float) -> float:
        head = fit_head(features, y, 1e-4, steps=60, row_weight=np.array([1.0] * 10 + [weight] * 10 + [1.0] * 10))
        return float(features.logits(head.sparse.astype(np.float64), head.dense.astype(np.float64), head.bias)[0])

    # The heavier its negative copies weigh against the other negatives, the lower the text scores.
    assert logit_of_the_ambiguous_text(3.0) < logit_of_the_ambiguous_text(1.0 / 3.0)


def test_cli_refuses_an_unknown_source() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["eval", "signals", "--leave-out", "no-such-source", "--json"])
    assert result.exit_code == 2 and "invalid_data" in result.output
