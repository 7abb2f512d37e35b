"""``warmline bench store``: append throughput and state-read latency of the event store."""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from warmline.bench.stats import percentile
from warmline.conversation.events import CUSTOMER, ConversationStarted, CustomerMessage
from warmline.storage.sql.engine import make_engine, migrate
from warmline.storage.sql.store import SqlStore

EVENTS_PER_CONVERSATION = 100
READ_SAMPLES = 2000


def run_store_bench(
    events: int, database_url: str | None = None, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Fill a fresh database with ``events`` events across events/100 conversations, then read
    the state of random conversations."""
    with tempfile.TemporaryDirectory(prefix="warmline-bench-") as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        migrate(engine)
        store = SqlStore(engine)
        conversations = max(1, events // EVENTS_PER_CONVERSATION)
        ids: list[str] = []
        written = 0
        started = time.perf_counter()
        for n in range(conversations):
            cid = f"cv_bench{n:012d}"
            store.create(cid, CUSTOMER, ConversationStarted(channel="bench"))
            remaining = min(EVENTS_PER_CONVERSATION, events - written) - 1
            with store.write(cid) as writer:
                for i in range(remaining):
                    writer.append(CUSTOMER, CustomerMessage(text=f"message {i} of conversation {n}"))
            ids.append(cid)
            written += remaining + 1
            if progress is not None:
                progress(remaining + 1)
        append_seconds = time.perf_counter() - started
        rng = random.Random(7)
        latencies = []
        for _ in range(READ_SAMPLES):
            cid = rng.choice(ids)
            t0 = time.perf_counter()
            store.load_state(cid)
            latencies.append((time.perf_counter() - t0) * 1000)
        engine.dispose()
    return {
        "events": written,
        "conversations": conversations,
        "database": engine.dialect.name,
        "append_seconds": round(append_seconds, 2),
        "append_rps": round(written / append_seconds, 1),
        "state_read_p50_ms": round(percentile(latencies, 50), 3),
        "state_read_p99_ms": round(percentile(latencies, 99), 3),
    }
