"""Which owners a configuration manages, and the snapshot through an in-memory portal."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from taskform.config.loader import load_config
from taskform.errors import ConfigError, UnknownOwnersError
from taskform.workflow.snapshot import managed_owners, snapshot, unchecked_limits
from tests.support.fakes import MemoryPortal, live_task


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_file_naming_an_owner_with_no_tasks_still_manages_that_owner(tmp_path: Path) -> None:
    write(tmp_path / "bob.yaml", "version: 1\nowner: bob\nprune: true\ntasks: []\n")
    write(tmp_path / "jo.yaml", "version: 1\nowner: jo\nprune: true\ntasks: []\n")
    config = load_config(tmp_path, env={})
    assert config.file_owners == ("bob", "jo")
    assert managed_owners(config, "admin") == ("bob", "jo")
    portal = MemoryPortal(tasks=[live_task("bob", "Old"), live_task("admin", "Mine")])
    snap = snapshot(config, portal)
    assert [(c.action.value, c.owner, c.title) for c in snap.plan.changes] == [
        ("delete", "bob", "Old")
    ]


def test_an_empty_configuration_without_owner_manages_the_signed_in_user(tmp_path: Path) -> None:
    write(tmp_path / "taskform.yaml", "version: 1\nprune: true\ntasks: []\n")
    config = load_config(tmp_path / "taskform.yaml", env={})
    assert managed_owners(config, "admin") == ("admin",)


def test_per_task_owners_never_make_the_signed_in_user_managed(tmp_path: Path) -> None:
    write(
        tmp_path / "taskform.yaml",
        "version: 1\nprune: true\ntasks:\n  - {title: T, owner: sam, absent: true}\n",
    )
    config = load_config(tmp_path / "taskform.yaml", env={})
    assert managed_owners(config.resolve_owner("admin"), "admin") == ("sam",)


ITEM = "029b61ca770e428d9468a2a55f40b9fb"


def test_owners_without_live_tasks_are_looked_up_once_and_take_the_portal_spelling(
    tmp_path: Path,
) -> None:
    write(
        tmp_path / "taskform.yaml",
        "version: 1\ntasks:\n"
        + "".join(
            f"  - {{title: {title}, owner: {owner}, type: ExecuteNotebook, item_id: {ITEM},"
            f" schedule: '0 {hour} * * *'}}\n"
            for title, owner, hour in [("A", "SAM", 2), ("B", "JO", 3), ("C", "ADMIN", 4)]
        ),
    )
    config = load_config(tmp_path / "taskform.yaml", env={})
    asked: list[list[str]] = []

    def usernames(owners: Sequence[str]) -> dict[str, str]:
        asked.append(list(owners))
        return {o.casefold(): o.lower() for o in owners}

    portal = MemoryPortal(tasks=[live_task("jo", "B")])
    snap = snapshot(config, portal, usernames=usernames)
    assert asked == [["SAM"]]  # jo spelled by a live task, admin is the signed-in user
    assert sorted((c.action.value, c.owner, c.title) for c in snap.plan.changes) == [
        ("create", "admin", "C"),
        ("create", "sam", "A"),
        ("update", "jo", "B"),
    ]
    assert {t.owner for t in snap.config.tasks} == {"sam", "jo", "admin"}


def test_an_owner_the_lookup_does_not_find_is_an_error_at_its_line(tmp_path: Path) -> None:
    write(
        tmp_path / "taskform.yaml",
        "version: 1\ntasks:\n  - title: A\n    owner: Ghost\n    type: ExecuteNotebook\n"
        f"    item_id: {ITEM}\n    schedule: '0 2 * * *'\n",
    )
    config = load_config(tmp_path / "taskform.yaml", env={})

    def usernames(owners: Sequence[str]) -> dict[str, str]:
        raise UnknownOwnersError(list(owners), request="GET community/users")

    with pytest.raises(ConfigError) as caught:
        snapshot(config, MemoryPortal(), usernames=usernames)
    assert [(p.line, p.message) for p in caught.value.problems] == [
        (4, "owner 'Ghost' of task 'A' is not a user of the portal")
    ]


def test_an_unknown_owner_and_unknown_items_are_reported_together_in_file_order(
    tmp_path: Path,
) -> None:
    write(
        tmp_path / "taskform.yaml",
        "version: 1\ntasks:\n"
        + "".join(
            f"  - {{title: {title}, owner: {owner}, type: ExecuteNotebook, item_id: {item},"
            f" schedule: '0 2 * * *'}}\n"
            for title, owner, item in [("A", "admin", "f" * 32), ("B", "Ghost", ITEM)]
        ),
    )
    config = load_config(tmp_path / "taskform.yaml", env={})

    def usernames(owners: Sequence[str]) -> dict[str, str]:
        raise UnknownOwnersError(list(owners), request="GET community/users")

    def items(ids: Sequence[str]) -> dict[str, dict[str, str]]:
        return {ITEM: {"id": ITEM, "type": "Notebook", "owner": "Ghost", "title": "N"}}

    with pytest.raises(ConfigError) as caught:
        snapshot(config, MemoryPortal(), usernames=usernames, items=items)
    found = [(p.line, p.message) for p in caught.value.problems]
    assert [line for line, _ in found] == [3, 4]
    assert f"item_id {'f' * 32}: the portal has no such item" in found[0][1]
    assert found[1][1] == "owner 'Ghost' of task 'B' is not a user of the portal"


def test_limits_of_owners_read_from_the_org_list_are_said_to_be_unchecked(
    tmp_path: Path,
) -> None:
    tasks = "".join(
        f"  - {{title: T{i}, owner: {owner}, type: ExecuteNotebook, item_id: {ITEM},"
        f" schedule: '{i} 2 * * *'}}\n"
        for i, owner in enumerate(["jo", "jo", "sam", "ann"])
    )
    write(tmp_path / "taskform.yaml", f"version: 1\ntasks:\n{tasks}")
    config = load_config(tmp_path / "taskform.yaml", env={})
    portal = MemoryPortal()
    portal.available = {"ann": 5}  # ann's own list told her headroom
    portal.org_listed = {"jo", "sam", "ann"}
    warnings = snapshot(config, portal).plan.warnings
    assert [w for w in warnings if "not checked" in w] == [
        "active-task limits not checked per owner for jo (+2 ExecuteNotebook), sam "
        "(+1 ExecuteNotebook): their tasks were read from the org-wide task list, which does "
        "not tell each owner's headroom (activeTasksAvailable); a create or enable past an "
        "owner's limit fails at apply (the rest is applied)"
    ]
    portal.org_listed = set()
    assert not [w for w in snapshot(config, portal).plan.warnings if "not checked" in w]


def test_the_unchecked_limits_notice_names_ten_owners_at_most() -> None:
    needs = {(f"u{i:02}", "ExecuteNotebook"): 1 for i in range(13)}
    [notice] = unchecked_limits(needs, {}, lambda owner: True)
    assert "u09 (+1 ExecuteNotebook) and 3 more:" in notice
    assert "u10" not in notice
    assert unchecked_limits(needs, {}, lambda owner: False) == []
