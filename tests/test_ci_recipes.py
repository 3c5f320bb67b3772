"""The CI recipes in examples/ci are valid YAML and call only commands and flags that exist."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from taskform.cli import all_commands

ROOT = Path(__file__).resolve().parent.parent
RECIPES = sorted((ROOT / "examples" / "ci").glob("*.yml")) + sorted(
    (ROOT / "examples" / "ci").glob("*.yaml")
)
SHELL_OPERATORS = {">", ">>", "|", "||", "&&", ";", "2>&1"}


def _runs(document: Any) -> Iterator[str]:
    """The ``run:`` scripts of every step of every job."""
    jobs = document.get("jobs", {}) if isinstance(document, dict) else {}
    for job in jobs.values():
        for step in job.get("steps", []):
            if "run" in step:
                yield step["run"]


def taskform_calls(text: str) -> Iterator[list[str]]:
    """Every `taskform ...` invocation in a shell snippet, as argument lists."""
    for line in text.replace("\\\n", " ").splitlines():
        tokens = shlex.split(line, comments=True)
        for i, token in enumerate(tokens):
            if token == "taskform" and (i == 0 or tokens[i - 1] in SHELL_OPERATORS | {"run:"}):
                args = []
                for arg in tokens[i + 1 :]:
                    if arg in SHELL_OPERATORS:
                        break
                    args.append(arg)
                yield args


def check_call(args: list[str]) -> None:
    assert args, "a bare 'taskform' call"
    command = all_commands().get(args[0])
    assert isinstance(command, click.Command), f"no command {args[0]!r}"
    known = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    for arg in args[1:]:
        if arg.startswith("-"):
            assert arg.split("=")[0] in known, f"taskform {args[0]} has no option {arg}"


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.name)
def test_recipe_is_yaml_and_calls_real_commands(path: Path) -> None:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, (dict, list))
    calls = [c for s in _runs(document) for c in taskform_calls(s)]
    if path.name.startswith("taskform-"):
        assert calls, f"{path.name} calls no taskform command"
    for call in calls:
        check_call(call)


def test_pre_commit_hook_calls_validate() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    usage = yaml.safe_load((ROOT / "examples" / "ci" / "pre-commit-config.yaml").read_text())
    (hook,) = hooks
    args = shlex.split(hook["entry"])
    assert args[0] == "taskform"
    hook_args = usage["repos"][0]["hooks"][0]
    assert hook_args["id"] == hook["id"]
    check_call(args[1:] + hook_args.get("args", []))
    assert args[1:] == ["validate", "-c", "taskform"]  # the README's layout


def test_the_checker_catches_a_wrong_flag() -> None:
    with pytest.raises(AssertionError, match="no option --nope"):
        check_call(["plan", "--nope"])
    with pytest.raises(AssertionError, match="no command"):
        check_call(["deploy"])
