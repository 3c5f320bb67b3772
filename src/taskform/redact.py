"""Last line of defence for secrets: every text taskform prints or writes passes through here.

Credentials never reach messages by design (tokens go in a header, secrets are masked by the
planner). This module makes sure of it anyway. It is the one scrubbing mechanism of taskform:

- the portal client registers its credentials (token, API key, password, and every token it is
  issued, as it arrives) and scrubs the messages it builds from the portal's answers;
- the CLI registers the credentials from the environment and every resolved secret value, and
  scrubs stdout, stderr, log records (:class:`ScrubbingFormatter`), tracebacks (``--debug``) and
  written files (:func:`scrub_data` for structured ones).

A registered value is caught as typed, URL-encoded (``quote``/``quote_plus``, as in a query
string or a form body) and JSON-escaped (as inside a JSON string, ``\\/`` included), and replaced
by :data:`MASK`.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from urllib.parse import quote, quote_plus

MASK = "***"
#: Values shorter than this are not registered: replacing "1" or "abc" everywhere would
#: garble output without protecting anything worth protecting.
MIN_LENGTH = 4

T = TypeVar("T")


def forms(value: str) -> frozenset[str]:
    """The ways ``value`` can appear in text taskform handles: as is, URL-encoded and
    JSON-escaped."""
    found = {value, quote(value, safe=""), quote(value), quote_plus(value), quote_plus(value, "/")}
    for ascii_only in (True, False):
        escaped = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        found.update((escaped, escaped.replace("/", "\\/")))
    return frozenset(found)


class Registry:
    """Values that must never be shown, and the scrubbing of text and data against them.

    Thread safe: values may be registered while other threads scrub; a scrub masks every
    value registered before it started.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def register(self, *values: str | None) -> None:
        """Remember values that must never be shown (``None``, empty and short ones are
        ignored)."""
        new = {v for v in values if isinstance(v, str) and len(v) >= MIN_LENGTH}
        with self._lock:
            if new <= self._values:
                return
            self._values |= new
            every = {form for v in self._values for form in forms(v)}
            # Longest first, so that a value containing another is masked whole.
            alternatives = sorted(every, key=lambda f: (-len(f), f))
            self._pattern = re.compile("|".join(map(re.escape, alternatives)))

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None

    def scrub(self, text: str) -> str:
        """``text`` with every form of every registered value replaced by :data:`MASK`."""
        return _sub(self._current(), text)

    def scrub_data(self, data: T) -> T:
        """A copy of the JSON-like ``data`` with every string in it, keys included, scrubbed.

        Only strings change (so a registered ``null`` or ``true`` never touches JSON syntax, nor
        a registered ``1234`` a number); dicts, lists and tuples are copied, anything else is
        returned as it is. Two keys that scrub to the same text collapse into one.
        """
        return cast(T, _walk(self._current(), data))

    def _current(self) -> re.Pattern[str] | None:
        with self._lock:
            return self._pattern


def _sub(pattern: re.Pattern[str] | None, text: str) -> str:
    return pattern.sub(MASK, text) if pattern is not None else text


def _walk(pattern: re.Pattern[str] | None, data: Any) -> Any:
    if isinstance(data, str):
        return _sub(pattern, data)
    if isinstance(data, Mapping):
        return {_walk(pattern, k): _walk(pattern, v) for k, v in data.items()}
    if isinstance(data, list):
        return [_walk(pattern, item) for item in data]
    if isinstance(data, tuple):
        return tuple(_walk(pattern, item) for item in data)
    return data


#: The process-wide registry the functions below use.
registry = Registry()


def register(*values: str | None) -> None:
    """Remember values that must never be shown, in any output of this process."""
    registry.register(*values)


def clear() -> None:
    """Forget every registered value."""
    registry.clear()


def scrub(text: str) -> str:
    """``text`` with every registered value (as is, URL-encoded or JSON-escaped) replaced by
    :data:`MASK`."""
    return registry.scrub(text)


def scrub_data(data: T) -> T:
    """A copy of the JSON-like ``data`` with every string value and key scrubbed (see
    :meth:`Registry.scrub_data`)."""
    return registry.scrub_data(data)


class ScrubbingFormatter(logging.Formatter):
    """A log formatter whose output, tracebacks included, is scrubbed."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))
