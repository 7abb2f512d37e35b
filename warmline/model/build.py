"""Retrain and store a pack's shipped classifier: ``python -m warmline.model.build [demo]``."""

from __future__ import annotations

import sys
import time

from warmline.model.embedded import save_artifact, train_pack_classifier
from warmline.model.encoder import shared_encoder
from warmline.packs import load_pack


def main(argv: list[str]) -> None:
    pack = load_pack(argv[0] if argv else "demo")
    started = time.perf_counter()
    encoder = shared_encoder()
    classifier = train_pack_classifier(pack, encoder)
    path = save_artifact(pack, classifier, encoder)
    print(
        f"{pack.name} {pack.version}: {len(classifier.classes_)} labels, threshold {classifier.threshold:.3f}, "
        f"temperature {classifier.temperature:.3f}, {time.perf_counter() - started:.1f}s -> {path} "
        f"({path.stat().st_size / 1e6:.2f} MB)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
