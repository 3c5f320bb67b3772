"""The plan/apply loop end to end: the real taskform command against the emulator process."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.e2e.conftest import ITEM, ROOT, Cli

EXAMPLES = ROOT / "examples" / "config"


def write(cli: Cli, text: str, name: str = "taskform.yaml") -> Path:
    path = cli.cwd / name
    path.write_text(text)
    return path


ONE_TASK = f"""\
version: 1
tasks:
  - title: Nightly
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "0 2 * * 1-5"
    max_occurrences: 50
"""


def test_examples_plan_apply_then_no_changes(cli: Cli) -> None:
    shutil.copytree(EXAMPLES, cli.cwd / "config")
    assert cli("validate", "-c", "config").returncode == 0
    first = cli("plan", "-c", "config", "--detailed-exitcode")
    assert first.returncode == 2, first.stderr
    assert "Plan: 7 to create, 0 to update, 0 to delete" in first.stdout
    applied = cli("apply", "-c", "config", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Apply: 7 applied, 0 failed, 0 skipped." in applied.stdout
    again = cli("plan", "-c", "config", "--detailed-exitcode")
    assert again.returncode == 0, again.stdout
    assert "No changes." in again.stdout
    tasks = cli.tasks()
    assert len(tasks) == 7
    trace = next(t for t in tasks if t["title"] == "Nightly network trace")
    assert trace["active"] is False
    parcels = next(t for t in tasks if t["title"] == "Nightly parcels refresh")
    assert parcels["cronSchedule"] == {
        "minute": "0",
        "hour": "2",
        "dayOfMonth": "?",
        "month": "*",
        "dayOfWeek": "2,3,4,5,6",
    } or parcels["cronSchedule"]["dayOfWeek"] in ("2-6",)
    assert json.loads(parcels["parameters"]["notebookParameters"]) == {
        "region": "west",
        "full_reload": False,
    }


def test_tasks_made_by_other_clients_with_equivalent_schedules_show_no_change(cli: Cli) -> None:
    cli.create("By name", dayOfWeek="MON-FRI", dayOfMonth="?")
    cli.create("Sunday", minute="30", hour="3", dayOfWeek="1", dayOfMonth="?")
    cli.create("Last day", hour="23", dayOfMonth="L")
    cli.create("Steps", minute="0/15", hour="*")
    write(
        cli,
        f"""\
