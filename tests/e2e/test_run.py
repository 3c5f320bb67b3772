"""``taskform run`` and ``taskform runs`` against the emulator process: every way a job ends
(succeeded, failed, timed out, cancelled by Ctrl-C), poll errors retried, --no-wait, the
errors that start nothing, and the runs the emulator made by itself when its clock moved."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ITEM, Cli
from tests.e2e.test_plan_apply import write
from tests.tasktypes.test_gpservice import GOOD, TRACE

GP_PATH = "/server/rest/services/Utilities/Trace/GPServer/Trace"
T0 = 1_764_633_600_000  # 2025-12-02T00:00:00Z
FAST = ("--interval", "0.1")


def setup(cli: Cli) -> str:
    """Register the GP task, declare a notebook, a GP and a scene-cook task, apply."""
    requests.post(
        f"{cli.emu.url}/__emulator/gp", json={"path": GP_PATH, "description": TRACE}, timeout=10
    ).raise_for_status()
    params = json.dumps(GOOD)
    write(
        cli,
        f"""\
version: 1
tasks:
  - title: Hourly notebook
    type: ExecuteNotebook
    item_id: {ITEM}
    schedule: "@hourly"
    parameters:
      updatePortalItem: true
      notebookParameters: {{region: west}}
  - title: Nightly trace
    type: GPService
    item_id: 9a8b7c6d5e4f40312a1b2c3d4e5f6a7b
    task_url: {cli.emu.url}{GP_PATH}
    schedule: "0 1 * * *"
    parameters: {params}
  - title: Weekly cook
    type: ExecuteSceneCook
    item_id: 8e7d6c5b4a3f4e2d9c1b0a9f8e7d6c5b
    schedule: "30 3 * * SUN"
    parameters:
      service_url: https://gis.example.com/server/rest/services/Hosted/B/SceneServer
      num_of_caching_service_instances: 2
      layer: "{{}}"
      update_mode: PARTIAL_UPDATE_NODES
  - title: Old job
    absent: true
