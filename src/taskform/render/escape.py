"""The one escaping helper: text from the portal or a configuration, made safe to show.

Every text and Markdown view passes foreign text (owners, titles, ids, field names, notes,
portal messages) through here before it reaches a terminal or a Markdown page:

- :func:`text`: one line for a terminal. Every character that is not printable is shown as an
  escape (``\\n``, ``\\x1b``, ``\\x9b``, ``\\u202e``): C0 and C1 control characters, DEL, line
  and paragraph separators, bidirectional overrides and isolates, other format characters. A
  title can then neither fake extra lines, nor drive the terminal (clear the screen, set the
  window title), nor reorder what is shown around it.
- :func:`lines`: the same, keeping line breaks (messages of several lines, such as errors).
- :func:`md_inline`: one line for a Markdown paragraph, list item or table cell: escaped as
  :func:`text`, then no raw HTML (``<``, ``>`` and ``&`` as entities), no formatting, links,
  table cells or headings (Markdown punctuation backslash-escaped).
- :func:`md_code`: a code span holding the text exactly, whatever backticks it contains.
"""

from __future__ import annotations

import html
import re

from taskform import redact

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MD_SPECIAL = re.compile(r"([\\`*\[\]|~#!])")
_LONE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
#: At the start of a line these begin a block (quote, list, setext heading rule, ordered list).
_MD_LEADING = re.compile(r"^([>+\-=])")
_MD_ORDERED = re.compile(r"^(\d+)([.)])")
BACKTICK_RUN = re.compile(r"`+")


def _escape_char(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def text(value: str) -> str:
    """``value`` with every non-printable character escaped (``\\n``, ``\\x1b``, ``\\u202e``)."""
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() else _escape_char(ch) for ch in value)


def lines(value: str) -> str:
    """``value`` escaped as :func:`text`, line by line: its line breaks (``\\n``) stay."""
    return "\n".join(text(line) for line in value.split("\n"))


def one_line(value: str) -> str:
    """Line breaks and other whitespace runs folded into single spaces."""
    return " ".join(value.split())


def md_inline(value: str) -> str:
    """``value`` made safe for a Markdown paragraph or table cell: one line, no HTML, no
    formatting, nothing that starts a block. Scrubbed of secrets first: the backslashes the
    escaping adds (``Sup3r\\*S3cret``) would hide a secret from the scrub of the whole page,
    and a Markdown page shows it without them."""
    shown = text(one_line(redact.scrub(value)))
    shown = html.escape(shown, quote=False)
    shown = _MD_SPECIAL.sub(r"\\\1", shown)
    shown = _LONE_UNDERSCORE.sub(r"\\_", shown)
    shown = _MD_LEADING.sub(r"\\\1", shown)
    return _MD_ORDERED.sub(r"\1\\\2", shown)


def md_code(value: str, *, table: bool = False) -> str:
    """A code span holding ``value`` exactly (escaped as :func:`text`), whatever backticks it
    contains; ``table``: inside a table cell, where ``|`` must be escaped even in code.
    Scrubbed of secrets first, as :func:`md_inline`."""
    shown = text(redact.scrub(value))
    longest = max((len(run) for run in BACKTICK_RUN.findall(shown)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") or not shown.strip() else ""
    if table:
        shown = shown.replace("|", "\\|")
    return f"{ticks}{pad}{shown}{pad}{ticks}"
