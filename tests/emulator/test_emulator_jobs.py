"""The emulator runs tasks by itself on its clock, and serves Notebook Server and GP jobs whose
states follow the clock: seeds 001 and 004, outcomes set with POST /__emulator/outcomes."""

from __future__ import annotations

from typing import Any

import requests

from tests.emulator.conftest import ITEM, Api, error_of, task_form
from tests.support.emulator import EmulatorProcess

T0 = 1_764_633_600_000  # 2025-12-02T00:00:00Z, a Tuesday
HOUR, DAY = 3_600_000, 86_400_000
HOURLY = {"minute": "0", "hour": "*", "dayOfMonth": "*", "dayOfWeek": "?"}
GP_PATH = "/server/rest/services/Utilities/Trace/GPServer/Trace"
GP_DESCRIPTION = {
    "name": "Trace",
    "executionType": "esriExecutionTypeAsynchronous",
    "parameters": [
        {
            "name": "Distance",
            "dataType": "GPLong",
            "direction": "esriGPParameterDirectionInput",
            "parameterType": "esriGPParameterTypeRequired",
        },
        {
            "name": "Output_Report",
            "dataType": "GPString",
            "direction": "esriGPParameterDirectionOutput",
            "parameterType": "esriGPParameterTypeDerived",
        },
    ],
}


def runs_of(admin: Api, task_id: str) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = admin.get(admin.tasks_path("admin", f"{task_id}/runs"))["runs"]
    return runs


def get_url(url: str, token: str | None, **params: Any) -> dict[str, Any]:
    headers = {"X-Esri-Authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] = requests.get(
        url, params={"f": "json", **params}, headers=headers, timeout=10
    ).json()
    return body


def test_hourly_task_runs_by_itself_when_the_clock_moves_a_day(
    emu: EmulatorProcess, admin: Api
) -> None:
    emu.set_clock(T0)
    emu.set_outcome(item_id=ITEM, status="succeeded", duration_s=90)
    task_id = admin.create(**task_form(**HOURLY))
    assert runs_of(admin, task_id) == []
    emu.advance_clock(DAY)
    runs = runs_of(admin, task_id)
    assert len(runs) == 24
    assert [r["created"] for r in runs] == [T0 + HOUR * (i + 1) for i in range(24)]
    # the last one started at the very moment the clock reached: its job is still running
    assert [r["status"] for r in runs] == ["succeeded"] * 23 + ["executing"]
    assert all(r["modified"] == r["created"] + 90_000 for r in runs[:-1])
    task = admin.task(task_id)
    assert task["lastStart"] == T0 + DAY and task["taskState"] == "active"
    assert task["nextStart"] == T0 + DAY + HOUR
    assert get_url(runs[-1]["result"], admin.token)["status"] == "SUBMITTED"
    job = get_url(runs[-2]["result"], admin.token)
    assert job["status"] == "COMPLETED" and job["type"] == "executeNotebook"
    assert job["inputs"]["itemId"] == ITEM
    assert job["messages"][-1] == "Successfully completed."
    assert job["startTime"] == T0 + DAY - HOUR and job["endTime"] == T0 + DAY - HOUR + 90_000


