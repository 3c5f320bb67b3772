"""Last line of defence for secrets: every text taskform prints or writes passes through here.

Credentials never reach messages by design (tokens go in a header, secrets are masked by the
planner). This module makes sure of it anyway: the CLI registers every credential and every
resolved secret value, and :func:`scrub` replaces any occurrence with ``***`` in stdout, stderr,
log records, tracebacks (``--debug``) and written files.
"""

from __future__ import annotations

import logging
import threading

_lock = threading.Lock()
_values: set[str] = set()

MASK = "***"
#: Values shorter than this are not registered: replacing "1" or "true" everywhere would
#: garble output without protecting anything worth protecting.
MIN_LENGTH = 4


def register(*values: str | None) -> None:
    """Remember values that must never be shown."""
    with _lock:
        for value in values:
            if value and len(value) >= MIN_LENGTH:
                _values.add(value)


def clear() -> None:
    with _lock:
        _values.clear()


def scrub(text: str) -> str:
    """``text`` with every registered value replaced by ``***``."""
    with _lock:
        values = sorted(_values, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, MASK)
    return text


class ScrubbingFormatter(logging.Formatter):
    """A log formatter whose output, tracebacks included, is scrubbed."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))
