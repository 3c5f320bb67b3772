"""Last line of defence for secrets: every text taskform prints or writes passes through here.

Credentials never reach messages by design (tokens go in a header, secrets are masked by the
planner). This module makes sure of it anyway. It is the one scrubbing mechanism of taskform:

- the portal client registers its credentials (token, API key, password, and every token it is
  issued, as it arrives) and scrubs the messages it builds from the portal's answers;
- the CLI registers the credentials from the environment and every resolved secret value, and
  scrubs stdout, stderr, log records (:class:`ScrubbingFormatter`), tracebacks (``--debug``) and
  written files (:func:`scrub_data` for structured ones).

A registered value is caught in every form it takes on the wire and in output (:func:`forms`:
as typed and Unicode-normalised, JSON-escaped once and twice, URL-encoded over each, as Python
repr, HTML-escaped, and its bytes as hex and base64), and replaced by :data:`MASK`.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from urllib.parse import quote, quote_plus

MASK = "***"
#: Values shorter than this are not registered: replacing "1" or "abc" everywhere would
#: garble output without protecting anything worth protecting.
MIN_LENGTH = 4
#: How many times over a value may be escaped (JSON, Python repr) on its way (:func:`forms`).
DEPTH = 4

T = TypeVar("T")


@functools.lru_cache(maxsize=1024)
def forms(value: str) -> frozenset[str]:
    """The ways ``value`` can appear in text taskform handles, derived from how values travel:

    - as is, and as a Python ``repr`` shows it (either quote style);
    - JSON-escaped once (a string in a JSON document), twice (``notebookParameters``, a JSON
      string inside the JSON of ``parameters``) and three times (a portal echoing that form
      field in its JSON error), with and without ``ensure_ascii`` and with ``/`` as ``\\/``
      (how some servers escape it);
    - each of those URL-encoded (``quote`` and ``quote_plus``, ``/`` kept or not, upper or
      lower case hex): how ``parameters`` travels in a form body or a query string, and how a
      portal may echo it back;
    - each of those HTML-escaped (a portal's error page echoing the request), quotes as any of
      the entities servers write for them;
    - its other Unicode normal form (NFC, NFD), and JSON's ``\\u`` escapes in upper case;
    - its UTF-8 bytes as hex and as base64 (:func:`_byte_forms`): a job's message or log may
      print a payload or an ``Authorization: Basic`` header so.
    """
    base = {value}
    level = {value}
    for _ in range(DEPTH):
        level = {form for text in level for form in _json_forms(text) | _python_forms(text)}
        base |= level
    encoded = {form for text in base for form in _url_forms(text)}
    every = base | encoded
    # Spellings of what a portal or a job prints, not of what travels encoded again (so not
    # URL-encoded in turn: each doubles the forms, and the trie's compile time with them): the
    # other Unicode normal form, as typed and JSON-escaped once (a portal that normalises what
    # it stores), and JSON's hex digits in upper case (Java's and .NET's JSON writers).
    for other in {unicodedata.normalize(f, value) for f in ("NFC", "NFD")} - {value}:
        every |= {other} | _json_forms(other)
    every |= {_JSON_HEX.sub(_upper_hex, form) for form in base if "\\u" in form}
    every |= {html.escape(form) for form in every}
    every |= {form for text in base for form in _html_forms(text)}  # the rarer spellings
    normal = {value} | {unicodedata.normalize(f, value) for f in ("NFC", "NFD")}
    every |= {form for text in normal for form in _byte_forms(text)}
    return frozenset(form for form in every if form)


def _html_forms(value: str) -> set[str]:
    """HTML-escaped with the other entities servers write for quotes (``&#39;``, ``&apos;``,
    ``&#34;``; Python writes ``&#x27;`` and ``&quot;``), and with the quotes left alone."""
    full = html.escape(value)
    return {
        html.escape(value, quote=False),
        full.replace("&#x27;", "&#39;").replace("&quot;", "&#34;"),
        full.replace("&#x27;", "&apos;"),
    }


#: The fewest characters of an encoded form worth masking (shorter ones would garble output).
MIN_ENCODED = 8


def _byte_forms(value: str) -> set[str]:
    """The value's UTF-8 bytes as hex (either case) and as base64 (standard and URL-safe),
    where a job message or a log may show them: base64 both whole (with and without its
    padding) and as the characters that stay the same wherever the value sits in a longer
    encoded text (three byte alignments: a base64 character holds six bits, so the first and
    last characters of the value mix with its neighbours' bits)."""
    raw = value.encode("utf-8")
    found = {raw.hex(), raw.hex().upper()}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(raw).decode("ascii")
        found |= {whole, whole.rstrip("=")}
        for shift in range(3):
            text = encode(b"\0" * shift + raw).decode("ascii")
            first = -(-8 * shift // 6)  # the first character holding none of the prefix
            last = 8 * (shift + len(raw)) // 6  # characters before this hold none after it
            found.add(text[first:last])
    return {form for form in found if len(form) >= MIN_ENCODED}


def _python_forms(value: str) -> set[str]:
    """``repr(value)`` without its quotes, in both quote styles (Python escapes the quote it
    uses, and backslashes, control and non-printable characters)."""
    plain = repr(value)[1:-1]
    # With both quotes in the text, repr uses '...' and escapes ', whatever value holds.
    single = repr(value + "\"'")[1:-1][: -len("\"\\'")]
    return {plain, single}


def _json_forms(value: str) -> set[str]:
    found: set[str] = set()
    for ascii_only in (True, False):
        escaped = json.dumps(value, ensure_ascii=ascii_only)[1:-1]
        found.update((escaped, escaped.replace("/", "\\/")))
    return found


_JSON_HEX = re.compile(r"\\u[0-9a-f]{4}")


def _upper_hex(match: re.Match[str]) -> str:
    return "\\u" + match.group()[2:].upper()


def _url_forms(value: str) -> set[str]:
    found = {quote(value, safe=""), quote(value), quote_plus(value), quote_plus(value, "/")}
    found |= {_LOWER_HEX.sub(lambda m: m.group().lower(), form) for form in found}
    return found - {value}


_LOWER_HEX = re.compile(r"%[0-9A-F]{2}")


def trie_pattern(words: set[str]) -> str:
    """A regular expression matching any of ``words``, the longest one where several match at
    a place (a value containing another is masked whole).

    Written as a trie (``ab(?:c|d)``) rather than one alternative per word: a secret holding
    quotes and backslashes has a few thousand forms, and Python's ``re`` tries alternatives
    one by one at every position of the text, where a trie tries one character."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _trie_regex(root)


def _trie_regex(node: dict[str, Any]) -> str:
    ends = "" in node
    branches = [re.escape(ch) + _trie_regex(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    if len(branches) == 1 and not ends:
        return branches[0]
    group = "(?:" + "|".join(branches) + ")"
    return group + "?" if ends else group


class Registry:
    """Values that must never be shown, and the scrubbing of text and data against them.

    Thread safe: values may be registered while other threads scrub; a scrub masks every
    value registered before it started.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._stale = False

    def register(self, *values: str | None) -> None:
        """Remember values that must never be shown (``None``, empty and short ones are
        ignored)."""
        new = {v for v in values if isinstance(v, str) and len(v) >= MIN_LENGTH}
        with self._lock:
            if new <= self._values:
                return
            self._values |= new
            self._stale = True  # compiled at the next scrub: many values, one compile

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._pattern = None
            self._stale = False

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
            if self._stale:
                every = {form for v in self._values for form in forms(v)}
                self._pattern = re.compile(trie_pattern(every)) if every else None
                self._stale = False
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
