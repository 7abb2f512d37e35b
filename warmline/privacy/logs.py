"""Every log record is masked before any handler sees it: tokens (``wls_`` staff, ``wlc_``
customer, ``wlt_`` stream tickets) wherever they appear, in the message or its arguments. So
uvicorn's access log, which formats the request line from its arguments, is masked too.

Installed once per process by ``create_app`` as a log-record factory, which every logger and
handler goes through, whatever configures logging afterwards.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

TOKEN = re.compile(r"\b(wl[sct]_)[A-Za-z0-9_\-.%]+")
MASK = r"\1***"

_installed = False
_lock = threading.Lock()


def mask(text: str) -> str:
    """``text`` with every Warmline token replaced by its prefix and ``***``."""
    if "wl" not in text:
        return text
    return TOKEN.sub(MASK, text)


def _mask_value(value: Any) -> Any:
    return mask(value) if isinstance(value, str) else value


def install_log_masking() -> None:
    """Mask tokens in every log record from now on (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        original = logging.getLogRecordFactory()

        def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = original(*args, **kwargs)
            if isinstance(record.msg, str):
                record.msg = mask(record.msg)
            if isinstance(record.args, tuple):
                record.args = tuple(_mask_value(a) for a in record.args)
            elif isinstance(record.args, dict):
                record.args = {k: _mask_value(v) for k, v in record.args.items()}
            return record

        logging.setLogRecordFactory(masked_record)
        _installed = True
