"""Drift classification, in process: every kind, what apply would do, and the exit code."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import pytest

from taskform.model import AbsentTask, Declared, DesiredTask, LifecycleState, LiveTask
from taskform.plan.drift import KINDS, DriftItem, DriftKind, classify, exit_code, fails
from taskform.plan.planner import make_plan
from taskform.schedule.translate import to_portal
from tests.support.fakes import live_task

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
ITEM = "029b61ca770e428d9468a2a55f40b9fb"


def desired(title: str, schedule: str = "0 2 * * 1-5", **fields: Any) -> DesiredTask:
    fields.setdefault("owner", "admin")
    fields.setdefault("type", "ExecuteNotebook")
    fields.setdefault("item_id", ITEM)
    return DesiredTask(title=title, schedule=schedule, cron=to_portal(schedule), **fields)


def live(title: str, schedule: str = "0 2 * * 1-5", **fields: Any) -> LiveTask:
    return live_task(title=title, cron=to_portal(schedule), **fields)


def drift(
    tasks: Sequence[Declared],
    found: Sequence[LiveTask],
    states: dict[str, LifecycleState] | None = None,
    **kw: Any,
) -> list[DriftItem]:
    by_owner = {"admin": list(found)}
    plan = make_plan(tasks, by_owner, now=NOW, states=states, **kw)
    return classify(plan, tasks, by_owner, states or {}, now=NOW)


def kinds(items: Sequence[DriftItem]) -> dict[str, tuple[DriftKind, str]]:
    return {i.title: (i.kind, i.apply) for i in items}


def test_no_drift_when_the_portal_matches() -> None:
    items = drift([desired("A")], [live("A")])
    assert items == [] and exit_code(items) == 0


def test_config_changed_missing_unmanaged_and_present_but_absent() -> None:
    tasks: list[Declared] = [
        desired("Changed", "30 4 * * 0"),
        desired("Missing"),
        AbsentTask(owner="admin", title="Gone"),
    ]
    found = [live("Changed"), live("Gone"), live("Extra")]
    items = drift(tasks, found)
    assert kinds(items) == {
        "Changed": (DriftKind.CONFIG_CHANGED, "update"),
        "Missing": (DriftKind.MISSING, "create"),
        "Gone": (DriftKind.PRESENT_BUT_ABSENT, "delete"),
        "Extra": (DriftKind.UNMANAGED, "none"),
    }
    changed = next(i for i in items if i.title == "Changed")
    assert set(changed.fields) == {"schedule"}
    assert next(i for i in items if i.title == "Gone").detail == "declared absent"
    assert [i.title for i in items] == sorted(i.title for i in items)


def test_pruned_extras_are_unmanaged_and_apply_deletes_them() -> None:
    items = drift([desired("A")], [live("A"), live("Extra")], prune=True)
    (extra,) = items
    assert (extra.kind, extra.apply) == (DriftKind.UNMANAGED, "delete")
    assert extra.detail == "not in the configuration; prune is on"


def test_a_paused_task_is_enabled_by_default() -> None:
    items = drift([desired("A")], [live("A", active=False, task_state="paused")])
    (item,) = items
    assert (item.kind, item.apply) == (DriftKind.PAUSED, "enable")
    assert item.detail == "paused in the portal; lifecycle.paused = enable"
    assert (item.fields["active"].before, item.fields["active"].after) == (False, True)


@pytest.mark.parametrize(
    ("state", "kind", "key"),
    [
        ("completed", DriftKind.COMPLETED, "completed"),
        ("disabled", DriftKind.DISABLED_BY_FAILURES, "disabled"),
    ],
)
def test_portal_lifecycle_states_are_kept_and_reported(
    state: str, kind: DriftKind, key: str
) -> None:
    items = drift([desired("A")], [live("A", active=False, task_state=state)])
    (item,) = items
    assert (item.kind, item.apply) == (kind, "none")
    assert item.detail == f"left as it is (lifecycle.{key} = keep)"
    assert not fails(item) and exit_code(items) == 0
    assert exit_code(items, {kind.value}) == 2


def test_states_from_runs_win_over_what_the_task_says() -> None:
    """The state the plan was made with (from the runs) is the one drift reports."""
    found = live("A", active=False, task_state="paused")
    items = drift([desired("A")], [found], {found.id: LifecycleState.DISABLED_BY_FAILURES})
    (item,) = items
    assert (item.kind, item.apply) == (DriftKind.DISABLED_BY_FAILURES, "none")


def test_a_disable_is_config_drift_and_an_enable_policy_is_lifecycle_drift() -> None:
    tasks: list[Declared] = [
        desired("Off", active=False),
        desired("Done", lifecycle={"completed": "enable", "paused": "enable", "disabled": "keep"}),
    ]
    found = [live("Off"), live("Done", active=False, task_state="completed")]
    assert kinds(drift(tasks, found)) == {
        "Off": (DriftKind.CONFIG_CHANGED, "update"),
        "Done": (DriftKind.COMPLETED, "enable"),
    }


def test_a_changed_and_paused_task_is_two_items() -> None:
    found = live("A", "30 4 * * 0", active=False, task_state="paused")
    items = drift([desired("A")], [found])
    assert [(i.kind, i.apply) for i in items] == [
        (DriftKind.CONFIG_CHANGED, "update"),
        (DriftKind.PAUSED, "enable"),
    ]
    assert "active" not in items[0].fields


def test_exit_code_by_default_and_with_fail_on() -> None:
    items = drift([desired("A")], [live("A"), live("Extra")])
    assert [i.kind for i in items] == [DriftKind.UNMANAGED]
    assert exit_code(items) == 0  # apply would leave it alone
    assert exit_code(items, {"unmanaged"}) == 2
    assert exit_code(items, set()) == 0
    assert exit_code(drift([desired("A")], [])) == 2


def test_every_kind_has_a_meaning_and_lifecycle_states_share_the_vocabulary() -> None:
    assert set(KINDS) == set(DriftKind)
    assert all(kind.meaning for kind in DriftKind)
    for state in LifecycleState:
        assert DriftKind.of(state).value == state.value
