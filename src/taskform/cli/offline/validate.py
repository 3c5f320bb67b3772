"""``taskform validate``: check the configuration offline."""

from __future__ import annotations

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
from taskform.errors import ConfigError
from taskform.render import views
from taskform.render.validation import Validation


@click.command()
@config_option
@format_option(*views.formats("validate"))
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
    view = views.pick(views.VALIDATE, fmt)
    try:
        config = common.load(config_path, resolve=require_env)
    except ConfigError as exc:
        if fmt == "text":
            raise
        _write(view, Validation(problems=exc.problems))
        error(f"Error: {exc}")
        return 1
    count = len(config.present) + config.unresolved
    warnings = common.schedule_warnings(config, collision_threshold=collision_threshold)
    failed = strict and bool(warnings)
    problems = tuple(warnings) if failed else ()
    found = Validation(problems, warnings, tasks=count, files=len(config.files), failed=failed)
    _write(view, found)
    if failed:
        raise common.strict_failure(warnings)
    if not view.whole:
        out(f"The configuration is valid: {count} task(s) in {len(config.files)} file(s).")
    return 0


def _write(view: views.View[Validation], found: Validation) -> None:
    text = view.render(found, views.Context())
    if view.stderr:
        out(text, err=True, nl=False)
    else:
        data(text, nl=False)
