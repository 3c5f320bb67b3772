"""``taskform validate``: check the configuration offline."""

from __future__ import annotations

import json

import click

from taskform.cli import common
from taskform.cli.options import common_options, config_option, data, error, format_option, out
from taskform.errors import ConfigError, Problem


@click.command()
@config_option
@format_option("text", "json", "github")
@click.option(
    "--require-env",
    is_flag=True,
    help="Also resolve ${env:NAME} and ${secret:NAME} from the environment: each must be set, "
    "and its value is checked as plan would.",
)
@common_options
def validate(config_path: str, fmt: str, require_env: bool) -> int:
    """Check the configuration offline (no network, no credentials).

    ${env:NAME} and ${secret:NAME} references are checked for their form and place, not
    resolved (plan resolves them); --require-env checks that they are set, too. --format
    github prints GitHub Actions annotations (::error file=F,line=L::message); --format json
    prints the problems as JSON.
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
                data(github_annotation(problem))
        error(f"Error: {exc}")
        return 1
    count = sum(1 for t in config.tasks if not t.absent)
    if fmt == "json":
        data(_json((), tasks=count, files=len(config.files)))
    else:
        out(f"The configuration is valid: {count} task(s) in {len(config.files)} file(s).")
    return 0


def _json(problems: tuple[Problem, ...], *, tasks: int, files: int) -> str:
    found = [
        {"file": p.file, "line": p.line, "message": p.message, "hint": p.hint} for p in problems
    ]
    document = {"valid": not problems, "tasks": tasks, "files": files, "problems": found}
    return json.dumps(document, indent=2, ensure_ascii=False)


def github_annotation(problem: Problem, level: str = "error") -> str:
    """One GitHub Actions workflow command: ``::error file=F,line=L::message``.

    Escaped as the runner expects (actions/toolkit's command.ts): ``%``, CR and LF in the
    message; additionally ``:`` and ``,`` in property values."""

    def message(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return message(text).replace(":", "%3A").replace(",", "%2C")

    props = [f"file={prop(problem.file)}"]
    if problem.line:
        props.append(f"line={problem.line}")
    props.append("title=taskform validate")
    text = problem.message + (f" ({problem.hint})" if problem.hint else "")
    return f"::{level} {','.join(props)}::{message(text)}"
