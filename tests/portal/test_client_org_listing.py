"""Many owners against the real emulator: an org admin's listing takes the org-wide list when
that is no more requests than reading each owner (issue 7), and each owner's list otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from taskform.errors import PermissionDenied, UnknownOwnersError
from taskform.portal import PortalClient, RetryPolicy

emulator = pytest.importorskip("tests.support.emulator")

PW = "org-Pass-31c7"
OWNERS = [f"u{i:02}" for i in range(1, 31)]
FAST = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05, max_total=5.0)
SIGN_IN = {"POST generateToken": 1, "GET portals/self": 1}
ORG = "GET portals/self/allScheduledTasks"
OWNER_LIST = "GET community/users/{user}/tasks"


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    args = ["--user", f"admin:{PW}", "--admin", "admin", "--active-task-limit", "0"]
    for user in [*OWNERS, "other"]:
        args += ["--user", f"{user}:{PW}"]
    with emulator.EmulatorProcess().start(*args) as process:
        yield process


@pytest.fixture
def portal(emu: Any) -> Any:
    emu.reset()
    return emu


def client_for(emu: Any, user: str = "admin") -> PortalClient:
    return PortalClient(emu.url, username=user, password=PW, retry=FAST, read_concurrency=8)


def create(emu: Any, owners: list[str], per_owner: int) -> dict[str, set[str]]:
    """``per_owner`` tasks for each owner, created by the admin on the REST API; their ids."""
    token = emu.token("admin", PW)

    def one(job: tuple[str, int]) -> tuple[str, str]:
        owner, i = job
        form = {
            "title": f"{owner} {i}",
            "type": "ExecuteNotebook",
            "itemId": "029b61ca770e428d9468a2a55f40b9fb",
            "minute": str(i % 60),
            "hour": "2",
            "dayOfMonth": "*",
            "month": "*",
            "dayOfWeek": "?",
            "f": "json",
        }
        url = emu.rest(f"community/users/{owner}/tasks/createTask")
        body = requests.post(url, data=form, headers=emu.auth(token), timeout=10).json()
        return owner, str(body["taskId"])

    ids: dict[str, set[str]] = {owner: set() for owner in owners}
    jobs = [(owner, i) for owner in owners for i in range(per_owner)]
    with ThreadPoolExecutor(8) as pool:
        for owner, task_id in pool.map(one, jobs):
            ids[owner].add(task_id)
    return ids


def test_thirty_owners_are_read_from_one_org_page(portal: Any) -> None:
    ids = create(portal, OWNERS, 3)
    create(portal, ["other"], 3)  # in the org's list, not asked for
    portal.reset_stats()
    with client_for(portal) as client:
        live = client.list_tasks(OWNERS)
        assert portal.stats()["by_route"] == {**SIGN_IN, ORG: 1}
        assert client.is_admin() is True  # known by now: no request
        assert portal.stats()["requests"] == 3
    assert list(live) == OWNERS
    assert {owner: {t.id for t in tasks} for owner, tasks in live.items()} == ids
    assert all(t.owner == owner for owner, tasks in live.items() for t in tasks)


def test_an_owner_without_tasks_is_there_and_empty(portal: Any) -> None:
    ids = create(portal, ["u01"], 2)
    with client_for(portal) as client:
        client.signed_in_user()
        portal.reset_stats()
        live = client.list_tasks(["admin", "u01"])  # the user record is known: 1 + 1 <= 2
        assert portal.stats()["by_route"] == {ORG: 1}
    assert live["admin"] == []
    assert {t.id for t in live["u01"]} == ids["u01"]


def test_two_owners_with_250_tasks_each_are_read_per_owner(portal: Any) -> None:
    ids = create(portal, ["u01", "u02"], 250)
    portal.reset_stats()
    with client_for(portal) as client:
        live = client.list_tasks(["u01", "u02"])
    # 500 tasks are 5 org pages, more than the 2 owners: the first org page was the price
    assert portal.stats()["by_route"] == {**SIGN_IN, ORG: 1, OWNER_LIST: 6}
    assert {owner: {t.id for t in tasks} for owner, tasks in live.items()} == ids


def test_a_non_admin_reads_each_owner_and_is_refused_another_owners_tasks(
    portal: Any,
) -> None:
    create(portal, ["u01", "u02"], 2)
    portal.reset_stats()
    with client_for(portal, "u01") as client, pytest.raises(PermissionDenied) as info:
        client.list_tasks(["u01", "u02"])
    assert "tasks of 'u02'" in str(info.value)
    assert info.value.owner == "u02"
    routes = portal.stats()["by_route"]
    assert ORG not in routes
    assert routes[OWNER_LIST] >= 1


USER_GET = "GET community/users/{user}"


def test_the_spelling_of_an_owner_without_tasks_is_one_user_request(portal: Any) -> None:
    with client_for(portal) as client:
        assert client.signed_in_user() == "admin"
        assert client.list_tasks(["U05"]) == {"U05": []}  # the owner's own list, empty
        portal.reset_stats()
        assert client.usernames(["U05", "ADMIN"]) == {"u05": "u05", "admin": "admin"}
        assert portal.stats()["by_route"] == {USER_GET: 1}  # the signed-in user is known
        assert client.usernames(["u05"]) == {"u05": "u05"}
        assert portal.stats()["requests"] == 1  # learnt once
        with pytest.raises(UnknownOwnersError) as caught:
            client.usernames(["Ghost", "U06"])
    assert caught.value.owners == ("Ghost",)


def test_the_org_listing_learns_the_spelling_of_owners_without_tasks(portal: Any) -> None:
    create(portal, ["u01"], 1)
    with client_for(portal) as client:
        live = client.list_tasks(["u01", "U02"])  # U02 has no task: looked up while listing
        portal.reset_stats()
        assert client.usernames(["U02"]) == {"u02": "u02"}
        assert portal.stats()["requests"] == 0
    assert live["U02"] == []
