"""The fast path of :mod:`.yamlpos`: plain data and lines straight from the parse events.

PyYAML's composer builds a node per value and resolves each scalar's tag through its Python
resolver, then yamlpos's builder walks the nodes again to make plain data: for a 10,000-task
file that was most of the time spent loading it. libyaml's own composer
(``CParser.get_single_node``) is no way out: it calls the same Python resolver for every node
(0.27 s for 10,000 tasks, against 0.07 s for the events alone), it keeps no trace of explicit
tags (``!!str x`` composes like ``x``, and taskform refuses every tag), and it recurses in C,
so a deeply nested file could exhaust the C stack before :data:`~.yamlpos.MAX_DEPTH` applies.

So :func:`compose` reads the events once, with an explicit stack (no recursion), and builds
the data and the lines directly, resolving each distinct plain scalar once. It takes only the
plain documents nearly every configuration is: no tag, anchor or alias, no ``<<`` merge, no
duplicate or non-text key, within ``MAX_DEPTH`` and ``MAX_NODES``, one document, no syntax
error. At anything else it gives up (None) and yamlpos composes the file the careful way,
which reports the problem at its line, or merges and expands aliases, exactly as before.
The result is the same :class:`~.yamlpos.Document` data either way (tests/config checks
both paths on every fixture and on generated documents). Hand-written: no library builds
positioned plain data from YAML events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

YamlPath = tuple[str | int, ...]

#: A finished document: its data and the line of every key and sequence item.
Composed = tuple[Any, dict[YamlPath, int]]


class _GiveUp(Exception):
    """Not a plain document: compose it the careful way."""


def compose(
    get_event: Callable[[], Event],
    plain: Callable[[str], Any],
    *,
    max_depth: int,
    max_nodes: int,
) -> Composed | None:
    """The document read from ``get_event`` (a fresh event source), or None when it is not
    plain (see the module docstring) or cannot be parsed. ``plain`` turns the text of a plain
    (unquoted) scalar into its value, as the careful path does."""
    try:
        return _compose(get_event, plain, max_depth, max_nodes)
    except _GiveUp:
        return None
    except Exception:  # any parse error: the careful path reports it at its line
        return None


def _compose(
    get_event: Callable[[], Event],
    plain: Callable[[str], Any],
    max_depth: int,
    max_nodes: int,
) -> Composed:
    if type(get_event()) is not StreamStartEvent or type(get_event()) is not DocumentStartEvent:
        raise _GiveUp  # empty
    lines: dict[YamlPath, int] = {}
    resolved: dict[str, Any] = {}
    nodes = 0
    root: Any = None
    # The open collections: (container, its path, whether it is a mapping); the key read
    # in the innermost mapping that waits for its value.
    stack: list[tuple[Any, YamlPath, bool]] = []
    key: str | None = None
    while True:
        event: Any = get_event()
        kind = type(event)
        if kind is ScalarEvent:
            if event.tag is not None or event.anchor is not None:
                raise _GiveUp
            text: str = event.value
            is_plain = event.implicit[0]
            nodes += 1  # keys count as values, as in the careful path
            if stack:
                container, path, is_map = stack[-1]
                if is_map and key is None:  # a key
                    if (is_plain and text == "<<") or text in container:
                        raise _GiveUp  # a merge, or a duplicate key
                    key = text
                    at: YamlPath = (*path, key)
                    lines[at] = event.start_mark.line + 1
                    continue
            if is_plain:
                if text in resolved:
                    value = resolved[text]
                else:
                    value = resolved[text] = plain(text)
            else:
                value = text
            if not stack:
                root = value
                lines[()] = event.start_mark.line + 1
                continue
            if is_map:
                container[key] = value
                key = None
            else:
                at = (*path, len(container))
                lines[at] = event.start_mark.line + 1
                container.append(value)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            if event.tag is not None or event.anchor is not None:
                raise _GiveUp
            if len(stack) >= max_depth:
                raise _GiveUp  # the careful path says where
            nodes += 1
            new: Any = {} if kind is MappingStartEvent else []
            line = event.start_mark.line + 1
            if not stack:
                root = new
                lines[()] = line
                child: YamlPath = ()
            else:
                container, path, is_map = stack[-1]
                if is_map:
                    if key is None:
                        raise _GiveUp  # a list or mapping as a key
                    container[key] = new
                    child = (*path, key)
                    key = None
                else:
                    child = (*path, len(container))
                    lines[child] = line
                    container.append(new)
            stack.append((new, child, kind is MappingStartEvent))
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            stack.pop()
        elif kind is DocumentEndEvent:
            break
        else:  # an alias (AliasEvent), or anything unexpected
            raise _GiveUp
        if nodes > max_nodes:
            raise _GiveUp
    if type(get_event()) is not StreamEndEvent or root is None:
        raise _GiveUp  # a second document, or an empty one
    return root, lines
