"""Items: registration, the item API, the checks createTask/update make, ownership transfer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.emulator.conftest import ITEM, ITEM2, STANDARD_ARGS, Api, error_of, task_form
from tests.support.emulator import EmulatorProcess

WORKBOOK = "1f2e3d4c5b6a47988776655443322110"
UNKNOWN = "c4d2e8f1a9b34c7d8e6f5a4b3c2d1e0f"


def register(emu: EmulatorProcess, items: Any) -> requests.Response:
    return requests.post(f"{emu.url}/__emulator/items", json=items, timeout=10)


@pytest.fixture(scope="module")
def strict() -> Iterator[EmulatorProcess]:
    with EmulatorProcess().start(*STANDARD_ARGS, "--strict-items") as emu:
        yield emu


@pytest.fixture
def api(strict: EmulatorProcess) -> Api:
    strict.reset()
    items = [
        {"id": ITEM, "owner": "alice", "type": "Notebook", "title": "Parcels"},
        {"id": ITEM2, "owner": "bob", "type": "Notebook", "title": "Bob's", "access": "org"},
        {"id": WORKBOOK, "owner": "alice", "type": "Insights Workbook", "title": "Sales"},
    ]
    assert register(strict, items).status_code == 200
    return Api(strict, strict.token("admin", "admin"))


def test_registration_checks_its_input(strict: EmulatorProcess) -> None:
    assert register(strict, {"id": "nope", "owner": "a", "type": "Notebook"}).status_code == 400
    assert register(strict, {"id": ITEM, "owner": "a"}).status_code == 400
    assert (
        register(strict, [{"id": ITEM, "owner": "a", "type": "Notebook", "x": 1}]).status_code
        == 400
    )
    listed = requests.get(f"{strict.url}/__emulator/items", timeout=10).json()
    assert listed["strict"] is True


def test_item_api_and_batched_search(api: Api, strict: EmulatorProcess) -> None:
    item = api.get(f"content/items/{ITEM}")
    assert (item["id"], item["owner"], item["type"], item["title"]) == (
        ITEM,
        "alice",
        "Notebook",
        "Parcels",
    )
    assert error_of(api.get(f"content/items/{UNKNOWN}"))[0] == 400
    found = api.get("search", q=f"id:({ITEM} OR {WORKBOOK} OR {UNKNOWN})", num=100)
    assert found["total"] == 2 and {r["id"] for r in found["results"]} == {ITEM, WORKBOOK}
    bob = Api(strict, strict.token("bob", "bobpw"))  # sees his own and org items only
    seen = bob.get("search", q=f"id:{ITEM} OR id:{ITEM2}")["results"]
    assert [r["id"] for r in seen] == [ITEM2]
    assert error_of(bob.get(f"content/items/{ITEM}"))[0] == 400


def test_create_checks_type_usability_and_unknown_ids(api: Api) -> None:
    path = "community/users/alice/tasks/createTask"
    assert api.post(path, **task_form(itemId=ITEM))["success"] is True
    code, message = error_of(api.post(path, **task_form(itemId=WORKBOOK)))
    assert code == 400 and "Invalid item type 'Insights Workbook'" in message
    assert api.post(path, **task_form(itemId=ITEM2))["success"] is True  # shared with the org
    code, _ = error_of(api.post("community/users/bob/tasks/createTask", **task_form(itemId=ITEM)))
    assert code == 403  # alice's private notebook
    code, message = error_of(api.post(path, **task_form(itemId=UNKNOWN)))
    assert code == 400 and message == "Item does not exist or is inaccessible."


def test_update_checks_the_item_too(api: Api) -> None:
    task_id = api.create("alice", itemId=ITEM)
    body = api.post(f"community/users/alice/tasks/{task_id}/update", **task_form(itemId=WORKBOOK))
    assert error_of(body)[0] == 400
    assert api.task(task_id, "alice")["itemId"] == ITEM


def test_reassigning_an_item_moves_its_tasks_switched_off(api: Api) -> None:
    task_id = api.create("alice", itemId=ITEM)
    other = api.create("alice", itemId=WORKBOOK, type="UpdateInsightsWorkbook", title="Other")
    body = api.post(f"content/users/alice/items/{ITEM}/reassign", targetUsername="bob")
    assert body["success"] is True
    moved = api.task(task_id, "bob")
    assert moved["userId"] == "bob" and moved["active"] is False
    assert error_of(api.get(f"community/users/alice/tasks/{task_id}"))[0] == 404
    assert api.task(other, "alice")["active"] is True
    assert api.get(f"content/items/{ITEM}")["owner"] == "bob"
    alice = Api(api.emu, api.emu.token("alice", "alicepw"))
    code, _ = error_of(
        alice.post(f"content/users/bob/items/{ITEM}/reassign", targetUsername="alice")
    )
    assert code == 403


def test_a_moved_task_is_listed_in_created_order_in_its_new_owners_list(api: Api) -> None:
    moved = api.create("alice", itemId=ITEM, title="Older")
    bobs = api.create("bob", itemId=ITEM2, title="Newer")
    assert api.post(f"content/users/alice/items/{ITEM}/reassign", targetUsername="bob")["success"]
    ids = [moved, bobs]  # created in this order; the moved one joined bob's list last
    for params in ({"sortField": "created"}, {"sortField": "created", "sortOrder": "asc"}):
        assert [t["id"] for t in api.listing("bob", **params)["tasks"]] == ids
    listed = api.listing("bob", sortField="created", sortOrder="desc")["tasks"]
    assert [t["id"] for t in listed] == ids[::-1]
    org = api.get("portals/self/allScheduledTasks", sortField="created")["tasks"]
    assert [t["id"] for t in org] == ids  # the org-wide list kept its order throughout


def test_without_strict_items_unknown_ids_work_as_before(emu: EmulatorProcess, admin: Api) -> None:
    assert admin.create(itemId=UNKNOWN)
    item = admin.get(f"content/items/{UNKNOWN}")
    assert item["id"] == UNKNOWN and "type" not in item and item["access"] == "public"
    assert admin.get("search", q=f"id:({UNKNOWN})")["total"] == 1


def test_the_emulator_and_taskform_agree_on_item_types() -> None:
    # Two tables on purpose (the emulator plays the portal); they must say the same.
    from taskform import tasktypes
    from taskform.emulator.items import ITEM_TYPES

    for name, rules in tasktypes.REGISTRY.items():
        assert ITEM_TYPES.get(name, ()) == rules.item_types, name
