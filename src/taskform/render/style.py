"""Styling passed in: the views never decide on, or import, a terminal library.

A :class:`Paint` turns a piece of text into its styled form (a colour, bold). Views take one
and default to :func:`plain`; the CLI passes one built on click (``taskform.cli.options.paint``)
when the terminal wants colour. Styling only ever adds escape codes around the text: removing
them gives the plain output exactly.
"""

from __future__ import annotations

from typing import Protocol


class Paint(Protocol):
    """Style ``text``: ``fg`` a colour name (``"green"``, ``"red"``, ...), ``bold`` bold."""

    def __call__(self, text: str, *, fg: str | None = None, bold: bool = False) -> str: ...


def plain(text: str, *, fg: str | None = None, bold: bool = False) -> str:
    """No styling: the text as it is."""
    return text
