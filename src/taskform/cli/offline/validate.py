"""``taskform validate``: check the configuration offline."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

from taskform.cli import common
from taskform.cli.options import (
    common_options,
    config_option,
    data,
    error,
    format_option,
    lint_options,
    out,
)
from taskform.errors import ConfigError, Problem
from taskform.render.github import annotation


@click.command()
@config_option
@format_option("text", "json", "github")
@click.option(
    "--require-env",
    is_flag=True,
    help="Also resolve ${env:NAME} and ${secret:NAME} from the environment: each must be set, "
    "and its value is checked as plan would.",
)
@lint_options
@common_options
def validate(
    config_path: str, fmt: str, require_env: bool, strict: bool, collision_threshold: int
) -> int:
    """Check the configuration offline (no network, no credentials).

    ${env:NAME} and ${secret:NAME} references are checked for their form and place, not
    resolved (plan resolves them); --require-env checks that they are set, too. --format
    github prints GitHub Actions annotations (::error file=F,line=L::message); --format json
    prints the problems as JSON.

    Schedule lint (a schedule that never fires in its window, max_occurrences used up early,
    more than five months between runs, local times that DST skips or repeats, more than
    --collision-threshold tasks of one owner starting in one minute) is printed as warnings;
    the exit code stays 0 unless --strict.
    """
    try:
        config = common.load(config_path, resolve=require_env)
    except ConfigError as exc:
        if fmt == "text":
            raise
        problems = exc.problems
        if fmt == "json":
            data(_json(problems, tasks=0, files=0))
        else:
            for problem in problems:
                data(annotation(problem))
        error(f"Error: {exc}")
        return 1
    count = len(config.present) + config.unresolved
    warnings = common.schedule_warnings(config, collision_threshold=collision_threshold)
    failed = strict and bool(warnings)
    if fmt == "json":
        problems = tuple(warnings) if failed else ()
        data(_json(problems, tasks=count, files=len(config.files), warnings=warnings))
    elif fmt == "github":
        for warning in warnings:
            data(annotation(warning, "error" if failed else "warning"))
    else:
        for warning in warnings:
            out(f"Warning: {warning}", err=True)
    if failed:
        raise common.strict_failure(warnings)
    if fmt != "json":
        out(f"The configuration is valid: {count} task(s) in {len(config.files)} file(s).")
    return 0


def _json(
    problems: tuple[Problem, ...], *, tasks: int, files: int, warnings: Sequence[Problem] = ()
) -> str:
    def shown(p: Problem) -> dict[str, object]:
        return {"file": p.file, "line": p.line, "message": p.message, "hint": p.hint}

    document = {
        "valid": not problems,
        "tasks": tasks,
        "files": files,
        "problems": [shown(p) for p in problems],
        "warnings": [shown(p) for p in warnings],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
