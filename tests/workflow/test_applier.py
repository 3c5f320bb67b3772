"""The applier against an in-memory portal: order, partial failure, interruption."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timezone

from taskform.changes import Outcome
from taskform.model import AbsentTask, Declared, DesiredTask
from taskform.plan.planner import make_plan
from taskform.schedule.translate import to_portal
from taskform.workflow.applier import apply_plan, count_writes
from tests.support.fakes import MemoryPortal, live_task

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
ITEM = "029b61ca770e428d9468a2a55f40b9fb"


def desired(title: str, schedule: str = "0 2 * * *", **kw: object) -> DesiredTask:
    return DesiredTask(
        owner="admin",
        title=title,
        type="ExecuteNotebook",
        item_id=ITEM,
        schedule=schedule,
        cron=to_portal(schedule),
        **kw,  # type: ignore[arg-type]
    )


def scenario() -> tuple[MemoryPortal, list[Declared]]:
    cron = to_portal("0 2 * * *")
    portal = MemoryPortal(
        tasks=[
            live_task(title="Change me", cron=cron),
            live_task(title="Pause me", cron=cron),
            live_task(title="Resume me", cron=cron, active=False, task_state="paused"),
            live_task(title="Remove me", cron=cron),
        ]
    )
    tasks: list[Declared] = [
        desired("Change me", "0 5 * * *"),
        desired("Pause me", active=False),
        desired("Resume me"),
        AbsentTask(owner="admin", title="Remove me"),
        desired("New one"),
        desired("New paused", active=False),
    ]
    return portal, tasks


def converge(portal: MemoryPortal, tasks: Sequence[Declared], **kw: object):
    the_plan = make_plan(tasks, portal.list_tasks(["admin"]), now=NOW)
    return the_plan, apply_plan(the_plan, portal, **kw)  # type: ignore[arg-type]


def test_apply_converges_and_runs_phases_in_order() -> None:
    portal, tasks = scenario()
    _, report = converge(portal, tasks, parallelism=1)
    assert report.ok and report.count(Outcome.APPLIED) == 6
    ops = [op for op, _ in portal.calls]
    phase = {"disable": 0, "delete": 1, "create": 2, "update": 3, "enable": 4}
    # a created-inactive task's disable is chained to its create
    ordered = [
        phase[o] if not (o == "disable" and i and ops[i - 1] == "create") else 2
        for i, o in enumerate(ops)
    ]
    assert ordered == sorted(ordered), ops
    again = make_plan(tasks, portal.list_tasks(["admin"]), now=NOW)
    assert again.empty, again.changes


def test_one_failure_does_not_stop_independent_changes() -> None:
    portal, tasks = scenario()
    portal.fail[("create", "New one")] = "Item not found"
    _, report = converge(portal, tasks, parallelism=3)
    failed = [r for r in report.results if r.outcome is Outcome.FAILED]
    assert [r.change.title for r in failed] == ["New one"]
    assert "Item not found" in failed[0].message
    assert report.count(Outcome.APPLIED) == 5 and not report.ok
    portal.fail.clear()
    _, second = converge(portal, tasks)
    assert second.ok and [r.change.title for r in second.results] == ["New one"]


def test_a_failed_write_skips_the_rest_of_that_task_only() -> None:
    portal, _ = scenario()
    tasks = [desired("Pause me", "0 9 * * *", active=False)]
    portal.fail[("disable", "Pause me")] = "boom"
    _, report = converge(portal, tasks)
    (result,) = report.results
    assert result.outcome is Outcome.FAILED
    assert ("update", "Pause me") not in portal.calls


def test_stop_set_before_start_skips_everything() -> None:
    portal, tasks = scenario()
    stop = threading.Event()
    stop.set()
    _, report = converge(portal, tasks, stop=stop)
    assert report.interrupted and report.count(Outcome.SKIPPED) == 6
    assert portal.calls == []


def test_progress_reports_each_change_once() -> None:
    portal, tasks = scenario()
    seen: list[str] = []
    _, report = converge(portal, tasks, progress=lambda r: seen.append(r.change.title))
    assert sorted(seen) == sorted(r.change.title for r in report.results)


def test_the_bar_advances_per_write_while_the_phase_is_still_running() -> None:
    """The second update waits until the first one's write has been counted: if progress came
    only at the end of the phase (as it once did), it would wait in vain and fail."""
    cron = to_portal("0 2 * * *")
    portal = MemoryPortal(tasks=[live_task(title=f"T{i}", cron=cron) for i in range(2)])
    first_counted = threading.Event()
    waited: list[bool] = []
    original = portal.update_task

    def update(task_id: str, task: DesiredTask, live: object) -> None:
        if task.title == "T1":
            waited.append(first_counted.wait(10))
        original(task_id, task, live)  # type: ignore[arg-type]

    portal.update_task = update  # type: ignore[method-assign]
    steps: list[int] = []

    def advance(n: int) -> None:
        steps.append(n)
        first_counted.set()

    tasks = [desired(f"T{i}", "0 5 * * *") for i in range(2)]
    the_plan, report = converge(portal, tasks, parallelism=2, advance=advance)
    assert report.ok and waited == [True]
    assert steps == [1, 1] and sum(steps) == count_writes(the_plan) == 2


def test_two_thousand_changes_report_every_write_once() -> None:
    portal = MemoryPortal()
    tasks = [desired(f"New {i}", active=i % 2 == 0) for i in range(2000)]
    steps: list[int] = []
    seen: list[str] = []
    the_plan, report = converge(
        portal, tasks, parallelism=16, advance=steps.append, progress=lambda r: seen.append("x")
    )
    assert report.ok and len(portal.calls) == 3000  # 2000 creates + 1000 disables
    assert sum(steps) == count_writes(the_plan) == 3000 and len(steps) == 2000
    assert len(seen) == 2000
