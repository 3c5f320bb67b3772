"""Paging across hundreds of tasks, num clamping, and the admins' org-wide listing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.emulator.conftest import ITEM2, USERS, Api, error_of
from tests.support.emulator import EmulatorProcess

ADMIN_TASKS = 253
ALICE_TASKS = 12


@pytest.fixture(scope="module")
def crowded() -> Iterator[tuple[EmulatorProcess, Api, Api, list[str]]]:
    args = (*USERS, "--admin", "admin", "--active-task-limit", "0")
    with EmulatorProcess().start(*args) as emu:
        admin = Api(emu, emu.token("admin", "admin"))
        alice = Api(emu, emu.token("alice", "alicepw"))
        ids = [
            admin.create(title=f"task {i:03d}", **({"itemId": ITEM2} if i % 10 == 0 else {}))
            for i in range(ADMIN_TASKS)
        ]
        for i in range(ALICE_TASKS):
            alice.create("alice", title=f"alice {i}", type="UpdateInsightsWorkbook")
        yield emu, admin, alice, ids


def walk(api: Api, path: str, num: int, **params: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    start = 1
    while start != -1:
        page = api.get(path, num=num, start=start, **params)
        assert page["start"] == start and page["num"] == num
        seen.extend(page["tasks"])
        assert len(page["tasks"]) <= num
        start = page["nextStart"]
    return seen


@pytest.mark.parametrize("num", [1, 7, 100])
def test_walk_all_pages(crowded: Any, num: int) -> None:
    _, admin, _, ids = crowded
    tasks = walk(admin, "community/users/admin/tasks", num)
    assert [t["id"] for t in tasks] == ids  # every task once, in creation order


def test_envelope(crowded: Any) -> None:
    _, admin, _, _ = crowded
    first = admin.listing()
    assert list(first) == ["total", "start", "num", "nextStart", "activeTasksAvailable", "tasks"]
    assert (first["total"], first["start"], first["num"], first["nextStart"]) == (
        ADMIN_TASKS,
        1,
        10,
        11,
    )
    assert len(first["tasks"]) == 10
    last = admin.listing(num=100, start=201)
    assert last["nextStart"] == -1 and len(last["tasks"]) == ADMIN_TASKS - 200
    exact = admin.listing(num=3, start=ADMIN_TASKS - 2)
    assert exact["nextStart"] == -1 and len(exact["tasks"]) == 3
    beyond = admin.listing(start=ADMIN_TASKS + 5)
    assert beyond["tasks"] == [] and beyond["nextStart"] == -1 and beyond["total"] == ADMIN_TASKS


def test_num_is_clamped(crowded: Any) -> None:
    _, admin, _, _ = crowded
    big = admin.listing(num=1000)
    assert big["num"] == 100 and len(big["tasks"]) == 100 and big["nextStart"] == 101
    small = admin.listing(num=0)
    assert small["num"] == 1 and len(small["tasks"]) == 1
    assert admin.listing(start=0)["start"] == 1
    assert error_of(admin.listing(num="many"))[0] == 400
    assert error_of(admin.listing(start="x"))[0] == 400


def test_paging_with_a_filter(crowded: Any) -> None:
    _, admin, _, ids = crowded
    tasks = walk(admin, "community/users/admin/tasks", 4, itemId=ITEM2)
    assert [t["id"] for t in tasks] == ids[::10]


def test_all_scheduled_tasks_for_admins(crowded: Any) -> None:
    _, admin, alice, _ = crowded
    everything = walk(admin, "portals/self/allScheduledTasks", 100)
    assert len(everything) == ADMIN_TASKS + ALICE_TASKS
    assert {t["userId"] for t in everything} == {"admin", "alice"}
    alices = walk(admin, "portals/self/allScheduledTasks", 5, userFilter="alice")
    assert [t["title"] for t in alices] == [f"alice {i}" for i in range(ALICE_TASKS)]
    typed = admin.get("portals/self/allScheduledTasks", types="UpdateInsightsWorkbook")
    assert typed["total"] == ALICE_TASKS
    nobody = admin.get("portals/self/allScheduledTasks", userFilter="nobody")
    assert nobody["total"] == 0 and nobody["nextStart"] == -1
    portal_id = admin.get("portals/self")["id"]
    by_id = admin.get(f"portals/{portal_id}/allScheduledTasks", num=1)
    assert by_id["total"] == ADMIN_TASKS + ALICE_TASKS
    assert error_of(alice.get("portals/self/allScheduledTasks"))[0] == 403


def test_unlimited_headroom_is_reported_as_a_large_number(crowded: Any) -> None:
    _, admin, _, _ = crowded
    assert admin.listing()["activeTasksAvailable"] >= 999_999
