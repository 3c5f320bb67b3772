"""A quick proof that a configuration is valid, so that jsonschema runs in full only to explain.

jsonschema walks every keyword of every task: about 0.25 ms a task, 2.5 s for 10,000 tasks on
a loaded 2-core machine. But the task schema is a plain object schema (``type``, ``required``,
``additionalProperties: false``, ``properties``: no keyword relates two properties), so a
task is valid exactly when its keys are allowed and present where required and each value is
valid against its property's schema. Configurations repeat values (types, item ids,
schedules, parameters), so each distinct (property, value) is checked once. When anything is
wrong, or the schema stops being that simple, :func:`valid` says False and the caller runs the
full validation, whose errors carry the paths and explanations users see.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from taskform.schemas import CONFIG_SCHEMA, load_schema, validator

_PLAIN_OBJECT = frozenset(
    {"description", "title", "$comment", "type", "required", "additionalProperties", "properties"}
)


@cache
def _schema(name: str) -> dict[str, Any]:
    """The named schema, read once (jsonschema loads only when a check needs it)."""
    return load_schema(name)


@cache
def _task_schema(name: str) -> tuple[dict[str, Any], frozenset[str]] | None:
    """The task properties and required keys, if the schema has the simple shape."""
    schema = _schema(name)
    if not isinstance(schema, dict):
        return None
    tasks = schema.get("properties", {}).get("tasks")
    if not isinstance(tasks, dict) or set(tasks) - {"description", "type", "items"}:
        return None
    items = tasks.get("items")
    if tasks.get("type") != "array" or not isinstance(items, dict) or set(items) != {"$ref"}:
        return None
    ref = str(items["$ref"])
    if not ref.startswith("#/$defs/"):
        return None
    task = schema.get("$defs", {}).get(ref[len("#/$defs/") :])
    if (
        not isinstance(task, dict)
        or set(task) - _PLAIN_OBJECT
        or task.get("type") != "object"
        or task.get("additionalProperties") is not False
        or not isinstance(task.get("properties"), dict)
    ):
        return None
    return task["properties"], frozenset(task.get("required", ()))


_NOTES = frozenset({"description", "$comment", "title", "default"})
_INT32 = 2**31 - 1


def _plain(schema: Any) -> Callable[[Any], bool] | None:
    """A check of ``schema`` in plain Python, for the shapes the configuration schema uses
    (a string with lengths and a pattern, a string enum, a boolean, an object, a bounded
    integer, a constant), exactly as jsonschema judges them (``len`` in code points,
    ``re.search``); None for any other shape. A check may say False where jsonschema says
    valid only by being stricter (an integer written 2.0, say): False is "not proven"."""
    if not isinstance(schema, dict):
        return None
    keys = set(schema) - _NOTES
    kind = schema.get("type")
    if kind == "string" and keys <= {"type", "minLength", "maxLength", "pattern"}:
        low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
        found = re.compile(schema["pattern"]).search if "pattern" in schema else None

        def string(value: Any) -> bool:
            return (
                isinstance(value, str)
                and low <= len(value)
                and (high is None or len(value) <= high)
                and (found is None or found(value) is not None)
            )

        return string
    if keys == {"enum"} and all(type(choice) is str for choice in schema["enum"]):
        choices = frozenset(schema["enum"])
        return lambda value: isinstance(value, str) and value in choices
    if keys == {"const"} and type(schema["const"]) in (str, int):
        const = schema["const"]
        return lambda value: type(value) is type(const) and value == const
    if kind == "boolean" and keys == {"type"}:
        return lambda value: type(value) is bool
    if kind == "object" and keys == {"type"}:
        return lambda value: isinstance(value, dict)
    forbidden = schema.get("not", {})
    if (
        kind == "integer"
        and keys <= {"type", "minimum", "maximum", "not"}
        and (not forbidden or (set(forbidden) == {"const"} and type(forbidden["const"]) is int))
    ):
        low = schema.get("minimum", -_INT32 - 1)
        high = schema.get("maximum", _INT32)
        skip = forbidden.get("const") if forbidden else None
        return lambda value: type(value) is int and low <= value <= high and value != skip
    return None


@cache
def _property_check(name: str, key: str) -> Callable[[Any], bool]:
    """Whether a value is valid against the schema of task property ``key``: in plain Python
    (:func:`_plain`) where the shape allows, else by jsonschema."""
    shape = _task_schema(name)
    assert shape is not None
    schema = shape[0][key]
    check = _plain(schema)
    if check is not None:
        return check
    # evolve keeps the root's resolver, so a "$ref": "#/$defs/..." still resolves.
    return validator(name).evolve(schema=schema).is_valid


@cache
def _root_checks(name: str) -> dict[str, Callable[[Any], bool]] | None:
    """A plain check of every top-level property but ``tasks``, with the required keys; None
    if the top level is not a plain object of such properties."""
    schema = _schema(name)
    properties = schema.get("properties")
    if (
        schema.get("type") != "object"
        or schema.get("additionalProperties") is not False
        or not isinstance(properties, dict)
        or set(schema) - _PLAIN_OBJECT - {"$schema", "$defs"}
    ):
        return None
    checks = {key: _plain(value) for key, value in properties.items() if key != "tasks"}
    if any(check is None for check in checks.values()):
        return None
    return {key: check for key, check in checks.items() if check is not None}


def _root_valid(data: dict[str, Any], name: str) -> bool:
    checks = _root_checks(name)
    if checks is None:
        return bool(validator(name).is_valid({**data, "tasks": []}))
    required = frozenset(_schema(name).get("required", ()))
    if not required <= data.keys() or not data.keys() - {"tasks"} <= checks.keys():
        return False
    return all(checks[key](value) for key, value in data.items() if key != "tasks")


def _token(key: str, value: Any) -> tuple[object, ...] | None:
    """What identifies a (property, value) pair for the cache; None for what is not JSON."""
    if value is None or type(value) in (str, int, float, bool):
        return (key, type(value), value)  # the type: True == 1, but only one is an integer
    try:
        return (key, json.dumps(value, sort_keys=True))
    except (TypeError, ValueError):
        return None  # not JSON data: check it every time


def valid(data: Any, name: str = CONFIG_SCHEMA) -> bool:
    """True only if full validation of ``data`` would find no error at all. False means
    "not proven": run the full validation for the errors."""
    shape = _task_schema(name)
    if shape is None or not isinstance(data, dict) or not isinstance(data.get("tasks"), list):
        return False
    properties, required = shape
    if not _root_valid(data, name):
        return False
    seen: set[tuple[object, ...]] = set()
    for task in data["tasks"]:
        if not isinstance(task, dict) or not required <= task.keys() <= properties.keys():
            return False
        for key, value in task.items():
            token = _token(key, value)
            if token is not None and token in seen:
                continue
            if not _property_check(name, key)(value):
                return False
            if token is not None:
                seen.add(token)
    return True
