"""Every log record is masked before any handler sees it: tokens (``wls_`` staff, ``wlc_``
customer, ``wlt_`` stream tickets), card numbers and one-time codes
(:mod:`warmline.privacy.redaction`) wherever they appear: in the message, its arguments (an
exception given as one too) and the traceback of a logged exception. So uvicorn's access log,
which formats the request line from its arguments, and its "Exception in ASGI application"
traceback are masked too.

Installed once per process by ``create_app`` as a log-record factory, which every logger and
handler goes through, whatever configures logging afterwards.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from warmline.privacy.redaction import redact

TOKEN = re.compile(r"\b(wl[sct]_)[A-Za-z0-9_\-.%]+")
MASK = r"\1***"

_installed = False
_lock = threading.Lock()


# Formats a logged exception's traceback once, masked, for whichever handler prints it.
_TRACEBACKS = logging.Formatter()


def mask(text: str) -> str:
    """``text`` with every Warmline token replaced by its prefix and ``***``, and card numbers
    and one-time codes masked."""
    if "wl" in text:
        text = TOKEN.sub(MASK, text)
    return redact(text)


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, BaseException):  # formatted with %s: its message may hold a token
        return mask(str(value))
    return value


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """``record`` with its message, arguments, traceback and stack masked (in place)."""
    if isinstance(record.msg, str):
        record.msg = mask(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_mask_value(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _mask_value(v) for k, v in record.args.items()}
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        # Formatters print ``exc_text`` when it is set rather than formatting ``exc_info`` again.
        record.exc_text = mask(_TRACEBACKS.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = mask(record.stack_info)
    return record


def install_log_masking() -> None:
    """Mask tokens in every log record from now on (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        original = logging.getLogRecordFactory()

        def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return mask_record(original(*args, **kwargs))

        logging.setLogRecordFactory(masked_record)
        _installed = True
