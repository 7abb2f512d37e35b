"""``warmline eval intents|conversations|frustration``, ``warmline bench model`` and ``warmline model build``.

Stable JSON interfaces for the quality gate; input errors exit with code 2 as
``error (invalid_data): message``.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import typer

from warmline.cli import bench_app, eval_app, model_app
from warmline.cli.output import print_result, refuse

DEFAULT_FRUSTRATION_SET = Path(__file__).resolve().parents[1] / "packs" / "demo" / "eval" / "frustration.jsonl"


@eval_app.command("intents")
def eval_intents(
    train: Path = typer.Option(..., "--train", help="JSONL of {text, intent} to train a fresh classifier on."),
    test: Path = typer.Option(..., "--test", help="JSONL of {text, intent} to evaluate on."),
    oos_label: str = typer.Option("oos", "--oos-label", help="Label of out-of-scope examples."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Train the product's intent classifier on TRAIN and evaluate it on TEST."""
    from warmline.model.evaluation import EvaluationInputError, evaluate_intents, read_jsonl

    try:
        train_rows, test_rows = read_jsonl(train), read_jsonl(test)
        result = evaluate_intents(train_rows, test_rows, oos_label=oos_label)
    except (EvaluationInputError, ValueError) as error:
        raise refuse("invalid_data", str(error)) from error
    print_result(result, as_json, f"intents: train {train} -> test {test}")


@eval_app.command("conversations")
def eval_conversations(
    data: Path = typer.Option(..., "--data", help="Directory of curated ABCD conversation JSON files."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Feed customer turns through the demo pack; score flow, subflow and team after the last turn."""
    from warmline.model.evaluation import EvaluationInputError, evaluate_conversations

    try:
        result = evaluate_conversations(data)
    except EvaluationInputError as error:
        raise refuse("invalid_data", str(error)) from error
    print_result(result, as_json, f"conversations: {data}")


@eval_app.command("frustration")
def eval_frustration(
    data: Path = typer.Option(DEFAULT_FRUSTRATION_SET, "--data", help="JSONL of {id, turns, frustrated}."),
    threshold: float = typer.Option(0.6, "--threshold", help="Frustration score that counts as frustrated."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Precision and recall of the conversation-level frustration score on a labelled conversation set."""
    from warmline.model.evaluation import EvaluationInputError, evaluate_frustration

    try:
        result = evaluate_frustration(data, threshold=threshold)
    except EvaluationInputError as error:
        raise refuse("invalid_data", str(error)) from error
    print_result(result, as_json, f"frustration: {data}")


@model_app.command("build")
def build_model(
    pack_name: str = typer.Option("demo", "--pack", help="Pack name (a folder under warmline/packs) or path."),
    only: str | None = typer.Option(
        None,
        "--only",
        help="Rebuild one part: classifier (with the passage vectors), signals, frustration (the "
        "frustration signal alone: the shipped request and off-topic heads are kept), or scope (the "
        "help center's evidence on an off-topic reading, model/scope.json).",
    ),
) -> None:
    """Regenerate the pack's training utterances (when it ships training/generate.py), retrain its
    classifier and store it with the passage vectors in the pack's model/ folder, then retrain the
    escalation signals from the pack's signals/ data (model/signals.npz)."""
    from warmline.model.build import build_signals
    from warmline.model.embedded import save_artifact, train_pack_classifier
    from warmline.model.encoder import shared_encoder
    from warmline.packs import PackError, load_pack

    if only not in (None, "classifier", "signals", "frustration", "scope"):
        raise refuse("invalid_option", f"--only takes classifier, signals, frustration or scope, not {only!r}")
    try:
        pack = load_pack(pack_name)
    except PackError as error:
        raise refuse("invalid_pack", str(error)) from error
    if only in ("signals", "frustration"):
        typer.echo(build_signals(pack, frustration_only=only == "frustration"))
        return
    if only == "scope":
        from warmline.model.scope_training import build_scope_evidence

        typer.echo(build_scope_evidence(pack.path))
        return
    started = time.perf_counter()
    generator = pack.path / "training" / "generate.py"
    if generator.is_file():
        spec = importlib.util.spec_from_file_location(f"warmline_pack_training_{pack.name}", generator)
        if spec is None or spec.loader is None:
            raise refuse("invalid_pack", f"{generator}: not a Python module")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        typer.echo(f"{module.write()} generated utterances -> {module.OUTPUT}")
        pack = load_pack(pack_name)  # the generated file is part of the pack's content hash
    encoder = shared_encoder()
    classifier = train_pack_classifier(pack, encoder)
    path = save_artifact(pack, classifier, encoder)
    typer.echo(
        f"{pack.name} {pack.version}: {len(classifier.classes_)} labels, threshold {classifier.threshold:.3f}, "
        f"temperature {classifier.temperature:.3f}, {time.perf_counter() - started:.1f}s -> {path}"
    )
    if only is None:
        from warmline.model.scope_training import build_scope_evidence

        typer.echo(build_signals(pack))
        typer.echo(build_scope_evidence(pack.path))


_COLD_START = """
import time, json
t0 = time.perf_counter()
from warmline.model import create_model, TurnContext
from warmline.packs import load_pack
model = create_model("embedded", load_pack("demo"))
model.analyse(TurnContext(conversation_id="bench", message_seq=1, text="I forgot my password"))
print(json.dumps({"in_process_s": time.perf_counter() - t0}))
"""

BENCH_TEXTS = [
    "I forgot my password and can't log in",
    "Where is my package? It's been 9 days",
    "I ALREADY TOLD YOU my order id is 4417790312, why is it still not fixed?!",
    "how much is gift wrapping",
    "what's the weather like in Paris tomorrow",
    "my promo code says it's expired but I just got it yesterday",
    "Joseph Banter",
    "the jeans are way too tight, I want to return them",
]


@bench_app.command("model")
def bench_model(
    turns: int = typer.Option(300, "--turns", help="Turns to time for the latency percentiles."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Cold start, per-turn latency and install size of the embedded default."""
    import numpy as np

    from warmline.model import TurnContext, case_details
    from warmline.model.analysis import Turn
    from warmline.model.embedded import EmbeddedModel
    from warmline.model.evaluation import environment_size_mb
    from warmline.packs import load_pack
    from warmline.runtime import settle_startup_heap

    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", _COLD_START], check=True, capture_output=True)
    cold = time.perf_counter() - started
    model = EmbeddedModel(load_pack("demo"))
    case_details.wait_until_warm(30.0)  # a server loads dateparser's languages at start-up, before traffic
    settle_startup_heap()  # and leaves what it loaded out of later garbage collections
    history = [
        Turn(seq=1, speaker="customer", text=BENCH_TEXTS[0]),
        Turn(seq=2, speaker="agent", text="Sure, your name?"),
    ]
    latencies = []
    for i in range(turns):
        context = TurnContext(
            conversation_id="bench",
            message_seq=3 + i,
            text=BENCH_TEXTS[i % len(BENCH_TEXTS)],
            history=history,
            sent_at=datetime.now(UTC),  # relative dates are resolved, as for a live message
        )
        model.forget(context.text)  # every timed turn is encoded, as a new customer message is
        tick = time.perf_counter()
        model.analyse(context)
        latencies.append((time.perf_counter() - tick) * 1000)
    result = {
        "cold_start_s": round(cold, 3),
        "p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "p99_ms": round(float(np.percentile(latencies, 99)), 2),
        "install_mb": environment_size_mb(),
        "turns": turns,
    }
    print_result(result, as_json, "bench model (embedded)")
