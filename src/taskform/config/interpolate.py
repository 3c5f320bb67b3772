"""``${env:NAME}`` and ``${secret:NAME}`` references in configuration strings.

Both read the environment variable ``NAME``. A secret may only appear inside a task's
``parameters``; the caller records which parameter holds it so its value is never shown.
``$${`` stands for a literal ``${``. Any other ``${...}`` is an error, and no error message
ever contains a resolved value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_START = re.compile(r"\$\$\{|\$\{")
_ESCAPE_HINT = "write $${ for a literal ${"


@dataclass(frozen=True)
class Failure:
    """One bad reference in a string."""

    message: str
    hint: str = ""


@dataclass(frozen=True)
class Result:
    """A string with its references replaced; ``value`` is meaningless if ``failures``."""

    value: str
    env: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    failures: tuple[Failure, ...] = ()
    deferred: bool = False  # references left unresolved (``resolve=False``)


def interpolate(
    text: str, env: Mapping[str, str], *, secrets_allowed: bool, resolve: bool = True
) -> Result:
    """Replace every reference in ``text``; collect failures instead of raising.

    With ``resolve=False`` (offline ``validate``) references are checked for form and
    placement only: ``env`` is not read, the text keeps them, and ``deferred`` says so."""
    if "${" not in text:
        return Result(text)
    out: list[str] = []
    env_names: list[str] = []
    secret_names: list[str] = []
    failures: list[Failure] = []
    deferred = False
    pos = 0
    while True:
        match = _START.search(text, pos)
        if match is None:
            out.append(text[pos:])
            break
        out.append(text[pos : match.start()])
        if match.group() == "$${":
            out.append("${")
            pos = match.end()
            continue
        end = text.find("}", match.end())
        if end < 0:
            failures.append(Failure("unterminated '${': there is no closing '}'", _ESCAPE_HINT))
            break
        if text.startswith("${{", match.start()) and text.startswith("}}", end):
            end += 1  # a GitHub Actions expression: show all of it
        inner = text[match.end() : end]
        pos = end + 1
        kind, _, name = inner.partition(":")
        if kind not in ("env", "secret") or not _NAME.match(name):
            shown = inner if len(inner) <= 40 else inner[:37] + "..."
            failures.append(
                Failure(
                    f"unsupported reference '${{{shown}}}'",
                    f"use ${{env:NAME}} or ${{secret:NAME}}; {_ESCAPE_HINT}",
                )
            )
            continue
        if kind == "secret" and not secrets_allowed:
            failures.append(
                Failure(
                    f"${{secret:{name}}} is only allowed inside a task's parameters",
                    f"use ${{env:{name}}} for values that are not secret",
                )
            )
            continue
        if not resolve:
            deferred = True
            (secret_names if kind == "secret" else env_names).append(name)
            out.append(text[match.start() : pos])
            continue
        value = env.get(name)
        if value is None:
            failures.append(
                Failure(
                    f"${{{kind}:{name}}} needs the environment variable {name}, which is not set",
                    f"export {name} before running taskform",
                )
            )
            continue
        (secret_names if kind == "secret" else env_names).append(name)
        out.append(value)
    failures = list(dict.fromkeys(failures))  # the same mistake twice in a string: once
    return Result("".join(out), tuple(env_names), tuple(secret_names), tuple(failures), deferred)


def describe(template: str) -> str:
    """How to name a resolved value in a message without showing it."""
    if re.fullmatch(r"\$\{(env|secret):[A-Za-z_][A-Za-z0-9_]*\}", template):
        return f"the value of {template}"
    shown = template if len(template) <= 60 else template[:57] + "..."
    return f"the value of '{shown}'"
