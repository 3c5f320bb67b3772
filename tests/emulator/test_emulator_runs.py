"""Runs (API and control endpoint) and the task lifecycle: completed, disabled, endDate, clock."""

from __future__ import annotations

import pytest
import requests

from tests.emulator.conftest import Api, error_of, task_form
from tests.support.emulator import EmulatorProcess

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def runs_path(task_id: str, suffix: str = "") -> str:
    return f"community/users/admin/tasks/{task_id}/runs" + (f"/{suffix}" if suffix else "")


def test_run_recorded_and_listed(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_clock(T0)
    task_id = admin.create()
    run = emu.record_run(task_id, "succeeded", result="ok", owner="admin")
    assert set(run) == {"runId", "status", "result", "created", "modified", "url", "task"}
    assert (run["status"], run["result"], run["created"]) == ("succeeded", "ok", T0)
    assert run["task"]["id"] == task_id and run["task"]["lastStart"] == T0
    assert run["url"].endswith(f"/tasks/{task_id}/runs/{run['runId']}")
    assert admin.get(runs_path(task_id)) == {"runs": [run]}
    assert admin.get(runs_path(task_id, run["runId"])) == run
    assert admin.task(task_id)["lastStart"] == T0


def test_runs_are_listed_oldest_first_and_capped_at_30(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_clock(T0)
    task_id = admin.create()
    made = [emu.record_run(task_id, "succeeded", result=str(i))["runId"] for i in range(33)]
    runs = admin.get(runs_path(task_id))["runs"]
    assert [r["runId"] for r in runs] == made[-30:]
    created = [r["created"] for r in runs]
    assert created == sorted(created) and len(set(created)) == 30  # ordered even on a fixed clock


def test_run_update_and_delete(emu: EmulatorProcess, admin: Api) -> None:
    task_id = admin.create()
    run_id = emu.record_run(task_id, "executing", result="started")["runId"]
    body = admin.post(runs_path(task_id, f"{run_id}/update"), status="submitfailed", result="boom")
    assert body == {"success": True, "taskId": task_id, "runId": run_id}
    run = admin.get(runs_path(task_id, run_id))
    assert (run["status"], run["result"]) == ("submitfailed", "boom")
    admin.post(runs_path(task_id, f"{run_id}/update"), status="failed")
    assert admin.get(runs_path(task_id, run_id))["result"] == ""  # omitted result is cleared
    assert error_of(admin.post(runs_path(task_id, f"{run_id}/update")))[0] == 400
    assert error_of(admin.post(runs_path(task_id, f"{run_id}/update"), status="done"))[0] == 400
    body = admin.post(runs_path(task_id, f"{run_id}/delete"))
    assert body == {"success": True, "taskId": task_id, "runId": run_id}
    assert admin.get(runs_path(task_id)) == {"runs": []}
    assert error_of(admin.get(runs_path(task_id, run_id))) == (404, "Run not found.")


def test_runs_are_private_to_the_owner(emu: EmulatorProcess, alice: Api, bob: Api) -> None:
    task_id = alice.create("alice")
    run_id = emu.record_run(task_id, "succeeded")["runId"]
    path = f"community/users/alice/tasks/{task_id}/runs"
    assert error_of(bob.get(path))[0] == 403
    assert error_of(bob.post(f"{path}/{run_id}/delete"))[0] == 403
    assert len(alice.get(path)["runs"]) == 1


def test_completed_after_max_occurrences(emu: EmulatorProcess, admin: Api) -> None:
    task_id = admin.create(maxOccurrences="3")
    for status in ("succeeded", "failed", "skipped"):
        assert admin.task(task_id)["taskState"] == "active"
        emu.record_run(task_id, status)
    task = admin.task(task_id)
    assert (task["active"], task["taskState"]) == (False, "completed")
    assert "nextStart" not in task
    assert admin.listing(active="false")["total"] == 1
    code, message = error_of(admin.post(f"community/users/admin/tasks/{task_id}/enable"))
    assert code == 400 and "maxOccurrences" in message
    # once maxOccurrences allows more runs, enable works again
    admin.post(
        f"community/users/admin/tasks/{task_id}/update",
        type="ExecuteNotebook",
        itemId=task["itemId"],
        minute="0",
        hour="2",
        dayOfMonth="?",
        month="*",
        dayOfWeek="2-6",
        maxOccurrences="10",
    )
    assert admin.task(task_id)["taskState"] == "completed"  # update alone does not restart it
    assert admin.post(f"community/users/admin/tasks/{task_id}/enable")["success"] is True
    assert admin.task(task_id)["taskState"] == "active"


def test_disabled_after_five_consecutive_failures(emu: EmulatorProcess, admin: Api) -> None:
    task_id = admin.create()
    for status in ("failed", "submitfailed", "failed", "failed", "succeeded"):  # reset by success
        emu.record_run(task_id, status)
    for _ in range(4):
        emu.record_run(task_id, "failed")
    assert admin.task(task_id)["taskState"] == "active"
    emu.record_run(task_id, "submitfailed")
    task = admin.task(task_id)
    assert (task["active"], task["taskState"]) == (False, "disabled")
    response = requests.post(
        f"{emu.url}/__emulator/runs", json={"task_id": task_id, "status": "failed"}, timeout=10
    )
    assert response.status_code == 409  # a disabled task does not run
    assert admin.post(f"community/users/admin/tasks/{task_id}/disable")["success"] is True
    assert admin.task(task_id)["taskState"] == "disabled"
    assert admin.post(f"community/users/admin/tasks/{task_id}/enable")["success"] is True
    assert admin.task(task_id)["taskState"] == "active"
    for _ in range(4):  # the failure count started again
        emu.record_run(task_id, "failed")
    assert admin.task(task_id)["taskState"] == "active"


def test_end_date_passed_reads_completed(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_clock(T0)
    task_id = admin.create(endDate=str(T0 + 86_400_000))
    assert admin.task(task_id)["taskState"] == "active"
    emu.set_clock(T0 + 86_400_000)
    task = admin.task(task_id)
    assert (task["active"], task["taskState"]) == (False, "completed")
    assert admin.listing()["activeTasksAvailable"] == 20
    code, message = error_of(admin.post(f"community/users/admin/tasks/{task_id}/enable"))
    assert code == 400 and "endDate" in message
    emu.set_clock(T0)
    assert admin.task(task_id)["taskState"] == "active"


def test_clock_controls_timestamps(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_clock(T0)
    task_id = admin.create()
    assert admin.task(task_id)["created"] == T0
    clock = requests.post(f"{emu.url}/__emulator/clock", json={"advance_ms": 5000}, timeout=10)
    assert clock.json() == {"now": T0 + 5000, "fixed": True}
    admin.post(f"community/users/admin/tasks/{task_id}/update", **task_form(title="Renamed"))
    assert admin.task(task_id)["updated"] == T0 + 5000
    emu.set_clock(T0 + 9000)
    admin.post(f"community/users/admin/tasks/{task_id}/disable")  # no bump (FIDELITY.md)
    assert admin.task(task_id)["updated"] == T0 + 5000
    real = emu.set_clock(None)
    assert real["fixed"] is False and real["now"] > T0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"status": "succeeded"}, 400),
        ({"task_id": "f" * 32, "status": "succeeded"}, 404),
        ({"task_id": "TASK", "status": "finished"}, 400),
        ({"task_id": "TASK", "status": "succeeded", "owner": "bob"}, 404),
    ],
)
def test_control_run_errors(
    emu: EmulatorProcess, admin: Api, body: dict[str, str], status: int
) -> None:
    task_id = admin.create()
    payload = {k: (task_id if v == "TASK" else v) for k, v in body.items()}
    response = requests.post(f"{emu.url}/__emulator/runs", json=payload, timeout=10)
    assert response.status_code == status and "error" in response.json()


