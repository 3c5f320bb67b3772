"""The CI recipes run: each workflow's shell steps against the emulator process, with only
GitHub itself (``gh``, the artifact store, ``pip``'s download) stubbed at its edges
(tests/support/actions.py). The scratch repository is laid out as the README says."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import ITEM, ROOT, Cli
from tests.support.actions import FAKE_GH, Actions

PR = 7
SHA = "a1b2c3d4"
#: The repository variable the README says to set: where pip installs taskform from.
SOURCE = "git+https://git.example.test/gis/taskform@0123abc"


@pytest.fixture
def github(cli: Cli, tmp_path: Path) -> Actions:
    repo = tmp_path / "gis-tasks"
    (repo / ".github" / "workflows").mkdir(parents=True)
    for recipe in (ROOT / "examples" / "ci").glob("taskform-*.yml"):
        shutil.copy(recipe, repo / ".github" / "workflows" / recipe.name)
    shutil.copy(
        ROOT / "examples" / "ci" / "pre-commit-config.yaml", repo / ".pre-commit-config.yaml"
    )
    shutil.copytree(ROOT / "examples" / "config", repo / "taskform")
    return Actions(repo, tmp_path / "github", Path(sys.executable).parent)


def run(
    github: Actions, cli: Cli, workflow: str, event_name: str, source: str = SOURCE, **event: Any
):
    variables = {"ARCGIS_URL": cli.emu.url, "ARCGIS_USERNAME": "admin"}
    if source:
        variables["TASKFORM_SOURCE"] = source
    return github.run(
        workflow,
        event_name,
        event,
        sha=SHA,
        secrets={"ARCGIS_PASSWORD": "s3cret-pw"},
        variables=variables,
    )


def pull_request(merged: bool | None = None) -> dict[str, Any]:
    event: dict[str, object] = {"number": PR, "head": {"sha": SHA}}
    if merged is not None:
        event["merged"] = merged
    return {"pull_request": event}


def test_plan_comment_apply_on_merge_and_nightly_drift(github: Actions, cli: Cli) -> None:
    plan = run(github, cli, "taskform-plan.yml", "pull_request", **pull_request())
    assert plan.ok, [(s.name, s.stderr) for s in plan.steps]
    (comment,) = github.comments(PR)
    assert comment.startswith("<!-- taskform:plan -->\n")
    assert "7 to create" in comment and "admin/Nightly parcels refresh" in comment
    assert "Runs of the next 7 days (taskform calendar)" in comment and "| **Mon** |" in comment
    assert (github.store / plan.run_id / "taskform-plan" / "plan.json").is_file()
    assert cli.tasks() == []  # a plan writes nothing

    # Re-run: the same comment is updated in place; the artifact is overwritten, not refused.
    again = run(github, cli, "taskform-plan.yml", "pull_request", **pull_request())
    assert again.ok and len(github.comments(PR)) == 1

    # The same version everywhere, pinned, and never from a package index by name.
    installs = github.pip_installs()
    assert {tuple(i) for i in installs} == {("install", SOURCE)}

    merged = run(github, cli, "taskform-apply.yml", "pull_request", **pull_request(merged=True))
    assert merged.ok, [(s.name, s.stdout, s.stderr) for s in merged.steps]
    assert "Apply: 7 applied, 0 failed" in merged.step("taskform apply plan.json").stdout
    assert len(cli.tasks()) == 7

    closed = run(github, cli, "taskform-apply.yml", "pull_request", **pull_request(merged=False))
    assert closed.steps == []  # a closed, unmerged PR applies nothing

    # Nightly drift: an unmanaged task alone is reported but does not fail the job ...
    cli.create("Hand made")
    quiet = run(github, cli, "taskform-drift.yml", "schedule")
    assert quiet.ok, [(s.name, s.stderr) for s in quiet.steps]
    assert "Hand made" in quiet.summary and "unmanaged" in quiet.summary
    # ... a task edited in the portal does, with the report in the summary and the artifact.
    task = next(t for t in cli.tasks() if t["title"] == "Hourly sensor ingest")
    assert cli.post(f"community/users/admin/tasks/{task['id']}/disable")["success"]
    cli.emu.reset_stats()
    drifted = run(github, cli, "taskform-drift.yml", "schedule")
    assert not drifted.ok
    assert "Hourly sensor ingest" in drifted.summary
    assert (github.store / drifted.run_id / "taskform-drift" / "drift.json").is_file()
    routes = cli.emu.stats()["by_route"]
    # one sign-in and one read of the task list serve the summary, the artifact and the exit code
    assert routes["POST generateToken"] == 1, routes
    assert routes["GET community/users/{user}/tasks"] == 1, routes


def test_a_failing_plan_is_commented_and_annotated(github: Actions, cli: Cli) -> None:
    bad = github.repo / "taskform" / "notebooks.yaml"
    bad.write_text(bad.read_text().replace("max_occurrences: 1000", "max_occurences: 1000"))
    plan = run(github, cli, "taskform-plan.yml", "pull_request", **pull_request())
    assert not plan.ok
    step = plan.step("Validate and plan")
    assert "::error file=taskform/notebooks.yaml,line=" in step.stdout
    assert "unknown key 'max_occurences'" in step.stdout
    (comment,) = github.comments(PR)
    assert comment.startswith("<!-- taskform:plan -->\n## taskform plan failed")
    assert "taskform/notebooks.yaml:" in comment and "max_occurences" in comment
    assert not (github.store / plan.run_id / "taskform-plan").exists()
    # fixed: the same comment now shows the plan
    bad.write_text(bad.read_text().replace("max_occurences", "max_occurrences"))
    fixed = run(github, cli, "taskform-plan.yml", "pull_request", **pull_request())
    assert fixed.ok
    (comment,) = github.comments(PR)
    assert "plan failed" not in comment and "7 to create" in comment


def test_a_stale_plan_is_refused_then_replanned_by_hand(github: Actions, cli: Cli) -> None:
    assert run(github, cli, "taskform-plan.yml", "pull_request", **pull_request()).ok
    cli.create("Nightly parcels refresh", itemId=ITEM)  # someone made it in the portal since
    merged = run(github, cli, "taskform-apply.yml", "pull_request", **pull_request(merged=True))
    assert not merged.ok
    assert "stale" in merged.step("taskform apply plan.json").stderr
    assert [t["title"] for t in cli.tasks()] == ["Nightly parcels refresh"]
    by_hand = run(github, cli, "taskform-apply.yml", "workflow_dispatch")
    assert by_hand.ok, [(s.name, s.stdout, s.stderr) for s in by_hand.steps]
    assert "to create" in by_hand.summary
    assert len(cli.tasks()) == 7


def test_every_portal_job_gets_credentials_the_same_way() -> None:
    envs = []
    for recipe in sorted((ROOT / "examples" / "ci").glob("taskform-*.yml")):
        document = yaml.safe_load(recipe.read_text())
        assert document["env"]["TASKFORM_CONFIG"] == "taskform"
        for job in document["jobs"].values():
            assert job["environment"] == "production"
            envs.append(job["env"])
    assert all(env == envs[0] for env in envs)
    assert envs[0]["ARCGIS_PASSWORD"] == "${{ secrets.ARCGIS_PASSWORD }}"


@pytest.mark.parametrize(
    "workflow", ["taskform-plan.yml", "taskform-apply.yml", "taskform-drift.yml"]
)
def test_without_the_source_variable_the_install_step_says_what_to_set(
    github: Actions, cli: Cli, workflow: str
) -> None:
    event = "workflow_dispatch" if workflow == "taskform-apply.yml" else "pull_request"
    result = run(github, cli, workflow, event, source="", **pull_request())
    assert not result.ok
    step = result.step("Install taskform")
    assert "::error title=taskform::set the repository variable TASKFORM_SOURCE" in step.stdout
    assert github.pip_installs() == []


def test_an_error_only_the_portal_can_tell_is_annotated_and_commented(
    github: Actions, cli: Cli
) -> None:
    config = github.repo / "taskform" / "notebooks.yaml"
    config.write_text(config.read_text().replace("tasks:", "owner: nobody_here\ntasks:", 1))
    plan = run(github, cli, "taskform-plan.yml", "pull_request", **pull_request())
    assert not plan.ok
    step = plan.step("Validate and plan")
    assert "::error file=taskform/notebooks.yaml,line=" in step.stderr
    assert "title=taskform plan::owner 'nobody_here'" in step.stderr
    (comment,) = github.comments(PR)
    assert comment.startswith("<!-- taskform:plan -->\n## taskform plan failed")
    assert "owner 'nobody_here'" in comment and "::error" not in comment


def test_the_fake_gh_refuses_flags_gh_does_not_have(tmp_path: Path) -> None:
    state = tmp_path / "gh.json"
    state.write_text("{}")
    env = {"FAKE_GH_STATE": str(state), "PATH": os.environ.get("PATH", "")}

    def gh(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", FAKE_GH, *args], env=env, capture_output=True, text=True
        )

    assert "unknown flag: --edit-marker" in gh("pr", "comment", "7", "--edit-marker", "x").stderr
    assert "invalid argument for --status" in gh("run", "list", "--status", "ok").stderr
    body = tmp_path / "c.md"
    body.write_text("hello")
    assert gh("pr", "comment", "7", "--body-file", str(body)).returncode == 0
