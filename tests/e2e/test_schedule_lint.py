"""Schedule lint through the real command: validate and plan warn (exit 0), --strict fails,
and plan finds overlapping runs on one item from the durations the runs resource reports."""

from __future__ import annotations

import json
import time

from taskform.workflow.overlap import MAX_RUN_READS
from tests.e2e.conftest import ITEM, Cli

RARE = f"""\
version: 1
tasks:
  - title: New year
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "0 0 1 1 *"
"""

OVERLAP = f"""\
version: 1
tasks:
  - title: First
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "0 2 * * *"
  - title: Second
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "30 2 * * *"
"""


def test_validate_warns_and_strict_fails(cli: Cli) -> None:
    (cli.cwd / "taskform.yaml").write_text(RARE)
    env = {"PATH": "/usr/bin:/bin"}  # validate needs no environment at all
    plain = cli("validate", env=env)
    assert plain.returncode == 0, plain.stderr
    assert "Warning: taskform.yaml:3: admin" not in plain.stderr  # owner unknown offline
    assert "runs as rarely as once in 365 days" in plain.stderr
    strict = cli("validate", "--strict", env=env)
    assert strict.returncode == 1
    assert "1 schedule warning and --strict" in strict.stderr
    as_json = json.loads(cli("validate", "--format", "json", env=env).stdout)
    assert as_json["valid"] is True and len(as_json["warnings"]) == 1
    github = cli("validate", "--format", "github", env=env).stdout
    assert github.startswith("::warning file=taskform.yaml,line=3,")


def test_plan_warns_about_overlapping_runs_from_their_durations(cli: Cli) -> None:
    (cli.cwd / "taskform.yaml").write_text(OVERLAP)
    first = cli("plan", "--detailed-exitcode")
    assert first.returncode == 2, first.stderr
    assert "overlapping runs" not in first.stdout  # 02:00 and 02:30, no durations known yet
    assert cli("apply", "--auto-approve").returncode == 0
    task_id = next(t["id"] for t in cli.tasks() if t["title"] == "First")
    now = int(time.time() * 1000)
    for day in (3, 2, 1):
        cli.emu.record_run(
            task_id, "succeeded", created=now - day * 86_400_000, duration_ms=45 * 60_000
        )
    plan = cli("plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr  # warnings keep the exit code
    assert "2 tasks run item" in plan.stdout and "First typically runs 45 min" in plan.stdout
    strict = cli("plan", "--strict")
    assert strict.returncode == 1 and "--strict" in strict.stderr


def test_plan_says_which_item_it_checked_without_durations(cli: Cli) -> None:
    """More live tasks on one item than plan reads the runs of: no runs are read for them, and
    the plan names the item and how many tasks share it instead of staying silent."""
    tasks = "".join(
        f"  - title: Cache {i:02d}\n    type: ExecuteNotebook\n    item_id: {ITEM}\n"
        f'    schedule: "{i * 3} 4 * * *"\n'
        for i in range(MAX_RUN_READS + 1)
    )
    (cli.cwd / "taskform.yaml").write_text(f"version: 1\ntasks:\n{tasks}")
    first = cli("plan")
    assert first.returncode == 0, first.stderr
    assert "checked by start minute only" not in first.stdout  # nothing live: nothing to read
    assert cli("apply", "--auto-approve").returncode == 0
    plan = cli("plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert (
        f"{MAX_RUN_READS + 1} tasks run item {ITEM}; overlaps were checked by start minute only"
        in plan.stdout
    )
    assert cli("plan", "--strict").returncode == 1