""",
    )
    applied = cli("apply", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    return cli.emu.url + GP_PATH


def jobs(cli: Cli) -> list[dict[str, Any]]:
    return cli.emu.jobs()


def test_notebook_run_succeeds_with_the_tasks_parameters(cli: Cli) -> None:
    setup(cli)
    cli.emu.set_outcome(item_id=ITEM, status="succeeded", duration_s=0.6)
    done = cli("run", "Hourly notebook", *FAST)
    assert done.returncode == 0, done.stderr
    assert "Started notebook job j" in done.stderr
    lines = done.stderr.splitlines()
    assert any(line.endswith("submitted (SUBMITTED)") for line in lines)
    assert any(line.endswith("running (PROCESSING)") for line in lines)
    assert any(line.endswith("succeeded (COMPLETED)") for line in lines)
    assert "succeeded (COMPLETED) after 0:00" in done.stdout
    assert "  Successfully completed." in done.stdout
    (job,) = jobs(cli)
    assert job["kind"] == "notebook" and job["phase"] == "succeeded"
    url = f"{cli.emu.url}/notebookserver/admin/system/jobs/{job['jobId']}"
    body = requests.get(
        url, params={"f": "json"}, headers=cli.emu.auth(cli.token()), timeout=10
    ).json()
    assert body["inputs"]["updatePortalItem"] is True
    assert json.loads(body["inputs"]["notebookParameters"]) == {"region": "west"}


def test_gp_run_fails_with_typed_messages_and_json(cli: Cli) -> None:
    task_url = setup(cli)
    cli.emu.set_outcome(
        task_url=task_url,
        status="failed",
        duration_s=0.4,
        messages=[
            {"type": "warning", "description": "2 points skipped"},
            "Trace failed: no network",
        ],
    )
    failed = cli("run", "admin/Nightly trace", *FAST)
    assert failed.returncode == 1, failed.stderr
    assert "failed (esriJobFailed)" in failed.stdout
    assert "  warning      2 points skipped" in failed.stdout
    assert "  error        Trace failed: no network" in failed.stdout
    as_json = cli("run", "Nightly trace", *FAST, "--format", "json")
    assert as_json.returncode == 1
    body = json.loads(as_json.stdout)
    assert body["state"] == "failed" and body["server_status"] == "esriJobFailed"
    assert body["messages"][-1] == {"type": "error", "text": "Trace failed: no network"}
    # the job got the task's parameters
    job = requests.get(
        f"{task_url}/jobs/{body['job']['job_id']}/inputs/Max_Features",
        params={"f": "json"},
        timeout=10,
    ).json()
    assert job["value"] == GOOD["Max_Features"]


def test_gp_run_succeeds_and_prints_result_urls(cli: Cli) -> None:
    task_url = setup(cli)
    cli.emu.set_outcome(task_url=task_url, status="succeeded", duration_s=0.3)
    done = cli("run", "Nightly trace", *FAST)
    assert done.returncode == 0, done.stderr
    job_id = jobs(cli)[0]["jobId"]
    assert f"  Output_Features  {task_url}/jobs/{job_id}/results/Output_Features" in done.stdout


def test_timeout_cancels_the_job_and_exits_1(cli: Cli) -> None:
    task_url = setup(cli)
    cli.emu.set_outcome(task_url=task_url, status="succeeded", duration_s=60)
    timed = cli("run", "Nightly trace", *FAST, "--timeout", "0.8")
    assert timed.returncode == 1, timed.stderr
    assert "timed out (taskform's --timeout)" in timed.stdout
    assert "The job was cancelled." in timed.stdout
    (job,) = jobs(cli)
    assert job["cancelled"] is not None and job["phase"] in ("cancelling", "cancelled")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_cancels_the_job_and_exits_130(cli: Cli, sig: int) -> None:
    setup(cli)
    cli.emu.set_outcome(item_id=ITEM, status="succeeded", duration_s=60)
    proc = subprocess.Popen(
        [sys.executable, "-m", "taskform", "run", "Hourly notebook", *FAST],
        cwd=cli.cwd,
        env=cli.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = ""
    deadline = time.monotonic() + 30
    while "running (PROCESSING)" not in seen and time.monotonic() < deadline:
        seen += proc.stderr.readline()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, seen + err
    assert "interrupted" in out and "The job was cancelled." in out
    (job,) = jobs(cli)
    assert job["cancelled"] is not None
    assert job["phase"] in ("cancelled", "cancelling")


def test_poll_errors_are_retried(cli: Cli) -> None:
    setup(cli)
    cli.emu.set_outcome(item_id=ITEM, status="succeeded", duration_s=0.5)
    cli.emu.set_faults(job_error_count=2)
    done = cli("run", "Hourly notebook", *FAST, "-v")
    assert done.returncode == 0, done.stderr
    assert "retrying GET notebookserver/admin/system/jobs/" in done.stderr
    assert "after HTTP 503" in done.stderr
    assert cli.emu.faults()["job_error_count"] == 0


def test_no_wait_prints_the_job_and_returns(cli: Cli) -> None:
    setup(cli)
    cli.emu.set_outcome(item_id=ITEM, status="succeeded", duration_s=60)
    started = cli("run", "Hourly notebook", "--no-wait", "--format", "json")
    assert started.returncode == 0, started.stderr
    body = json.loads(started.stdout)
    (job,) = jobs(cli)
    assert body["job"]["job_id"] == job["jobId"] and body["waited"] is False
    assert body["job"]["url"].endswith(f"/notebookserver/admin/system/jobs/{job['jobId']}")
    text = cli("run", "Hourly notebook", "--no-wait")
    assert text.returncode == 0 and "Started notebook job j" in text.stdout


def test_errors_start_nothing(cli: Cli) -> None:
    setup(cli)
    for name, says in [
        (
            "Weekly cook",
            "is a task of type ExecuteSceneCook; taskform run can start ExecuteNotebook",
        ),
        ("Hourly notebok", "did you mean 'admin/Hourly notebook'?"),
        ("Old job", "declared absent"),
    ]:
        result = cli("run", name)
        assert result.returncode == 1, result.stdout
        assert says in result.stderr and "Traceback" not in result.stderr
    assert jobs(cli) == []


def test_an_unreachable_notebook_server_is_one_clear_error(cli: Cli) -> None:
    setup(cli)
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/notebookserver"
    requests.post(f"{cli.emu.url}/__emulator/servers", json={"notebook_server": dead}, timeout=10)
    result = cli("run", "Hourly notebook", "--retries", "1")
    assert result.returncode == 1
    assert f"the notebook server at {dead}/admin/notebooks/executeNotebook" in result.stderr
    assert "could not connect" in result.stderr and len(result.stderr.splitlines()) == 1


def test_an_unreachable_gp_service_is_one_clear_error(cli: Cli) -> None:
    setup(cli)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        server = f"http://127.0.0.1:{sock.getsockname()[1]}/server"
    requests.post(
        f"{cli.emu.url}/__emulator/servers", json={"federated": [server]}, timeout=10
    ).raise_for_status()
    gp = cli.cwd / "gp"
    gp.mkdir()
    (gp / "taskform.yaml").write_text(
        f"""\
