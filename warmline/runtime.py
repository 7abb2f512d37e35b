"""Process-wide settings for a long-running Warmline process (the server, an evaluation run)."""

from __future__ import annotations

import gc


def settle_startup_heap() -> None:
    """Call once the services are built: the pack, the model's vocabularies and the help-center
    index (a few hundred thousand objects) live as long as the process, and Python's full garbage
    collection walked all of them, a 25-100 ms pause in whichever customer's turn it fell on.
    Collected once now and frozen, they are left out of every later collection."""
    gc.collect()
    gc.freeze()


def release_startup_heap() -> None:
    """Undo ``settle_startup_heap`` when the services it froze are closed inside a process that
    goes on (a test run, a simulation), so that their objects can be collected again."""
    gc.unfreeze()
