"""Task reads and writes against the stub: paging, createTask without duplicates, deletes."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from taskform.errors import (
    AmbiguousWriteError,
    NotFound,
    PortalError,
    TransientError,
    UnknownOwnersError,
)
from taskform.model import CronFields, DesiredTask
from taskform.portal import PortalClient, RetryPolicy, task_from_json
from tests.portal.conftest import MakeClient
from tests.support.stub import DROP, FakeTasks, StubPortal, json_error, task_json, task_list

LIST = "community/users/jo/tasks"
CREATE = "community/users/jo/tasks/createTask"
UNAVAILABLE = Response("<h1>Service Unavailable</h1>", status=503, mimetype="text/html")
LIMITED = Response("<h1>Too Many Requests</h1>", status=429, headers={"Retry-After": "0"})


def desired(title: str = "Nightly", **kw: Any) -> DesiredTask:
    return DesiredTask(
        owner="jo",
        title=title,
        type="ExecuteNotebook",
        item_id="029b61ca770e428d9468a2a55f40b9fb",
        cron=CronFields("0", "2", "?", "*", "2-6"),
        parameters={"notebookParameters": {"region": "west"}},
        **kw,
    )


def serve(stub: StubPortal, tasks: FakeTasks, owner: str = "jo") -> None:
    stub.route("GET", f"community/users/{owner}/tasks", tasks.listing)
    stub.route("POST", f"community/users/{owner}/tasks/createTask", tasks.create)


# -- listing ---------------------------------------------------------------------------------


def test_250_tasks_take_three_requests_with_the_last_two_in_parallel(
    stub: StubPortal, client: PortalClient
) -> None:
    tasks = FakeTasks(tasks=[task_json(f"{i:032x}", title=f"T{i}") for i in range(250)])
    both_later_pages = threading.Barrier(2, timeout=5)

    def listing(request: Request) -> dict[str, Any]:
        if request.args["start"] != "1":
            both_later_pages.wait()  # breaks (and the test fails) unless both run at once
        return tasks.listing(request)

    stub.route("GET", LIST, listing)
    live = client.list_tasks(["jo"])["jo"]
    assert len(live) == 250 and len({t.id for t in live}) == 250
    starts = sorted(int(c.args["start"]) for c in stub.calls("GET", LIST))
    assert starts == [1, 101, 201]
    assert all(c.args["num"] == "100" for c in stub.calls())
    assert len(stub.calls()) == 3  # never a GET per task


def test_a_portal_with_smaller_pages_is_followed(stub: StubPortal, client: PortalClient) -> None:
    tasks = FakeTasks(tasks=[task_json(f"{i:032x}") for i in range(45)])

    def listing(request: Request) -> dict[str, Any]:
        start = int(request.args["start"])
        return task_list(tasks.tasks[start - 1 : start + 19], start=start, total=45)

    stub.route("GET", LIST, listing)
    assert len(client.list_tasks(["jo"])["jo"]) == 45
    assert sorted(int(c.args["start"]) for c in stub.calls()) == [1, 21, 41]


def test_owners_are_read_in_parallel_and_deduplicated(
    stub: StubPortal, client: PortalClient
) -> None:
    barrier = threading.Barrier(2, timeout=5)

    def listing(owner: str) -> Any:
        def answer(_request: Request) -> dict[str, Any]:
            barrier.wait()
            return task_list([task_json(owner * 16, owner=owner)])

        return answer

    stub.route("GET", "portals/self", {"user": {"username": "jo", "role": "org_user"}})
    stub.route("GET", "community/users/jo/tasks", listing("jo"))
    stub.route("GET", "community/users/al/tasks", listing("al"))
    result = client.list_tasks(["jo", "al", "jo"])
    assert list(result) == ["jo", "al"]
    assert [t.owner for t in result["al"]] == ["al"]
    paths = sorted(c.path for c in stub.calls())  # the admin check, then one list per owner
    assert paths == ["community/users/al/tasks", "community/users/jo/tasks", "portals/self"]


def test_a_list_that_changes_while_paging_is_read_again(
    stub: StubPortal, client: PortalClient, caplog: pytest.LogCaptureFixture
) -> None:
    tasks = FakeTasks(tasks=[task_json(f"{i:032x}") for i in range(150)])
    first = [True]

    def listing(request: Request) -> dict[str, Any]:
        page = tasks.listing(request)
        if request.args["start"] == "101" and first[0]:
            first[0] = False
            tasks.tasks.append(task_json("f" * 32))  # someone created a task meanwhile
            page = tasks.listing(request)
        return page

    stub.route("GET", LIST, listing)
    with caplog.at_level(logging.INFO, logger="taskform.http"):
        live = client.list_tasks(["jo"])["jo"]
    assert len(live) == 151
    assert len(stub.calls()) == 4
    assert "changed while being read; reading again" in caplog.text


def test_a_list_that_keeps_changing_is_an_error(stub: StubPortal, client: PortalClient) -> None:
    def listing(request: Request) -> dict[str, Any]:
        start = int(request.args["start"])
        return task_list([task_json(f"{start:032x}")], start=start, total=2 if start == 1 else 3)

    stub.route("GET", LIST, listing)
    with pytest.raises(TransientError, match="kept changing"):
        client.list_tasks(["jo"])


def test_one_owner_failing_fails_the_listing_naming_the_owner(
    stub: StubPortal, client: PortalClient
) -> None:
    stub.route("GET", "community/users/jo/tasks", task_list([]))
    stub.route("GET", "community/users/al/tasks", json_error(403, "You do not have permissions."))
    with pytest.raises(
        PortalError, match="community/users/al/tasks: not allowed to manage the tasks of 'al'"
    ):
        client.list_tasks(["jo", "al"])


ORG = "portals/self/allScheduledTasks"
ADMIN = {"user": {"username": "jo", "role": "org_admin"}}


def org_tasks(count: int, owners: tuple[str, ...] = ("jo", "al", "kim")) -> FakeTasks:
    return FakeTasks(
        tasks=[task_json(f"{i:032x}", owner=owners[i % len(owners)]) for i in range(count)]
    )


def test_an_admin_reads_several_owners_from_the_org_list_pages_in_parallel(
    stub: StubPortal, client: PortalClient
) -> None:
    stub.route("GET", "portals/self", ADMIN)
    tasks = org_tasks(250)
    both_later_pages = threading.Barrier(2, timeout=5)

    def listing(request: Request) -> dict[str, Any]:
        if request.args["start"] != "1":
            both_later_pages.wait()
        return tasks.listing(request)

    stub.route("GET", ORG, listing)
    stub.route("GET", "community/users/nobody", {"username": "nobody"})
    client.signed_in_user()  # as plan does first: the admin check costs nothing more
    live = client.list_tasks(["jo", "al", "nobody"])  # 3 org pages <= 3 owners
    assert {owner: len(found) for owner, found in live.items()} == {"jo": 84, "al": 83, "nobody": 0}
    assert sorted(int(c.args["start"]) for c in stub.calls("GET", ORG)) == [1, 101, 201]
    # an owner the org list shows no task of may not exist: asked about, alone
    others = [c.path for c in stub.calls() if c.path != ORG]
    assert others == ["portals/self", "community/users/nobody"]


def test_an_owner_missing_from_the_org_list_that_is_no_user_is_an_error(
    stub: StubPortal, client: PortalClient
) -> None:
    stub.route("GET", "portals/self", ADMIN)
    stub.route("GET", ORG, org_tasks(150).listing)
    stub.route(
        "GET",
        "community/users/ghost",
        json_error(400, "User not found.", ["User 'ghost' does not exist or is inaccessible."]),
    )
    client.signed_in_user()
    with pytest.raises(UnknownOwnersError) as caught:
        client.list_tasks(["jo", "al", "ghost"])
    assert caught.value.owners == ("ghost",)


def test_an_org_list_that_changes_while_paging_is_read_again(
    stub: StubPortal, client: PortalClient, caplog: pytest.LogCaptureFixture
) -> None:
    stub.route("GET", "portals/self", ADMIN)
    tasks = org_tasks(150)
    first = [True]

    def listing(request: Request) -> dict[str, Any]:
        if request.args["start"] == "101" and first[0]:
            first[0] = False
            tasks.tasks.insert(0, task_json("f" * 32, owner="al"))  # pushes one task along
        return tasks.listing(request)

    stub.route("GET", ORG, listing)
    client.signed_in_user()
    with caplog.at_level(logging.INFO, logger="taskform.http"):
        live = client.list_tasks(["jo", "al"])
    assert len(live["jo"]) == 50 and len(live["al"]) == 51
    assert len(stub.calls("GET", ORG)) == 4
    assert "the organization's tasks changed while being read; reading again" in caplog.text


@pytest.mark.parametrize("code", [400, 403])
def test_an_org_list_refused_means_reading_each_owner(
    stub: StubPortal, client: PortalClient, caplog: pytest.LogCaptureFixture, code: int
) -> None:
    stub.route("GET", "portals/self", ADMIN)
    stub.route("GET", ORG, json_error(code, "Not for you."))
    stub.route("GET", "community/users/jo/tasks", task_list([task_json("a" * 32)]))
    stub.route("GET", "community/users/al/tasks", task_list([]))
    with caplog.at_level(logging.DEBUG, logger="taskform.portal"):
        live = client.list_tasks(["jo", "al"])
    assert {owner: len(found) for owner, found in live.items()} == {"jo": 1, "al": 0}
    assert len(stub.calls("GET", ORG)) == 1  # not retried
    assert "Not for you.; reading each owner's tasks" in caplog.text


def test_a_long_org_list_means_reading_each_owner(
    stub: StubPortal, client: PortalClient, caplog: pytest.LogCaptureFixture
) -> None:
    stub.route("GET", "portals/self", ADMIN)
    stub.route("GET", ORG, org_tasks(201).listing)  # 3 pages for 2 owners
    stub.route("GET", "community/users/jo/tasks", task_list([]))
    stub.route("GET", "community/users/al/tasks", task_list([]))
    with caplog.at_level(logging.DEBUG, logger="taskform.portal"):
        assert client.list_tasks(["jo", "al"]) == {"jo": [], "al": []}
    assert [int(c.args["start"]) for c in stub.calls("GET", ORG)] == [1]
    assert "has 201 tasks (3 pages) for 2 owners" in caplog.text


def test_an_admin_check_that_costs_a_request_is_counted(
    stub: StubPortal, client: PortalClient
) -> None:
    # portals/self has no role here, community/users/jo tells: 2 + 1 org page > 2 owners
    stub.route("GET", "community/users/jo", {"username": "jo", "role": "org_admin"})
    stub.route("GET", ORG, task_list([]))
    stub.route("GET", "community/users/jo/tasks", task_list([]))
    stub.route("GET", "community/users/al/tasks", task_list([]))
    stub.route("GET", "community/users/al", {"username": "al"})  # no tasks: is it a user?
    assert client.list_tasks(["jo", "al"]) == {"jo": [], "al": []}
    assert stub.calls("GET", ORG) == []
    assert client.list_tasks(["jo", "al"]) == {"jo": [], "al": []}
    assert len(stub.calls("GET", ORG)) == 1  # the answer is kept now: 0 + 1 <= 2
    assert len(stub.calls("GET", "community/users/jo")) == 1


@pytest.mark.parametrize(
    "item",
    [
        {**task_json("a" * 32), "userId": None},
        {"id": "a" * 32, "userId": "jo"},  # what Esri's client reads of an org-list item
        {"id": "a" * 32, "userId": "jo", "title": "Nightly"},
    ],
)
def test_an_org_list_of_partial_objects_means_reading_each_owner(
    stub: StubPortal, client: PortalClient, caplog: pytest.LogCaptureFixture, item: Any
) -> None:
    stub.route("GET", "portals/self", ADMIN)
    stub.route("GET", ORG, task_list([item]))
    stub.route("GET", "community/users/jo/tasks", task_list([task_json("a" * 32)]))
    stub.route("GET", "community/users/al/tasks", task_list([]))
    with caplog.at_level(logging.DEBUG, logger="taskform.portal"):
        live = client.list_tasks(["jo", "al"])
    assert [t.id for t in live["jo"]] == ["a" * 32] and live["al"] == []
    assert len(stub.calls("GET", ORG)) == 1
    assert "reading each owner's tasks" in caplog.text


def test_runs_newest_first(stub: StubPortal, client: PortalClient) -> None:
    runs = [
        {"runId": "r1", "status": "succeeded", "created": 1},
        {"runId": "r3", "status": "failed", "created": 3},
    ]
    runs.append({"runId": "r2", "status": "skipped", "created": 2})
    stub.route("GET", f"{LIST}/t1/runs", {"runs": runs})
    assert [r.run_id for r in client.list_runs("jo", "t1")] == ["r3", "r2", "r1"]
    stub.route("GET", f"{LIST}/t1/runs", {"result": []})
    with pytest.raises(PortalError, match="no 'runs' list"):
        client.list_runs("jo", "t1")


# -- createTask ------------------------------------------------------------------------------


def test_create_sends_the_form_and_returns_the_id(stub: StubPortal, client: PortalClient) -> None:
    tasks = FakeTasks()
    serve(stub, tasks)
    task_id = client.create_task(desired())
    assert task_id == tasks.tasks[0]["id"]
    (seen,) = stub.calls("POST", CREATE)
    assert seen.form["title"] == "Nightly" and seen.form["f"] == "json"
    assert json.loads(json.loads(seen.form["parameters"])["notebookParameters"]) == {
        "region": "west"
    }
    assert "isActive" not in seen.form and "token" not in seen.form
    assert "maxOccurrences" not in seen.form


def test_create_dropped_after_commit_finds_the_task_instead_of_duplicating(
    stub: StubPortal, client: PortalClient, caplog: pytest.LogCaptureFixture
) -> None:
    tasks = FakeTasks()
    serve(stub, tasks)
    stub.on("POST", CREATE, tasks.create_then_drop)
    with caplog.at_level(logging.INFO, logger="taskform.http"):
        task_id = client.create_task(desired())
    assert [t["id"] for t in tasks.tasks] == [task_id]
    assert len(stub.calls("POST", CREATE)) == 1
    assert "the task was created after all" in caplog.text


def test_create_dropped_before_commit_is_sent_again(stub: StubPortal, client: PortalClient) -> None:
    tasks = FakeTasks()
    serve(stub, tasks)
    stub.on("POST", CREATE, DROP)
    task_id = client.create_task(desired())
    assert [t["id"] for t in tasks.tasks] == [task_id]
    assert len(stub.calls("POST", CREATE)) == 2


def test_create_after_a_5xx_answer_checks_before_resending(
    stub: StubPortal, client: PortalClient
) -> None:
    tasks = FakeTasks()
    serve(stub, tasks)

    def commit_then_503(request: Request) -> Response:
        tasks.commit(request)
        return UNAVAILABLE

    stub.on("POST", CREATE, commit_then_503)
    task_id = client.create_task(desired())
    assert [t["id"] for t in tasks.tasks] == [task_id]
    assert len(stub.calls("POST", CREATE)) == 1


def test_create_after_429_is_resent_without_checking(
    stub: StubPortal, client: PortalClient
) -> None:
    tasks = FakeTasks()
    serve(stub, tasks)
    client.list_tasks(["jo"])
    stub.on("POST", CREATE, LIMITED)
    client.create_task(desired())
    assert len(stub.calls("POST", CREATE)) == 2
    assert len(stub.calls("GET", LIST)) == 1  # only the listing made before


def test_an_existing_task_with_the_same_title_is_not_taken_for_the_new_one(
    stub: StubPortal, client: PortalClient
) -> None:
    tasks = FakeTasks(tasks=[task_json("e" * 32, title="Nightly")])
    serve(stub, tasks)
    stub.on("POST", CREATE, DROP)
    task_id = client.create_task(desired())
    assert task_id != "e" * 32
    assert len(tasks.tasks) == 2


def test_create_gives_up_when_it_never_gets_an_answer(
    stub: StubPortal, make_client: MakeClient
) -> None:
    tasks = FakeTasks()
    serve(stub, tasks)
    stub.route("POST", CREATE, DROP)
    client = make_client(retry=RetryPolicy(max_attempts=3, backoff_base=0.01, max_total=5))
    with pytest.raises(TransientError, match="shows it was not created"):
        client.create_task(desired())
    assert len(stub.calls("POST", CREATE)) == 3
    assert tasks.tasks == []


def test_create_when_the_check_fails_is_ambiguous(
    stub: StubPortal, make_client: MakeClient
) -> None:
    tasks = FakeTasks()
    serve(stub, tasks)
    client = make_client(retry=RetryPolicy(max_attempts=2, backoff_base=0.01, max_total=5))
    client.list_tasks(["jo"])
    stub.on("POST", CREATE, DROP)
    stub.route("GET", LIST, UNAVAILABLE)
    with pytest.raises(
        AmbiguousWriteError, match="run 'taskform plan' to see whether 'Nightly' exists"
    ):
        client.create_task(desired())


def test_create_errors_are_not_retried(stub: StubPortal, client: PortalClient) -> None:
    serve(stub, FakeTasks())
    stub.route("POST", CREATE, json_error(400, "Invalid cron.", ["dayOfWeek 9"]))
    with pytest.raises(PortalError, match=r"Invalid cron. \(dayOfWeek 9\) \[code 400\]"):
        client.create_task(desired())
    assert len(stub.calls("POST", CREATE)) == 1


# -- update, enable/disable, delete ----------------------------------------------------------


def test_update_is_a_full_replacement_keeping_max_occurrences(
    stub: StubPortal, client: PortalClient
) -> None:
    live = task_from_json(task_json("a" * 32, maxOccurrences=1000))
    stub.on("POST", f"{LIST}/{'a' * 32}/update", UNAVAILABLE)
    stub.route("POST", f"{LIST}/{'a' * 32}/update", {"success": True})
    client.update_task("a" * 32, desired(), live)
    forms = [c.form for c in stub.calls("POST", f"{LIST}/{'a' * 32}/update")]
    assert len(forms) == 2 and forms[0] == forms[1]  # idempotent: retried after a 503
    assert forms[0]["maxOccurrences"] == "1000"
    assert {
        "title",
        "type",
        "itemId",
        "minute",
        "hour",
        "dayOfMonth",
        "month",
        "dayOfWeek",
    } <= forms[0].keys()
    assert "isActive" not in forms[0]


def test_update_not_confirmed_is_an_error(stub: StubPortal, client: PortalClient) -> None:
    live = task_from_json(task_json("a" * 32))
    stub.route("POST", f"{LIST}/{'a' * 32}/update", {"success": False})
    with pytest.raises(PortalError, match="did not confirm"):
        client.update_task("a" * 32, desired(), live)


def test_enable_and_disable(stub: StubPortal, client: PortalClient) -> None:
    stub.route("POST", f"{LIST}/t1/enable", {"success": True, "taskId": "t1"})
    stub.route("POST", f"{LIST}/t1/disable", {"success": True, "taskId": "t1"})
    client.set_active("jo", "t1", True)
    client.set_active("jo", "t1", False)
    assert [c.path.rsplit("/", 1)[1] for c in stub.calls("POST")] == ["enable", "disable"]


def test_delete_of_a_missing_task_is_done(stub: StubPortal, client: PortalClient) -> None:
    stub.route("POST", f"{LIST}/t1/delete", json_error(404, "Task not found."))
    client.delete_task("jo", "t1")
    stub.route("POST", f"{LIST}/t2/delete", json_error(400, "Cannot delete."))
    with pytest.raises(PortalError) as info:
        client.delete_task("jo", "t2")
    assert not isinstance(info.value, NotFound)


def test_delete_dropped_then_gone_is_done(stub: StubPortal, client: PortalClient) -> None:
    stub.on("POST", f"{LIST}/t1/delete", DROP)
    stub.route("POST", f"{LIST}/t1/delete", json_error(404, "Task not found."))
    client.delete_task("jo", "t1")
    assert len(stub.calls()) == 2


def test_owner_names_are_quoted_in_paths(stub: StubPortal, client: PortalClient) -> None:
    stub.route("GET", "community/users/jo smith@org/tasks", task_list([]))
    assert client.list_tasks(["jo smith@org"]) == {"jo smith@org": []}
    assert stub.calls()[0].path == "community/users/jo smith@org/tasks"