def test_paused_task_does_not_run(emu: EmulatorProcess, admin: Api) -> None:
    task_id = admin.create()
    admin.post(f"community/users/admin/tasks/{task_id}/disable")
    response = requests.post(
        f"{emu.url}/__emulator/runs", json={"task_id": task_id, "status": "succeeded"}, timeout=10
    )
    assert response.status_code == 409


def test_control_run_with_explicit_created(emu: EmulatorProcess, admin: Api) -> None:
    task_id = admin.create()
    older = emu.record_run(task_id, "failed", created=T0 + 2)
    newer = emu.record_run(task_id, "succeeded", created=T0 + 1)
    assert (older["created"], newer["created"]) == (T0 + 2, T0 + 1)
    assert admin.task(task_id)["lastStart"] == T0 + 1  # the last recorded run
    bad = requests.post(
        f"{emu.url}/__emulator/runs",
        json={"task_id": task_id, "status": "failed", "created": "yesterday"},
        timeout=10,
    )
    assert bad.status_code == 400


def test_control_reset_and_unknown_endpoints(emu: EmulatorProcess, admin: Api) -> None:
    task_id = admin.create()
    emu.record_run(task_id, "succeeded")
    listed = requests.get(f"{emu.url}/__emulator/tasks", timeout=10).json()["tasks"]
    assert [t["id"] for t in listed] == [task_id] and listed[0]["userId"] == "admin"
    reset = requests.post(f"{emu.url}/__emulator/reset", timeout=10)
    assert reset.json() == {"success": True}
    assert admin.listing()["total"] == 0 and emu.all_tasks() == []
    assert requests.get(f"{emu.url}/__emulator/nope", timeout=10).status_code == 404
    assert requests.get(f"{emu.url}/__emulator/reset", timeout=10).status_code == 405
    bad = requests.post(f"{emu.url}/__emulator/clock", data="{", timeout=10)
    assert bad.status_code == 400
    assert requests.get(f"{emu.url}/elsewhere", timeout=10).status_code == 404
