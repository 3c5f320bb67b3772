"""Adoption and operations end to end: export round trips, classified drift, status."""

from __future__ import annotations

import json

from tests.e2e.conftest import ITEM, Cli
from tests.e2e.test_plan_apply import write

SCENE = json.dumps(
    {
        "service_url": "https://gis.example.com/server/rest/services/Hosted/B/SceneServer",
        "num_of_caching_service_instances": 2,
        "layer": "{}",
        "update_mode": "RECREATE_ALL_NODES",
    }
)


def varied_portal(cli: Cli) -> dict[str, str]:
    """Tasks of every type, odd schedules made by other clients, dates, paused and completed."""
    ids = {
        "nb": cli.create(
            "Notebook",
            dayOfWeek="MON-FRI",
            dayOfMonth="?",
            maxOccurrences=100,
            parameters=json.dumps(
                {"updatePortalItem": True, "notebookParameters": {"region": "west"}}
            ),
        ),
        "insights": cli.create(
            "Insights",
            type="UpdateInsightsWorkbook",
            dayOfMonth="L",
            startDate=1796083200000,
            endDate=1827619200000,
        ),
        "scene": cli.create(
            "Scene", type="ExecuteSceneCook", parameters=SCENE, dayOfWeek="6#3", dayOfMonth="?"
        ),
        "wm": cli.create("Workflow", type="ExecuteWorkflowManager", dayOfMonth="15W"),
        "report": cli.create(
            "Report",
            type="ExecuteReport",
            itemId="",
            parameters=json.dumps({"reportType": "usage"}),
            minute="0/30",
            hour="*",
        ),
        "gp": cli.create(
            "GP",
            type="GPService",
            taskUrl="https://gis.example.com/server/rest/services/T/GPServer/Trace",
        ),
        "pipe": cli.create("Pipeline", type="RunDataPipeline", dayOfWeek="SUN,SAT", dayOfMonth="?"),
        "paused": cli.create("Paused", dayOfWeek="*", dayOfMonth="?"),
        "completed": cli.create("Completed", maxOccurrences=1),
    }
    assert cli.post(f"community/users/admin/tasks/{ids['paused']}/disable")["success"]
    cli.emu.record_run(ids["completed"], "succeeded")
    return ids