version: 1
tasks:
  - {{title: By name, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * 1-5"}}
  - {{title: Sunday, type: ExecuteNotebook, item_id: {ITEM}, schedule: "30 3 * * SUN"}}
  - {{title: Last day, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 23 L * *"}}
  - {{title: Steps, type: ExecuteNotebook, item_id: {ITEM}, schedule: "*/15 * * * *"}}
""",
    )
    result = cli("plan", "--detailed-exitcode")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes." in result.stdout


def test_update_keeps_every_field_and_enable_disable_toggle(cli: Cli) -> None:
    write(cli, ONE_TASK)
    assert cli("apply", "--auto-approve").returncode == 0
    write(cli, ONE_TASK.replace("0 2 * * 1-5", "15 4 * * *") + "    active: false\n")
    plan = cli("plan", "--format", "json")
    document = json.loads(plan.stdout)
    (change,) = document["changes"]
    assert change["action"] == "update"
    assert change["fields"]["schedule"] == {"before": "0 2 * * 1-5", "after": "15 4 * * *"}
    assert change["fields"]["active"] == {"before": True, "after": False}
    cli.emu.reset_stats()
    assert cli("apply", "--auto-approve").returncode == 0
    assert cli.emu.stats()["writes"] == 2  # disable + update
    (task,) = cli.tasks()
    assert task["active"] is False and task["maxOccurrences"] == 50
    assert task["cronSchedule"]["hour"] == "4"
    assert cli("plan", "--detailed-exitcode").returncode == 0


def test_saved_plan_is_applied_exactly_and_refused_when_stale(cli: Cli) -> None:
    write(cli, ONE_TASK)
    saved = cli("plan", "--out", "plan.json")
    assert saved.returncode == 0 and (cli.cwd / "plan.json").exists()
    document = json.loads((cli.cwd / "plan.json").read_text())
    assert document["format_version"] == "1" and document["summary"]["create"] == 1
    assert "s3cret-pw" not in (cli.cwd / "plan.json").read_text()
    applied = cli("apply", "plan.json")  # no prompt for a saved plan
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert len(cli.tasks()) == 1

    # A plan that would update; then someone edits the task in the portal before apply.
    write(cli, ONE_TASK.replace("max_occurrences: 50", "max_occurrences: 60"))
    assert cli("plan", "--out", "plan2.json").returncode == 0
    (task,) = cli.tasks()
    form = {
        "title": "Nightly",
        "type": "ExecuteNotebook",
        "itemId": ITEM,
        "minute": "5",
        "hour": "2",
        "dayOfMonth": "*",
        "month": "*",
        "dayOfWeek": "?",
        "maxOccurrences": 50,
    }
    assert cli.post(f"community/users/admin/tasks/{task['id']}/update", **form)["success"]
    cli.emu.reset_stats()
    stale = cli("apply", "plan2.json")
    assert stale.returncode == 1
    assert "stale" in stale.stderr and "Nightly" in stale.stderr
    assert cli.emu.stats()["writes"] == 0

    # A plan that would create, but the task was created meanwhile.
    write(cli, ONE_TASK.replace("Nightly", "Second"))
    assert cli("plan", "--out", "plan3.json").returncode == 0
    cli.create("Second")
    stale = cli("apply", "plan3.json")
    assert stale.returncode == 1 and "stale" in stale.stderr

    # The configuration changed after the plan was made.
    write(cli, ONE_TASK.replace("Nightly", "Third"))
    assert cli("plan", "--out", "plan4.json").returncode == 0
    write(cli, ONE_TASK.replace("Nightly", "Fourth"))
    stale = cli("apply", "plan4.json")
    assert stale.returncode == 1 and "configuration changed" in stale.stderr


def test_apply_refuses_without_terminal_or_auto_approve(cli: Cli) -> None:
    write(cli, ONE_TASK)
    result = cli("apply", stdin="yes\n")
    assert result.returncode == 1
    assert "--auto-approve" in result.stderr
    assert cli.tasks() == []


def test_prune_safety_threshold_and_force(cli: Cli) -> None:
    for i in range(10):
        cli.create(f"Task {i}")
    keep = "\n".join(
        f'  - {{title: Task {i}, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}'
        for i in range(6)
    )
    write(cli, f"version: 1\nprune: true\ntasks:\n{keep}\n")
    plan = cli("plan", "--detailed-exitcode")
    assert plan.returncode == 2 and "4 to delete" in plan.stdout
    refused = cli("apply", "--auto-approve")
    assert refused.returncode == 1 and "safety limit" in refused.stderr
    assert len(cli.tasks()) == 10
    forced = cli("apply", "--auto-approve", "--force")
    assert forced.returncode == 0 and len(cli.tasks()) == 6


def test_invalid_config_reports_file_and_line_and_sends_nothing(cli: Cli) -> None:
    write(cli, ONE_TASK.replace("max_occurrences: 50", "max_occurences: 50"))
    cli.emu.reset_stats()
    for command in ("validate", "plan", "apply"):
        result = cli(command, "--auto-approve") if command == "apply" else cli(command)
        assert result.returncode == 1, command
        assert "taskform.yaml:7" in result.stderr and "max_occurrences" in result.stderr
        assert "Traceback" not in result.stderr
    assert cli.emu.stats()["requests"] == 0


def test_markdown_and_json_formats(cli: Cli) -> None:
    write(cli, ONE_TASK)
    markdown = cli("plan", "--format", "markdown")
    assert markdown.returncode == 0 and "| + create | admin | Nightly |" in markdown.stdout
    document = json.loads(cli("plan", "--format", "json").stdout)
    assert document["summary"] == {"create": 1, "update": 0, "delete": 0, "unchanged": 0}
    (change,) = document["changes"]
    assert change["task_id"] is None and change["fields"]["schedule"]["after"] == "0 2 * * 1-5"


def test_connection_problems_are_clear_errors(cli: Cli) -> None:
    write(cli, ONE_TASK)
    plain = cli("plan", "--portal", "http://portal.example.com/portal")
    assert plain.returncode == 1 and "http" in plain.stderr.lower()
    assert "Traceback" not in plain.stderr
    env = cli.env()
    for name in ("ARCGIS_USERNAME", "ARCGIS_PASSWORD"):
        env.pop(name)
    nocreds = cli("plan", env=env)
    assert nocreds.returncode == 1 and "ARCGIS_TOKEN" in nocreds.stderr
    wrong = cli("plan", env=cli.env(ARCGIS_PASSWORD="wrong-password"))
    assert wrong.returncode == 1 and "wrong-password" not in wrong.stderr + wrong.stdout


def test_token_and_api_key_credentials(cli: Cli) -> None:
    write(cli, ONE_TASK)
    env = cli.env(ARCGIS_TOKEN=cli.token())
    env.pop("ARCGIS_USERNAME")
    env.pop("ARCGIS_PASSWORD")
    result = cli("plan", "-v", env=env)
    assert result.returncode == 0, result.stderr
    assert env["ARCGIS_TOKEN"] not in result.stdout + result.stderr
    assert "GET community/users/admin/tasks" in result.stderr


def test_request_counts_are_at_the_floor(cli: Cli) -> None:
    """plan over N tasks reads ceil(N/100) pages; apply of M changes sends M writes."""
    tasks = "\n".join(
        f'  - {{title: "T{i:03d}", type: ExecuteNotebook, item_id: {ITEM}, '
        f'schedule: "{i % 60} 2 * * *"}}'
        for i in range(250)
    )
    write(cli, f"version: 1\ntasks:\n{tasks}\n")
    cli.emu.reset_stats()
    assert cli("apply", "--auto-approve", "--parallelism", "8").returncode == 0
    stats = cli.emu.stats()
    assert stats["writes"] == 250
    cli.emu.reset_stats()
    assert cli("plan", "--detailed-exitcode").returncode == 0
    routes = cli.emu.stats()["by_route"]
    assert routes.get("GET community/users/{user}/tasks") == 3
    assert sum(v for k, v in routes.items() if "tasks/{" in k) == 0  # no per-task reads
    write(cli, f"version: 1\ntasks:\n{tasks.replace(' 2 * * *', ' 3 * * *', 25)}\n")
    cli.emu.reset_stats()
    assert cli("apply", "--auto-approve").returncode == 0
    stats = cli.emu.stats()
    assert stats["writes"] == 25
    # 3 pages for the plan, 3 more after the writes (the check for concurrent copies)
    assert stats["by_route"].get("GET community/users/{user}/tasks") == 6
