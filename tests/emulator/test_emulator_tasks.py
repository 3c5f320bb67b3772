"""Task endpoints: create, get, list filters, full-replacement update, enable/disable/delete,
defaults, validation rules, permissions, the active-task limit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.emulator.conftest import ITEM, ITEM2, Api, error_of, task_form
from tests.support.emulator import EmulatorProcess

CREATE = "community/users/admin/tasks/createTask"
SCENE = {
    "service_url": "https://gis.example.com/server/rest/services/Hosted/B/SceneServer",
    "num_of_caching_service_instances": 2,
    "layer": "{}",
    "update_mode": "PARTIAL_UPDATE_NODES",
}
GP_URL = "https://gis.example.com/server/rest/services/Utilities/Trace/GPServer/Trace"


def test_create_returns_id_and_get_returns_full_object(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_clock(1_700_000_000_000)
    body = admin.post(
        CREATE, **task_form(maxOccurrences="30", startDate="1700000000000", endDate="1800000000000")
    )
    assert set(body) == {"success", "taskId"} and body["success"] is True
    task_id = body["taskId"]
    assert len(task_id) == 32 and int(task_id, 16) >= 0
    task = admin.task(task_id)
    assert task["id"] == task_id
    assert task["itemId"] == ITEM
    assert task["type"] == "ExecuteNotebook"
    assert task["title"] == "Nightly"
    assert task["userId"] == "admin"
    assert task["cronSchedule"] == {
        "minute": "0",
        "hour": "2",
        "dayOfMonth": "?",
        "month": "*",
        "dayOfWeek": "2-6",
    }
    assert task["maxOccurrences"] == 30
    assert task["created"] == task["updated"] == 1_700_000_000_000
    assert task["startDate"] == 1_700_000_000_000 and task["endDate"] == 1_800_000_000_000
    assert task["active"] is True and task["taskState"] == "active"
    assert isinstance(task["runIntervalSeconds"], int) and "nextStart" in task
    assert "lastStart" not in task  # no run yet
    assert isinstance(task["parameters"], dict)


def test_defaults_filled_in(admin: Api) -> None:
    task = admin.task(admin.create(title=None))
    assert task["maxOccurrences"] == -1
    assert task["title"] == ""
    assert task["parameters"] == {
        "updatePortalItem": False,
        "saveInjectedParameters": False,
        "notebookParameters": "{}",
    }
    assert "startDate" not in task and "endDate" not in task
    other = admin.task(admin.create(type="UpdateInsightsWorkbook"))
    assert other["parameters"] == {}


def test_notebook_parameters_object_is_stored_as_json_string(admin: Api) -> None:
    params = {"notebookParameters": {"region": "west", "n": 2}, "updatePortalItem": True}
    task = admin.task(admin.create(parameters=json.dumps(params)))
    assert isinstance(task["parameters"], dict)  # returned as an object
    assert task["parameters"]["updatePortalItem"] is True
    assert task["parameters"]["saveInjectedParameters"] is False
    stored = task["parameters"]["notebookParameters"]
    assert isinstance(stored, str) and json.loads(stored) == {"region": "west", "n": 2}
    as_string = admin.task(admin.create(parameters=json.dumps({"notebookParameters": '{"a":1}'})))
    assert as_string["parameters"]["notebookParameters"] == '{"a":1}'  # kept as sent


def test_each_type_with_its_requirements(admin: Api) -> None:
    admin.create(type="ExecuteSceneCook", parameters=json.dumps(SCENE))
    admin.create(type="ExecuteWorkflowManager")
    report = admin.task(
        admin.create(
            type="ExecuteReport", itemId=None, parameters=json.dumps({"reportType": "org-usage"})
        )
    )
    assert "itemId" not in report
    gp = admin.task(admin.create(type="GPService", taskURL=GP_URL))  # create sends taskURL
    assert gp["taskUrl"] == GP_URL
    admin.create(type="RunDataPipeline")
    assert admin.listing()["total"] == 5


VALIDATION: list[tuple[dict[str, Any], str]] = [
    ({"type": None}, "Missing required parameter 'type'."),
    ({"type": "executenotebook"}, "Invalid task type 'executenotebook'"),
    ({"type": "Notebook"}, "Invalid task type 'Notebook'"),
    ({"itemId": None}, "Missing required parameter 'itemId'."),
    ({"itemId": "not-an-item"}, "Invalid itemId 'not-an-item'"),
    ({"itemId": "029b61ca770e428d9468a2a55f40b9f"}, "Invalid itemId"),
    ({"parameters": "{not json"}, "Invalid parameters: not valid JSON"),
    ({"parameters": "[1, 2]"}, "Invalid parameters: must be a JSON object."),
    ({"parameters": '{"updatePortalItem": "yes"}'}, "'updatePortalItem' must be true or false"),
    (
        {"parameters": '{"notebookParameters": "nope"}'},
        "'notebookParameters' must be a JSON object",
    ),
    (
        {"type": "ExecuteSceneCook"},
        "Missing required parameter 'parameters' for an ExecuteSceneCook",
    ),
    (
        {"type": "ExecuteSceneCook", "parameters": json.dumps({"layer": "{}"})},
        "ExecuteSceneCook needs service_url, num_of_caching_service_instances, update_mode",
    ),
    (
        {"type": "ExecuteSceneCook", "parameters": json.dumps({**SCENE, "update_mode": "ALL"})},
        "'update_mode' must be one of RECREATE_ALL_NODES, PARTIAL_UPDATE_NODES, "
        "PARTIAL_UPDATE_ATTRIBUTES",
    ),
    (
        {
            "type": "ExecuteSceneCook",
            "parameters": json.dumps({**SCENE, "num_of_caching_service_instances": "2"}),
        },
        "'num_of_caching_service_instances' must be an integer",
    ),
    (
        {"type": "ExecuteSceneCook", "parameters": json.dumps({**SCENE, "service_url": "ftp://x"})},
        "'service_url' must be an http(s) URL",
    ),
    (
        {"type": "ExecuteReport", "itemId": None},
        "Missing required parameter 'parameters' for an ExecuteReport",
    ),
    ({"type": "ExecuteReport", "parameters": "{}"}, "for an ExecuteReport"),
    ({"type": "GPService"}, "Missing required parameter 'taskUrl' for a GPService task."),
    (
        {
            "type": "GPService",
            "taskUrl": "https://gis.example.com/server/rest/services/X/MapServer",
        },
        "Invalid taskUrl",
    ),
    ({"type": "GPService", "taskUrl": "gis.example.com/GPServer/Trace"}, "Invalid taskUrl"),
    (
        {"startDate": "1800000000000", "endDate": "1700000000000"},
        "startDate must not be after endDate.",
    ),
    ({"startDate": "tomorrow"}, "Invalid startDate 'tomorrow': must be epoch milliseconds."),
    ({"endDate": "-5"}, "Invalid endDate '-5'"),
    ({"maxOccurrences": "0"}, "Invalid maxOccurrences '0'"),
    ({"maxOccurrences": "-2"}, "Invalid maxOccurrences '-2'"),
    ({"maxOccurrences": "ten"}, "Invalid maxOccurrences 'ten'"),
    ({"maxOccurrences": "1.5"}, "Invalid maxOccurrences '1.5'"),
]


@pytest.mark.parametrize(("overrides", "message"), VALIDATION)
def test_validation(admin: Api, overrides: dict[str, Any], message: str) -> None:
    body = admin.post(CREATE, **task_form(**overrides))
    code, _ = error_of(body)
    assert code == 400
    assert any(message in detail for detail in body["error"]["details"]), body
    assert admin.listing()["total"] == 0


def test_max_occurrences_minus_one_and_positive_accepted(admin: Api) -> None:
    assert admin.task(admin.create(maxOccurrences="-1"))["maxOccurrences"] == -1
    assert admin.task(admin.create(maxOccurrences="1"))["maxOccurrences"] == 1


def test_update_is_a_full_replacement(admin: Api) -> None:
    params = json.dumps({"updatePortalItem": True, "notebookParameters": {"a": 1}})
    task_id = admin.create(
        maxOccurrences="5",
        startDate="1700000000000",
        endDate="4000000000000",
        parameters=params,
        title="Old",
    )
    before = admin.task(task_id)
    body = admin.post(
        f"community/users/admin/tasks/{task_id}/update",
        **task_form(title="New", itemId=ITEM2, minute="30", dayOfWeek="2"),
    )
    assert body == {"success": True, "taskId": task_id}
    after = admin.task(task_id)
    assert after["title"] == "New" and after["itemId"] == ITEM2
    assert after["cronSchedule"]["minute"] == "30" and after["cronSchedule"]["dayOfWeek"] == "2"
    # optional fields not sent are reset, not kept
    assert after["maxOccurrences"] == -1
    assert "startDate" not in after and "endDate" not in after
    assert after["parameters"]["updatePortalItem"] is False
    assert after["parameters"]["notebookParameters"] == "{}"
    assert after["id"] == task_id and after["created"] == before["created"]
    assert after["updated"] >= before["updated"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"type": None}, "Missing required parameter 'type'."),
        ({"itemId": None}, "Missing required parameter 'itemId'."),
        ({"hour": None}, "Missing required cron field 'hour'."),
        ({"type": "UpdateInsightsWorkbook"}, "The type of a task cannot be changed"),
        ({"dayOfMonth": "*", "dayOfWeek": "*"}, "Support for specifying both"),
    ],
)
def test_update_validation(admin: Api, overrides: dict[str, Any], message: str) -> None:
    task_id = admin.create(title="Keep")
    body = admin.post(f"community/users/admin/tasks/{task_id}/update", **task_form(**overrides))
    assert error_of(body)[0] == 400
    assert body["error"]["message"].startswith(message)
    assert admin.task(task_id)["title"] == "Keep"  # nothing changed


def test_gp_task_url_on_update_accepts_task_url_casing(admin: Api) -> None:
    task_id = admin.create(type="GPService", taskURL=GP_URL)
    other = GP_URL.replace("Trace", "Route")
    body = admin.post(
        f"community/users/admin/tasks/{task_id}/update",
        **task_form(type="GPService", taskUrl=other),
    )
    assert body["success"] is True
    assert admin.task(task_id)["taskUrl"] == other


def test_enable_disable_delete(admin: Api) -> None:
    task_id = admin.create()
    base = f"community/users/admin/tasks/{task_id}"
    assert admin.post(f"{base}/disable") == {"success": True, "taskId": task_id}
    paused = admin.task(task_id)
    assert (paused["active"], paused["taskState"]) == (False, "paused")
    assert "nextStart" not in paused
    assert admin.post(f"{base}/enable") == {"success": True, "taskId": task_id}
    active = admin.task(task_id)
    assert (active["active"], active["taskState"]) == (True, "active")
    assert admin.post(f"{base}/delete") == {"success": True, "taskId": task_id}
    assert error_of(admin.task(task_id)) == (404, "Task not found.")
    assert error_of(admin.post(f"{base}/delete")) == (404, "Task not found.")


@pytest.mark.parametrize("action", ["update", "enable", "disable", "delete", "runs"])
def test_unknown_task_is_404(admin: Api, action: str) -> None:
    path = f"community/users/admin/tasks/{'f' * 32}/{action}"
    body = admin.get(path) if action == "runs" else admin.post(path, **task_form())
    assert error_of(body) == (404, "Task not found.")


def test_list_filters(admin: Api) -> None:
    first = admin.create(title="a")
    admin.create(title="b", itemId=ITEM2)
    third = admin.create(title="c", type="UpdateInsightsWorkbook")
    admin.post(f"community/users/admin/tasks/{third}/disable")
    listing = admin.listing()
    assert [t["title"] for t in listing["tasks"]] == ["a", "b", "c"]  # creation order
    assert listing["tasks"][0]["id"] == first
    assert listing["tasks"][0] == admin.task(first)  # list items are full task objects
    assert [t["title"] for t in admin.listing(itemId=ITEM2)["tasks"]] == ["b"]
    assert [t["title"] for t in admin.listing(active="false")["tasks"]] == ["c"]
    assert [t["title"] for t in admin.listing(active="true")["tasks"]] == ["a", "b"]
    assert [t["title"] for t in admin.listing(types="UpdateInsightsWorkbook")["tasks"]] == ["c"]
    assert error_of(admin.listing(active="yes"))[0] == 400
    both = admin.listing(types="ExecuteNotebook,UpdateInsightsWorkbook")["tasks"]
    assert [t["title"] for t in both] == ["a", "b", "c"]  # comma lists, as Esri's tests send
    assert error_of(admin.listing(types="ExecuteNotebook,Nope"))[0] == 400
    titles = [t["title"] for t in admin.listing(sortField="title", sortOrder="desc")["tasks"]]
    assert titles == ["c", "b", "a"]
    assert [t["title"] for t in admin.listing(sortField="created")["tasks"]] == ["a", "b", "c"]
    assert error_of(admin.listing(sortField="colour"))[0] == 400


def test_start_date_equal_to_end_date_is_accepted(admin: Api) -> None:
    # the documentation's own createTask sample sends startDate == endDate
    task_id = admin.create(startDate="1900000000000", endDate="1900000000000")
    task = admin.task(task_id)
    assert task["startDate"] == task["endDate"] == 1900000000000


def test_users_see_only_their_own_tasks(alice: Api, bob: Api, admin: Api) -> None:
    alices = alice.create("alice")
    denied = (403, "You do not have permissions to access this resource or perform this operation.")
    assert error_of(bob.listing("alice")) == denied
    assert error_of(bob.task(alices, "alice")) == denied
    assert error_of(bob.post("community/users/alice/tasks/createTask", **task_form())) == denied
    for action in ("update", "enable", "disable", "delete"):
        body = bob.post(f"community/users/alice/tasks/{alices}/{action}", **task_form())
        assert error_of(body) == denied
    # a task id of another owner under one's own user is simply not found
    assert error_of(bob.task(alices, "bob")) == (404, "Task not found.")
    assert alice.listing("alice")["total"] == 1


def test_admin_acts_on_other_users_tasks(alice: Api, admin: Api) -> None:
    made_by_admin = admin.create("alice", title="for alice")
    assert admin.task(made_by_admin, "alice")["userId"] == "alice"
    assert alice.task(made_by_admin, "alice")["title"] == "for alice"
    assert admin.post(f"community/users/alice/tasks/{made_by_admin}/disable")["success"] is True
    assert admin.listing("alice")["total"] == 1
    assert admin.listing("admin")["total"] == 0


def test_writes_need_post(admin: Api) -> None:
    task_id = admin.create()
    for path in (CREATE, f"community/users/admin/tasks/{task_id}/delete"):
        assert error_of(admin.get(path, **task_form()))[0] == 405
    assert admin.listing()["total"] == 1


def test_reads_accept_post_and_params_in_query(emu: EmulatorProcess, admin: Api) -> None:
    admin.create()
    assert admin.post("community/users/admin/tasks")["total"] == 1
    response = requests.post(
        emu.rest(CREATE),
        params={"f": "json", **task_form()},
        headers=emu.auth(admin.token),
        timeout=10,
    )
    assert response.json()["success"] is True


@pytest.fixture(scope="module")
def limited() -> Iterator[EmulatorProcess]:
    args = ("--user", "admin:admin", "--user", "alice:pw", "--admin", "admin")
    with EmulatorProcess().start(*args, "--active-task-limit", "3") as emu:
        yield emu


class TestActiveTaskLimit:
    def test_limit(self, limited: EmulatorProcess) -> None:
        limited.reset()
        api = Api(limited, limited.token())
        ids = [api.create(title=str(i)) for i in range(3)]
        assert api.listing()["activeTasksAvailable"] == 0
        body = api.post(CREATE, **task_form())
        code, message = error_of(body)
        assert code == 400 and "limit of 3 active" in message
        api.post(f"community/users/admin/tasks/{ids[0]}/disable")
        assert api.listing()["activeTasksAvailable"] == 1
        fourth = api.create(title="3")
        code, message = error_of(api.post(f"community/users/admin/tasks/{ids[0]}/enable"))
        assert code == 400 and "limit of 3 active" in message
        assert api.task(ids[0])["active"] is False
        api.post(f"community/users/admin/tasks/{fourth}/delete")
        assert api.post(f"community/users/admin/tasks/{ids[0]}/enable")["success"] is True
        # enabling an already active task does not need headroom
        assert api.post(f"community/users/admin/tasks/{ids[0]}/enable")["success"] is True

    def test_limit_is_per_owner(self, limited: EmulatorProcess) -> None:
        limited.reset()
        admin, alice = Api(limited, limited.token()), Api(limited, limited.token("alice", "pw"))
        for i in range(3):
            admin.create(title=str(i))
        assert admin.listing()["activeTasksAvailable"] == 0
        assert alice.listing("alice")["activeTasksAvailable"] == 3
        alice.create("alice")
        admin.create("alice")  # an admin creating for alice uses alice's headroom
        assert alice.listing("alice")["activeTasksAvailable"] == 1


def test_default_limit_is_20(admin: Api) -> None:
    assert admin.listing()["activeTasksAvailable"] == 20
    admin.create()
    assert admin.listing()["activeTasksAvailable"] == 19