def test_export_round_trip_over_a_varied_portal(cli: Cli) -> None:
    varied_portal(cli)
    exported = cli("export", "-o", "exported.yaml")
    assert exported.returncode == 0, exported.stderr
    text = (cli.cwd / "exported.yaml").read_text()
    assert 'schedule: "0 2 * * 1-5"' in text
    assert "region: west" in text and "2026-12-01T00:00:00Z" in text
    assert cli("validate", "-c", "exported.yaml").returncode == 0
    plan = cli("plan", "-c", "exported.yaml", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "No changes." in plan.stdout
    stdout = cli("export")
    assert stdout.returncode == 0 and stdout.stdout == text


def test_export_of_other_owners(cli: Cli) -> None:
    cli.create("Jo's task", owner="jo")
    cli.create("Sam's task", owner="sam")
    result = cli("export", "--owner", "jo", "--owner", "sam", "-o", "team.yaml")
    assert result.returncode == 0, result.stderr
    text = (cli.cwd / "team.yaml").read_text()
    assert "owner: jo" in text and "owner: sam" in text
    assert cli("plan", "-c", "team.yaml", "--detailed-exitcode").returncode == 0


def test_drift_kinds_exit_codes_and_json(cli: Cli) -> None:
    config = f"""\
version: 1
tasks:
  - {{title: Edited, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}
  - {{title: Paused, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}
  - {{title: Completed, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *",
      max_occurrences: 2}}
  - {{title: Failing, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}
  - {{title: Missing, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}
"""
    write(cli, config)
    assert cli("apply", "--auto-approve").returncode == 0
    clean = cli("drift")
    assert clean.returncode == 0 and "No drift" in clean.stdout
    ids = {t["title"]: t["id"] for t in cli.tasks()}
    form = {
        "title": "Edited",
        "type": "ExecuteNotebook",
        "itemId": ITEM,
        "minute": "0",
        "hour": "9",
        "dayOfMonth": "*",
        "month": "*",
        "dayOfWeek": "?",
    }
    assert cli.post(f"community/users/admin/tasks/{ids['Edited']}/update", **form)["success"]
    assert cli.post(f"community/users/admin/tasks/{ids['Paused']}/disable")["success"]
    for _ in range(2):
        cli.emu.record_run(ids["Completed"], "succeeded")
    for _ in range(5):
        cli.emu.record_run(ids["Failing"], "failed", result="Kernel died")
    assert cli.post(f"community/users/admin/tasks/{ids['Missing']}/delete")["success"]
    cli.create("Hand made")

    result = cli("drift", "--format", "json")
    assert result.returncode == 2, result.stderr
    report = json.loads(result.stdout)
    kinds = {t["title"]: t["kind"] for t in report["tasks"]}
    assert kinds == {
        "Edited": "config_changed",
        "Paused": "paused",
        "Completed": "completed",
        "Failing": "disabled_by_failures",
        "Missing": "missing",
        "Hand made": "unmanaged",
    }
    edited = next(t for t in report["tasks"] if t["title"] == "Edited")
    assert edited["fields"]["schedule"] == {"before": "0 9 * * *", "after": "0 2 * * *"}
    assert edited["task_id"] == ids["Edited"] and edited["owner"] == "admin"
    applies = {t["title"]: t["apply"] for t in report["tasks"]}
    assert applies["Paused"] == "enable" and applies["Completed"] == "none"
    assert applies["Failing"] == "none" and applies["Hand made"] == "none"
    text = cli("drift")
    assert text.returncode == 2 and "[disabled_by_failures] admin/Failing" in text.stdout
    markdown = cli("drift", "--format", "markdown")
    assert markdown.returncode == 2 and "| completed | admin | Completed |" in markdown.stdout

    # apply follows the lifecycle policy: re-enables the paused one, leaves the others.
    assert cli("apply", "--auto-approve").returncode == 0
    after = {t["title"]: t for t in cli.tasks()}
    assert after["Paused"]["active"] is True
    assert after["Completed"]["active"] is False and after["Failing"]["active"] is False
    after_apply = cli("drift", "--format", "json", "--out", "drift.json")
    left = json.loads(after_apply.stdout)
    assert {t["kind"] for t in left["tasks"]} == {"completed", "disabled_by_failures", "unmanaged"}
    # nothing left that apply would change: not a failure by default; --fail-on chooses
    assert after_apply.returncode == 0
    assert json.loads((cli.cwd / "drift.json").read_text()) == left
    assert cli("drift", "--fail-on", "all").returncode == 2
    assert cli("drift", "--fail-on", "unmanaged,paused").returncode == 2
    assert cli("drift", "--fail-on", "paused,config_changed").returncode == 0
    typo = cli("drift", "--fail-on", "unmanagd")
    assert typo.returncode == 1 and "unknown drift kind unmanagd" in typo.stderr


def test_status_lists_failing_tasks_first(cli: Cli) -> None:
    write(
        cli,
        f"""\
version: 1
tasks:
  - {{title: A healthy, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}
  - {{title: Z broken, type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 3 * * *"}}
""",
    )
    assert cli("apply", "--auto-approve").returncode == 0
    ids = {t["title"]: t["id"] for t in cli.tasks()}
    cli.emu.record_run(ids["A healthy"], "succeeded")
    cli.emu.record_run(ids["Z broken"], "failed", result="Item not found")
    result = cli("status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("FAILING admin/Z broken")
    assert "Item not found" in result.stdout
    data = json.loads(cli("status", "--format", "json").stdout)
    assert [t["title"] for t in data["tasks"]] == ["Z broken", "A healthy"]
    assert data["tasks"][0]["runs"][0]["status"] == "failed"
    assert data["tasks"][1]["next_run"]
