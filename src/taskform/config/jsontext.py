"""JSON text inside the configuration: a parameter the portal stores as JSON text
(``notebookParameters``, per task type) may be written as such a string; it must decode to a
mapping, without duplicate keys, no deeper than YAML may nest."""

from __future__ import annotations

import json
from typing import Any

from taskform.config.yamlpos import MAX_DEPTH


class JsonTextError(ValueError):
    """Why the text is refused; ``what`` completes "parameters.<key> ..."."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def decode_object(text: str) -> dict[str, Any]:
    """The mapping ``text`` encodes, or :class:`JsonTextError`."""
    try:
        decoded = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except ValueError as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise JsonTextError(f"is not valid JSON ({reason})") from None
    except RecursionError:
        raise JsonTextError("is nested too deeply") from None
    if not isinstance(decoded, dict):
        raise JsonTextError("must be a JSON object of names to values")
    if depth(decoded) > MAX_DEPTH:
        raise JsonTextError("is nested too deeply")
    return decoded


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key '{key}'")
        result[key] = value
    return result


def depth(value: Any) -> int:
    """How deeply ``value`` nests mappings and lists (iteratively, for hostile input)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, level + 1) for child in children)
    return deepest