version: 1
tasks:
  - title: Remote trace
    type: GPService
    item_id: 9a8b7c6d5e4f40312a1b2c3d4e5f6a7b
    task_url: {server}/rest/services/Net/GPServer/Trace
    schedule: "0 1 * * *"
"""
    )
    applied = cli("apply", "-c", "gp", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    result = cli("run", "Remote trace", "-c", "gp", "--retries", "1")
    assert result.returncode == 1
    assert f"the GP service at {server}/rest/services/Net/GPServer/Trace/submitJob" in result.stderr
    assert "could not connect" in result.stderr


def test_runs_shows_what_the_emulator_ran_by_itself(cli: Cli) -> None:
    cli.emu.set_clock(T0)
    setup(cli)
    cli.emu.set_outcome(
        item_id=ITEM,
        status="failed",
        duration_s=30,
        messages=["Start processing time: 2025-12-02", "KeyError: 'parcels'"],
    )
    cli.emu.advance_clock(86_400_000)
    shown = cli("runs", "Hourly notebook", "--limit", "3")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("Runs of admin/Hourly notebook (")
    assert lines[1].startswith("  2025-12-02 05:00 UTC  failed") and "0:30" in lines[1]
    assert "      error        KeyError: 'parcels'" in lines
    assert lines[-1] == "3 run(s) shown; the portal keeps at most the last 30."
    as_json = json.loads(cli("runs", "Hourly notebook", "--format", "json").stdout)
    assert [r["status"] for r in as_json["runs"]] == ["failed"] * 5  # then switched off
    assert as_json["runs"][0]["messages"][-1] == {"type": "error", "text": "KeyError: 'parcels'"}
    status = cli("status")
    assert "last error: KeyError: 'parcels'" in status.stdout
    assert "state: disabled" in status.stdout


def test_the_readme_gp_example_runs_as_shown(cli: Cli) -> None:
    """README "Running a task now": examples/gp/ with its trace.json, applied, then run."""
    from tests.e2e.conftest import ROOT

    body = json.loads((ROOT / "examples" / "gp" / "trace.json").read_text())
    requests.post(f"{cli.emu.url}/__emulator/gp", json=body, timeout=10).raise_for_status()
    env = cli.env(TRACE_URL=cli.emu.url + body["path"])
    folder = str(ROOT / "examples" / "gp")
    applied = cli("apply", "-c", folder, "--auto-approve", env=env)
    assert applied.returncode == 0, applied.stderr
    cli.emu.set_outcome(task_url=env["TRACE_URL"], status="succeeded", duration_s=0.5)
    done = cli("run", "Nightly network trace", "-c", folder, *FAST, env=env)
    assert done.returncode == 0, done.stderr
    assert "succeeded (esriJobSucceeded)" in done.stdout
    assert f"Output_Features  {env['TRACE_URL']}/jobs/j" in done.stdout
