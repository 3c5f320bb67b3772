"""``taskform validate``'s findings (the problems of an invalid configuration, the schedule lint
of a valid one) as JSON, GitHub Actions annotations or text. Pure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from taskform.errors import Problem
from taskform.render.github import annotation


@dataclass(frozen=True)
class Validation:
    """What validate found. ``problems`` make the configuration invalid (or, with ``--strict``,
    the lint warnings that fail it: ``failed``); ``tasks`` and ``files`` are what was read."""

    problems: tuple[Problem, ...] = ()
    warnings: Sequence[Problem] = ()
    tasks: int = 0
    files: int = 0
    failed: bool = False


def render_json(found: Validation) -> str:
    def shown(p: Problem) -> dict[str, object]:
        return {"file": p.file, "line": p.line, "message": p.message, "hint": p.hint}

    document = {
        "valid": not found.problems,
        "tasks": found.tasks,
        "files": found.files,
        "problems": [shown(p) for p in found.problems],
        "warnings": [shown(p) for p in found.warnings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_github(found: Validation) -> str:
    """One annotation a line: the problems as errors; else the warnings, as errors if they
    fail the run."""
    if found.problems and not found.failed:
        return "".join(annotation(p) + "\n" for p in found.problems)
    level = "error" if found.failed else "warning"
    return "".join(annotation(w, level) + "\n" for w in found.warnings)


def render_text(found: Validation) -> str:
    """The lint warnings (the problems of an invalid configuration are the error message)."""
    return "".join(f"Warning: {w}\n" for w in found.warnings)
