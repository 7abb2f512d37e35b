"""Retrain and store a pack's shipped model files: ``python -m warmline.model.build [demo]``
(``warmline model build`` does the same and first regenerates the pack's training utterances).

* ``model/classifier.npz`` and ``model/passages.npz``: the intent classifier and the KB passage
  vectors, from the pack's intents and derived data;
* ``model/signals.npz``: the escalation signals (``warmline.model.signals_training``), from the
  pack's ``signals/`` data. ``--signals-only`` rebuilds just this file.

Every step is seeded: the same data gives the same files.
"""

from __future__ import annotations

import sys
import time

from warmline.model.embedded import save_artifact, train_pack_classifier
from warmline.model.encoder import shared_encoder
from warmline.model.signals import ARTIFACT as SIGNALS_ARTIFACT
from warmline.packs import Pack, load_pack


def build_signals(pack: Pack, *, frustration_only: bool = False) -> str:
    """Train the escalation signals from the pack's data into ``model/signals.npz``; a summary line.
    ``frustration_only``: retrain frustration and keep the shipped request and off-topic heads."""
    from warmline.model.signals import SignalModel
    from warmline.model.signals_training import train

    path = pack.path / SIGNALS_ARTIFACT
    keep = SignalModel.load(path) if frustration_only else None
    model, report = train(pack.path, shared_encoder().encode, keep=keep)
    model.save(path)
    held = ", ".join(
        f"{name} R {r['recall']:.3f} P {r['precision']:.3f} ECE {r['ece']:.3f}"
        for name, r in report["held_out"].items()
    )
    return (
        f"{pack.name} signals: {report['examples']} examples in {len(report['languages'])} languages, "
        f"{report['train_seconds']}s -> {path} ({path.stat().st_size / 1e6:.2f} MB); out of source: {held}"
    )


def main(argv: list[str]) -> None:
    signals_only = "--signals-only" in argv
    names = [a for a in argv if not a.startswith("--")]
    pack = load_pack(names[0] if names else "demo")
    if not signals_only:
        started = time.perf_counter()
        encoder = shared_encoder()
        classifier = train_pack_classifier(pack, encoder)
        path = save_artifact(pack, classifier, encoder)
        print(
            f"{pack.name} {pack.version}: {len(classifier.classes_)} labels, threshold {classifier.threshold:.3f}, "
            f"temperature {classifier.temperature:.3f}, {time.perf_counter() - started:.1f}s -> {path} "
            f"({path.stat().st_size / 1e6:.2f} MB)"
        )
    print(build_signals(pack))


if __name__ == "__main__":
    main(sys.argv[1:])
