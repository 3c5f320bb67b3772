"""GPService parameters are checked against the GP task's description at plan time."""

from __future__ import annotations

from typing import Any

import requests

from tests.e2e.conftest import Cli
from tests.e2e.test_plan_apply import write
from tests.tasktypes.test_gpservice import TRACE

ITEM = "9a8b7c6d5e4f40312a1b2c3d4e5f6a7b"


def register(cli: Cli, path: str, description: dict[str, Any] = TRACE) -> None:
    response = requests.post(
        f"{cli.emu.url}/__emulator/gp", json={"path": path, "description": description}
    )
    assert response.status_code == 200, response.text


def reads(cli: Cli, path: str) -> int:
    listed = requests.get(f"{cli.emu.url}/__emulator/gp", timeout=10).json()["tasks"]
    return int(next(t["reads"] for t in listed if t["path"] == path))


def config(task_url: str, parameters: str, titles: tuple[str, ...] = ("Nightly trace",)) -> str:
    """A notebook task (line 3), then one GPService task per title (the first at line 8)."""
    text = """\
version: 1
tasks:
  - title: Hourly notebook
    type: ExecuteNotebook
    item_id: 029b61ca770e428d9468a2a55f40b9fb
    schedule: "@hourly"
"""
    for title in titles:
        text += f"""
  - title: {title}
    type: GPService
    item_id: {ITEM}
    task_url: {task_url}
    schedule: "0 1 * * *"
    parameters:
{parameters}"""
    return text


GOOD = """\
      Starting_Points: {url: "https://gis.example.com/server/rest/services/Net/FeatureServer/0"}
      Trace_Type: upstream
      Max_Features: 500
"""


def test_bad_parameters_fail_the_plan_and_good_ones_apply(cli: Cli) -> None:
    path = "/server/rest/services/E2E/Trace/GPServer/Trace"
    register(cli, path)
    url = cli.emu.url + path
    bad = """\
      Starting_Points: {url: "https://gis.example.com/server/rest/services/Net/FeatureServer/0"}
      Trace_Type: sideways
      Max_Feature: 500
"""
    write(cli, config(url, bad))
    before = reads(cli, path)
    result = cli("plan")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Error: 2 problems in the configuration:" in result.stderr
    assert (
        "taskform.yaml:8: parameters.Trace_Type must be one of 'upstream', 'downstream', "
        "'connected', got 'sideways'" in result.stderr
    )
    assert (
        "taskform.yaml:8: parameters: the GP task 'Trace' has no input 'Max_Feature' "
        "(did you mean 'Max_Features'?)" in result.stderr
    )
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert reads(cli, path) == before + 1
    applied = cli("apply", "--auto-approve")
    assert applied.returncode == 1 and "2 problems" in applied.stderr
    assert cli.tasks() == []  # nothing written

    write(cli, config(url, GOOD))
    plan = cli("plan", "--detailed-exitcode")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert "Plan: 2 to create" in plan.stdout and "Warning" not in plan.stdout
    applied = cli("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    (gp,) = [t for t in cli.tasks() if t["type"] == "GPService"]
    assert gp["taskUrl"] == url and gp["parameters"]["Trace_Type"] == "upstream"
    again = cli("plan", "--detailed-exitcode")
    assert again.returncode == 0 and "No changes." in again.stdout


def test_each_task_url_is_read_once_per_plan(cli: Cli) -> None:
    path = "/server/rest/services/E2E/Once/GPServer/Trace"
    register(cli, path)
    url = cli.emu.url + path
    write(cli, config(url, GOOD, titles=("First trace", "Second trace")))
    before = reads(cli, path)
    result = cli("plan", "-v")
    assert result.returncode == 0, result.stderr
    assert reads(cli, path) == before + 1
    assert f"GET {path} -> 200" in result.stderr


def test_unknown_task_url_and_bad_description_block_that_task_only(cli: Cli) -> None:
    missing = cli.emu.url + "/server/rest/services/E2E/Nowhere/GPServer/Trace"
    write(cli, config(missing, GOOD))
    result = cli("plan")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "+ admin/Hourly notebook" in result.stdout  # the rest is still planned
    assert (
        f"admin/Nightly trace: taskform.yaml:8: could not read the GP service description at "
        f"{missing} (GET /server/rest/services/E2E/Nowhere/GPServer/Trace: Service "
        "E2E/Nowhere/GPServer not found [code 404])" in result.stdout
    )
    assert "Plan: 1 to create, 0 to update, 0 to delete, 0 unchanged, 1 blocked." in result.stdout
    applied = cli("apply", "--auto-approve")
    assert applied.returncode == 1, applied.stdout + applied.stderr
    assert "Apply: 1 applied, 0 failed, 0 skipped." in applied.stdout
    assert "1 task(s) blocked and left alone:" in applied.stderr
    assert [t["title"] for t in cli.tasks()] == ["Hourly notebook"]
    status = cli("status")
    assert status.returncode == 1
    assert "BLOCKED admin/Nightly trace" in status.stdout

    path = "/server/rest/services/E2E/Broken/GPServer/Trace"
    register(cli, path, {"name": "Trace", "parameters": "none"})
    write(cli, config(cli.emu.url + path, GOOD))
    result = cli("plan")
    assert result.returncode == 1
    assert "did not answer with a GP task description: " in result.stdout
    assert "'displayName' is a required property" in result.stdout


def test_a_task_url_on_another_host_is_only_a_warning(cli: Cli) -> None:
    url = "https://gis.example.com/server/rest/services/Utilities/Trace/GPServer/Trace"
    write(cli, config(url, "      Bogus: 1\n"))
    plan = cli("plan", "--detailed-exitcode")
    assert plan.returncode == 2, plan.stderr
    host = cli.emu.url.split("://", 1)[1]
    assert (
        "Warning: admin/Nightly trace: parameters not checked against the GP task: its "
        f"task_url is on gis.example.com, and taskform reads only from the portal's host ({host})"
        in plan.stdout
    )
    applied = cli("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
