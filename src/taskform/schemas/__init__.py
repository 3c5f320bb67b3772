"""JSON Schemas shipped with taskform, and plain-language explanations of their errors.

``config.schema.json`` is the one source of truth for the shape of a configuration file;
``taskform schema`` prints it and editors use it (yaml-language-server) for completion.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jsonschema loads with the first validator: a valid file never needs one
    from jsonschema import Draft202012Validator, ValidationError

CONFIG_SCHEMA = "config.schema.json"

Path = tuple[str | int, ...]

#: How a value is named in a message: ``show(value, path)``.
Show = Callable[[Any, Path], str]

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "nothing",
}


@cache
def _text(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def load_schema_text(name: str = CONFIG_SCHEMA) -> str:
    """The schema file's text exactly as shipped."""
    return _text(name)


def load_schema(name: str = CONFIG_SCHEMA) -> dict[str, Any]:
    """The named schema (default: the configuration schema) as a fresh dict."""
    data: dict[str, Any] = json.loads(_text(name))
    return data


@cache
def validator(name: str = CONFIG_SCHEMA) -> Draft202012Validator:
    """A draft 2020-12 validator for the named schema."""
    from jsonschema import Draft202012Validator

    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@dataclass(frozen=True)
class SchemaIssue:
    """One schema violation in plain language; ``path`` locates it (for a line number)."""

    path: Path
    message: str
    hint: str = ""


def suggest(word: str, choices: Iterator[str] | list[str] | tuple[str, ...]) -> str | None:
    """The choice closest to ``word``, if any is close enough to be a likely typo."""
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.7)
    if close:
        return close[0]
    if len(word) >= 4:  # 'Notebook' -> 'ExecuteNotebook'
        return next((c for c in options if word.lower() in c.lower()), None)
    return None


def label(path: Path) -> str:
    """A field's name for messages: relative to its task inside ``tasks``, else dotted."""
    if len(path) >= 3 and path[0] == "tasks":
        path = path[2:]
    elif len(path) == 2 and path[0] == "tasks":
        return f"tasks[{path[1]}]"
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "".join(parts).lstrip(".") or "the top level"


def explain(error: ValidationError, show: Show) -> list[SchemaIssue]:
    """Turn one jsonschema error into messages a person can act on."""
    path: Path = tuple(error.absolute_path)
    kind = error.validator
    schema: Any = error.schema
    expected: Any = error.validator_value
    value: Any = error.instance
    name = label(path)
    field = path[-1] if path else None
    if kind == "additionalProperties":
        allowed = list(schema.get("properties", {}))
        where = f" in {name}" if field == "lifecycle" else ""
        issues = []
        for key in value:
            if key in allowed:
                continue
            close = suggest(str(key), allowed)
            hint = f"did you mean '{close}'?" if close else "allowed keys: " + ", ".join(allowed)
            issues.append(SchemaIssue((*path, key), f"unknown key '{key}'{where}", hint))
        return issues
    if kind == "required":
        known = list(schema.get("properties", {}))
        # A misspelt key is reported once, as unknown (with a suggestion), not also as missing.
        meant = {suggest(str(k), known) for k in value if k not in known}
        issues = []
        for key in expected:
            # jsonschema reports each missing key in an error of its own.
            if key in value or key in meant or not error.message.startswith(repr(key)):
                continue
            if key == "version":
                issues.append(SchemaIssue(path, "missing 'version: 1'", "add it at the top"))
            elif key == "tasks":
                hint = "add a 'tasks:' list; it may be empty: 'tasks: []'"
                issues.append(SchemaIssue(path, "missing 'tasks'", hint))
            else:
                issues.append(SchemaIssue(path, f"missing '{key}'", f"add '{key}: ...'"))
        return issues
    if kind == "type":
        words = " or ".join(_TYPE_WORDS.get(t, t) for t in _as_list(expected))
        if not path:
            message = (
                f"the file must be a mapping with 'version' and 'tasks', got {show(value, path)}"
            )
            return [SchemaIssue(path, message, "start it with 'version: 1' followed by 'tasks:'")]
        hint = "each task is a mapping: '- title: ...'" if name.startswith("tasks[") else ""
        if expected == "string" and isinstance(value, (int, float)):
            hint = "YAML read it as a number or true/false: put it in quotes"
        return [SchemaIssue(path, f"{name}: expected {words}, got {show(value, path)}", hint)]
    if kind == "enum":
        choices = [str(c) for c in expected]
        close = suggest(str(value), choices) if isinstance(value, str) else None
        hint = f"did you mean '{close}'?" if close else "one of: " + ", ".join(choices)
        if field == "type" and len(path) == 3:
            return [SchemaIssue(path, f"unknown task type {show(value, path)}", hint)]
        message = f"{name} must be one of {', '.join(choices)}, got {show(value, path)}"
        return [SchemaIssue(path, message, f"did you mean '{close}'?" if close else "")]
    if kind == "const" and field == "version":
        hint = "this taskform reads configuration version 1"
        return [SchemaIssue(path, f"version must be 1, got {show(value, path)}", hint)]
    if kind == "minLength":
        return [SchemaIssue(path, f"{name} must not be empty")]
    if kind == "pattern":
        return [_pattern_issue(path, name, show(value, path))]
    if field == "max_occurrences":
        message = f"max_occurrences must be 1 or more, or -1 for unlimited, got {show(value, path)}"
        return [SchemaIssue(path, message, "leave it out to keep the portal's value")]
    return [SchemaIssue(path, f"{name} is not valid ({kind})")]  # pragma: no cover


def _pattern_issue(path: Path, name: str, shown: str) -> SchemaIssue:
    field = path[-1] if path else None
    if field == "title":
        return SchemaIssue(path, "title must not be blank")
    if field == "item_id":
        hint = "the item's id is in its URL: ...item.html?id=<32 characters>"
        return SchemaIssue(path, f"item_id must be 32 hexadecimal characters, got {shown}", hint)
    if field in ("portal", "task_url"):
        return SchemaIssue(path, f"{name} must be an http:// or https:// URL, got {shown}")
    return SchemaIssue(path, f"{name} has the wrong form, got {shown}")  # pragma: no cover


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


__all__ = [
    "CONFIG_SCHEMA",
    "SchemaIssue",
    "explain",
    "label",
    "load_schema",
    "load_schema_text",
    "suggest",
    "validator",
]
