"""Active-task limits per task type, per user and per organisation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.emulator.conftest import Api, error_of
from tests.support.emulator import EmulatorProcess

USERS = ("--user", "admin:admin", "--user", "alice:pw", "--user", "bob:pw", "--admin", "admin")
INSIGHTS = "UpdateInsightsWorkbook"


@pytest.fixture(scope="module")
def limited() -> Iterator[EmulatorProcess]:
    limits = ("--limit", "ExecuteNotebooksUserLimit=2", "--limit", "ExecuteNotebooksOrgLimit=3")
    with EmulatorProcess().start(*USERS, *limits, "--limit", "UpdateInsightsUserLimit=0") as emu:
        yield emu


def test_per_type_per_user_and_per_org(limited: EmulatorProcess) -> None:
    limited.reset()
    admin, alice, bob = (
        Api(limited, limited.token(n, p))
        for n, p in (("admin", "admin"), ("alice", "pw"), ("bob", "pw"))
    )
    assert alice.listing("alice")["activeTasksAvailable"] == 2  # notebooks, by default
    alice.create("alice", title="1")
    alice.create("alice", title="2")
    code, message = error_of(
        alice.post(
            "community/users/alice/tasks/createTask",
            **{
                "type": "ExecuteNotebook",
                "itemId": "a" * 32,
                "minute": "0",
                "hour": "2",
                "dayOfMonth": "*",
                "month": "*",
                "dayOfWeek": "?",
            },
        )
    )
    assert code == 400 and "ExecuteNotebooksUserLimit" in message
    # another type has its own limits
    for i in range(3):
        alice.create("alice", title=f"w{i}", type=INSIGHTS)
    # no per-user limit for workbooks here, so the organisation's 200 is what is left
    assert alice.listing("alice", types=INSIGHTS)["activeTasksAvailable"] == 197
    assert alice.listing("alice")["activeTasksAvailable"] == 0
    # the organisation: 3 notebooks in all
    assert bob.listing("bob")["activeTasksAvailable"] == 1
    bob.create("bob", title="b1")
    assert bob.listing("bob")["activeTasksAvailable"] == 0
    body = admin.post(
        "community/users/admin/tasks/createTask",
        **{
            "type": "ExecuteNotebook",
            "itemId": "a" * 32,
            "minute": "0",
            "hour": "2",
            "dayOfMonth": "*",
            "month": "*",
            "dayOfWeek": "?",
        },
    )
    code, message = error_of(body)
    assert code == 400 and "ExecuteNotebooksOrgLimit" in message
    # the admin API's limits resource
    limits = requests.get(
        f"{limited.url}/portaladmin/system/limits",
        params={"f": "json", "category": "ScheduleTask"},
        headers=limited.auth(admin.token),
        timeout=10,
    ).json()
    by_name = {x["limitName"]: x["numLimit"] for x in limits["ScheduleTask"]}
    assert by_name["ExecuteNotebooksUserLimit"] == 2 and by_name["ExecuteNotebooksOrgLimit"] == 3
    assert by_name["UpdateInsightsUserLimit"] == -1 and by_name["GPServiceOrgLimit"] == 200
    denied = requests.get(
        f"{limited.url}/portaladmin/system/limits",
        params={"f": "json"},
        headers=limited.auth(alice.token),
        timeout=10,
    ).json()
    assert denied["error"]["code"] == 403


def test_defaults_are_the_enterprise_ones(emu: EmulatorProcess, admin: Api) -> None:
    limits = requests.get(
        f"{emu.url}/portaladmin/system/limits",
        params={"f": "json"},
        headers=emu.auth(admin.token),
        timeout=10,
    ).json()
    by_name = {x["limitName"]: x["numLimit"] for x in limits["ScheduleTask"]}
    assert by_name["ExecuteNotebooksUserLimit"] == 20 and by_name["ExecuteNotebooksOrgLimit"] == 200
    assert by_name["FailedRunsToDisableTask"] == 5 and by_name["TaskRunHistoryCount"] == 30


def test_a_bad_limit_is_refused() -> None:
    result = EmulatorProcess().run_to_exit("--limit", "NoSuchLimit=3")
    assert result.returncode != 0 and "NoSuchLimit" in result.stderr
