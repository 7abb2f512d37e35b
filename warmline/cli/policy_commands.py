"""Commands registered on the ``warmline`` CLI apps (filled in by its owner)."""

from __future__ import annotations
