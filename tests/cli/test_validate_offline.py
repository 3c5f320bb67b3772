"""validate offline: references checked for form and place, not resolved; --require-env;
--format text|json|github."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from taskform.cli import cli
from taskform.errors import Problem
from taskform.render.github import annotation as github_annotation

CONFIG = """\
version: 1
portal: ${env:PORTAL_URL}
owner: ${env:OWNER}
tasks:
  - title: Nightly
    type: ExecuteNotebook
    item_id: ${env:ITEM}
    schedule: ${env:SCHED}
    start_date: ${env:START}
    parameters:
      notebookParameters: {token: "${secret:API_TOKEN}", url: "x${env:Y}"}
"""

BAD = """\
version: 1
tasks:
  - title: Bad
    type: ExecuteNotebook
    item_id: 029b61ca770e428d9468a2a55f40b9fb
    schedule: "0 2 * * *"
    description: ${secret:NOPE}
    max_occurrences: ${env:N}
    parameters:
      notebookParameters: {a: "${foo}", b: "${env:1x}"}
"""


def run(tmp_path: Path, text: str, *args: str, env: dict[str, str] | None = None):
    (tmp_path / "taskform.yaml").write_text(text)
    return subprocess.run(
        [sys.executable, "-m", "taskform", "validate", "-c", "taskform.yaml", *args],
        cwd=tmp_path,
        env=env if env is not None else {"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_references_pass_without_any_environment(tmp_path: Path) -> None:
    result = run(tmp_path, CONFIG)
    assert result.returncode == 0, result.stderr
    assert "valid: 1 task(s)" in result.stdout


def test_require_env_names_every_unset_variable_at_its_line(tmp_path: Path) -> None:
    result = run(tmp_path, CONFIG, "--require-env")
    assert result.returncode == 1
    for line, name in [(2, "PORTAL_URL"), (3, "OWNER"), (7, "ITEM"), (11, "API_TOKEN")]:
        assert f"taskform.yaml:{line}: " in result.stderr and name in result.stderr


def test_require_env_checks_the_values(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "PORTAL_URL": "https://gis.example.com/portal",
        "OWNER": "jo",
        "ITEM": "029b61ca770e428d9468a2a55f40b9fb",
        "SCHED": "0 2 * * *",
        "START": "yesterday",
        "API_TOKEN": "tok-very-secret",
        "Y": "y",
    }
    result = run(tmp_path, CONFIG, "--require-env", env=env)
    assert result.returncode == 1
    assert "taskform.yaml:9: start_date: the value of ${env:START} is not an ISO 8601" in (
        result.stderr
    )
    assert "yesterday" not in result.stderr
    env["START"] = "2026-12-01T00:00:00Z"
    assert run(tmp_path, CONFIG, "--require-env", env=env).returncode == 0


def test_form_and_placement_are_still_checked_offline(tmp_path: Path) -> None:
    result = run(tmp_path, BAD)
    assert result.returncode == 1
    err = result.stderr
    assert "4 problems" in err
    assert "taskform.yaml:7: description: ${secret:NOPE} is only allowed inside" in err
    assert "taskform.yaml:8: max_occurrences: expected a whole number" in err  # a string stays one
    assert "taskform.yaml:10: parameters.notebookParameters.a: unsupported reference" in err
    assert "'${env:1x}'" in err


def test_format_github_prints_annotations(tmp_path: Path) -> None:
    result = run(tmp_path, BAD, "--format", "github")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("::error file=taskform.yaml,line=7,title=taskform validate::")
    assert all(line.startswith("::error file=taskform.yaml,line=") for line in lines)


def test_format_json_lists_the_problems(tmp_path: Path) -> None:
    result = run(tmp_path, BAD, "--format", "json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["valid"] is False
    assert [p["line"] for p in document["problems"]] == [7, 8, 10, 10]
    assert {"file", "line", "message", "hint"} == set(document["problems"][0])
    ok = run(tmp_path, CONFIG, "--format", "json")
    assert ok.returncode == 0 and json.loads(ok.stdout) == {
        "valid": True,
        "tasks": 1,
        "files": 1,
        "problems": [],
        "warnings": [],
    }


def test_github_annotation_escapes_as_the_runner_expects() -> None:
    problem = Problem("dir,a/b:c.yaml", 3, "50% done\nnext", "hint")
    assert github_annotation(problem) == (
        "::error file=dir%2Ca/b%3Ac.yaml,line=3,title=taskform validate::50%25 done%0Anext (hint)"
    )
    assert github_annotation(Problem("x.yaml", None, "m")).startswith("::error file=x.yaml,title")


def test_plan_still_resolves_and_requires_the_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taskform.yaml").write_text(CONFIG)
    for name in ("PORTAL_URL", "OWNER", "ITEM", "SCHED", "START", "API_TOKEN", "Y"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli, ["plan", "--portal", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "needs the environment variable PORTAL_URL" in result.output


def test_text_validate_in_github_actions_annotates_its_errors(tmp_path: Path) -> None:
    (tmp_path / "taskform.yaml").write_text("version: 1\ntasks:\n  - title: A\n    type: Nope\n")
    env = {"PATH": os.environ.get("PATH", ""), "GITHUB_ACTIONS": "true"}
    result = subprocess.run(
        [sys.executable, "-m", "taskform", "validate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "::error file=taskform.yaml,line=4,title=taskform validate::" in result.stderr
    assert "Error: " in result.stderr