def test_a_run_is_executing_until_its_job_ends(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_clock(T0)
    emu.set_outcome(item_id=ITEM, status="succeeded", duration_s=600)
    task_id = admin.create(**task_form(**HOURLY))
    emu.advance_clock(HOUR + 60_000)
    (run,) = runs_of(admin, task_id)
    assert run["status"] == "executing" and run["created"] == T0 + HOUR
    job = get_url(run["result"], admin.token)
    assert job["status"] == "PROCESSING"
    assert job["customAttributes"]["executeNotebookProgress"]["percent"] == 10
    emu.advance_clock(10 * 60_000)
    (run,) = runs_of(admin, task_id)
    assert run["status"] == "succeeded" and run["modified"] == T0 + HOUR + 600_000


def test_max_occurrences_completes_the_task(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_clock(T0)
    emu.set_outcome(item_id=ITEM, status="succeeded", duration_s=1)
    task_id = admin.create(**task_form(**HOURLY, maxOccurrences="3"))
    emu.advance_clock(DAY)
    assert len(runs_of(admin, task_id)) == 3
    task = admin.task(task_id)
    assert task["taskState"] == "completed" and task["active"] is False
    assert "nextStart" not in task


def test_five_failed_runs_switch_the_task_off(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_clock(T0)
    emu.set_outcome(item_id=ITEM, status="failed", messages=["KeyError: 'parcels'"], duration_s=5)
    task_id = admin.create(**task_form(**HOURLY))
    emu.advance_clock(DAY)
    runs = runs_of(admin, task_id)
    assert [r["status"] for r in runs] == ["failed"] * 5
    task = admin.task(task_id)
    assert task["taskState"] == "disabled" and task["active"] is False
    job = get_url(runs[0]["result"], admin.token)
    assert job["status"] == "FAILED" and job["messages"] == ["KeyError: 'parcels'"]
    # a succeeded run in between resets the count
    admin.post(admin.tasks_path("admin", f"{task_id}/enable"))
    emu.set_outcome(item_id=ITEM, status="succeeded", duration_s=5)
    emu.advance_clock(2 * HOUR + 10_000)
    assert [r["status"] for r in runs_of(admin, task_id)][-2:] == ["succeeded", "succeeded"]
    assert admin.task(task_id)["taskState"] == "active"


def test_paused_and_future_tasks_do_not_run(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_clock(T0)
    paused = admin.create(**task_form(**HOURLY))
    admin.post(admin.tasks_path("admin", f"{paused}/disable"))
    later = admin.create(**task_form(**HOURLY, startDate=str(T0 + 20 * HOUR)))
    emu.advance_clock(DAY)
    assert runs_of(admin, paused) == []
    assert [r["created"] for r in runs_of(admin, later)] == [
        T0 + h * HOUR for h in (20, 21, 22, 23, 24)
    ]


def test_execute_notebook_job_moves_through_its_states(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_clock(T0)
    emu.set_outcome(item_id=ITEM, status="succeeded", duration_s=20)
    servers = admin.get("portals/self/servers")["servers"]
    (nb,) = [s for s in servers if s["serverFunction"] == "NotebookServer"]
    url = nb["adminUrl"] + "/admin/notebooks/executeNotebook"
    form = {
        "itemId": ITEM,
        "updatePortalItem": "true",
        "notebookParameters": '{"a": 1}',
        "f": "json",
    }
    started = requests.post(url, data=form, headers=emu.auth(admin.token), timeout=10).json()
    assert started["status"] == "success" and started["jobUrl"].endswith(started["jobId"])
    job = get_url(started["jobUrl"], admin.token)
    assert job["status"] == "SUBMITTED" and "inputs" not in job
    emu.advance_clock(10_000)
    job = get_url(started["jobUrl"], admin.token)
    assert job["status"] == "PROCESSING"
    assert job["inputs"]["notebookParameters"] == '{"a": 1}' and job["inputs"]["updatePortalItem"]
    assert job["customAttributes"] == {
        "isCancelled": False,
        "executeNotebookProgress": {"message": "Executing notebook cells.", "percent": 50},
    }
    emu.advance_clock(10_000)
    job = get_url(started["jobUrl"], admin.token)
    assert job["status"] == "COMPLETED" and job["endTime"] == T0 + 20_000
    # another job, cancelled
    again = requests.post(url, data=form, headers=emu.auth(admin.token), timeout=10).json()
    cancel = get_url(again["jobUrl"] + "/cancel", admin.token)
    assert cancel == {"status": "success"}
    job = get_url(again["jobUrl"], admin.token)
    assert job["status"] == "FAILED" and job["customAttributes"]["isCancelled"] is True
    # no token; bad item
    assert get_url(started["jobUrl"], None)["code"] == 499
    bad = requests.post(
        url, data={"itemId": "x", "f": "json"}, headers=emu.auth(admin.token), timeout=10
    )
    assert bad.json()["status"] == "error" and bad.json()["code"] == 400


def register_gp(emu: EmulatorProcess) -> str:
    requests.post(
        f"{emu.url}/__emulator/gp",
        json={"path": GP_PATH, "description": GP_DESCRIPTION},
        timeout=10,
    ).raise_for_status()
    return emu.url + GP_PATH


def test_gp_job_submit_poll_messages_results_cancel(emu: EmulatorProcess, admin: Api) -> None:
    task_url = register_gp(emu)
    emu.set_clock(T0)
    emu.set_outcome(
        task_url=task_url,
        status="succeeded",
        duration_s=10,
        messages=[{"type": "warning", "description": "2 features skipped"}, "Done."],
    )
    submitted = requests.post(
        task_url + "/submitJob", data={"Distance": "5", "f": "json"}, timeout=10
    ).json()
    assert submitted["jobStatus"] == "esriJobSubmitted"
    job_url = f"{task_url}/jobs/{submitted['jobId']}"
    emu.advance_clock(5_000)
    job = get_url(job_url, None, returnMessages="true")
    assert job["jobStatus"] == "esriJobExecuting" and job["results"] == {}
    assert job["inputs"] == {"Distance": {"paramUrl": "inputs/Distance"}}
    emu.advance_clock(5_000)
    job = get_url(job_url, None, returnMessages="true")
    assert job["jobStatus"] == "esriJobSucceeded"
    assert job["results"] == {"Output_Report": {"paramUrl": "results/Output_Report"}}
    assert job["messages"][-2:] == [
        {"type": "esriJobMessageTypeWarning", "description": "2 features skipped"},
        {"type": "esriJobMessageTypeInformative", "description": "Done."},
    ]
    assert "messages" not in get_url(job_url, None)
    assert get_url(job_url + "/results/Output_Report", None)["paramName"] == "Output_Report"
    assert get_url(job_url + "/inputs/Distance", None)["value"] == 5

    other = requests.post(task_url + "/submitJob", data={"Distance": "1", "f": "json"}, timeout=10)
    other_url = f"{task_url}/jobs/{other.json()['jobId']}"
    assert get_url(other_url + "/cancel", None)["jobStatus"] == "esriJobCancelling"
    emu.advance_clock(1_000)
    assert get_url(other_url, None)["jobStatus"] == "esriJobCancelled"

    unknown = requests.post(task_url + "/submitJob", data={"Nope": "1", "f": "json"}, timeout=10)
    assert error_of(unknown.json())[0] == 400
    missing = get_url(emu.url + "/server/rest/services/X/GPServer/Y/submitJob", None)
    assert error_of(missing)[0] == 404


def test_job_error_count_fault_answers_job_polls_503(emu: EmulatorProcess, admin: Api) -> None:
    task_url = register_gp(emu)
    job_id = requests.post(
        task_url + "/submitJob", data={"Distance": "5", "f": "json"}, timeout=10
    ).json()["jobId"]
    emu.set_faults(job_error_count=2)
    codes = [
        requests.get(f"{task_url}/jobs/{job_id}", params={"f": "json"}, timeout=10).status_code
        for _ in range(3)
    ]
    assert codes == [503, 503, 200]
    assert emu.faults()["job_error_count"] == 0


def test_outcome_validation(emu: EmulatorProcess) -> None:
    for body in (
        {"status": "failed"},
        {"item_id": ITEM, "task_url": "x", "status": "failed"},
        {"item_id": ITEM, "status": "broken"},
        {"item_id": ITEM, "duration_s": -1},
        {"item_id": ITEM, "messages": "text"},
        {"item_id": ITEM, "colour": "red"},
    ):
        response = requests.post(f"{emu.url}/__emulator/outcomes", json=body, timeout=10)
        assert response.status_code == 400, body
