"""The probe's disposable task is deleted even when a check fails half-way (stub portal)."""

from __future__ import annotations

import pytest

from taskform.errors import PortalError
from taskform.portal import PortalClient
from taskform.workflow.probe import probe
from tests.support.stub import StubPortal, json_error, task_json, task_list

TASKS = "community/users/jo/tasks"
ID = "b" * 32


def test_the_task_is_deleted_when_a_check_fails(stub: StubPortal, client: PortalClient) -> None:
    stub.route("GET", "", {"currentVersion": "2024.1"})
    stub.route("GET", "community/users/jo", {"username": "jo", "privileges": []})
    stub.route("GET", "content/items/" + "a" * 32, {"id": "a" * 32, "type": "Notebook"})
    stub.route("POST", f"{TASKS}/createTask", {"success": True, "taskId": ID})
    stub.route("POST", f"{TASKS}/{ID}/disable", {"success": True, "taskId": ID})
    stub.route("POST", f"{TASKS}/{ID}/delete", {"success": True, "taskId": ID})
    stub.route("GET", TASKS, task_list([task_json(ID)]))
    stub.route("GET", f"{TASKS}/{ID}", json_error(403, "Not today."))  # the first check fails
    with pytest.raises(PortalError, match="Not today"):
        probe(client, write=True, item="a" * 32)
    assert len(stub.calls("POST", f"{TASKS}/createTask")) == 1
    assert len(stub.calls("POST", f"{TASKS}/{ID}/delete")) == 1
