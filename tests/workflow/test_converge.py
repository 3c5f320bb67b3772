"""Re-check before the writes and heal after them (workflow/converge.py), over a MemoryPortal."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from taskform.changes import Action, ApplyReport, Outcome, TaskResult
from taskform.config.loader import Config, load_config
from taskform.workflow.applier import apply_plan
from taskform.workflow.converge import heal, recheck
from taskform.workflow.snapshot import Snapshot, snapshot
from tests.support.fakes import MemoryPortal, live_task

ITEM = "029b61ca770e428d9468a2a55f40b9fb"


def config(tmp_path: Path, *titles: str) -> Config:
    lines = "\n".join(
        f'  - {{title: "{t}", type: ExecuteNotebook, item_id: {ITEM}, schedule: "0 2 * * *"}}'
        for t in titles
    )
    path = tmp_path / "taskform.yaml"
    path.write_text(f"version: 1\ntasks:\n{lines}\n")
    return load_config(path)


def replanner(conf: Config, portal: MemoryPortal) -> Snapshot:
    return snapshot(conf, portal)


def test_heal_keeps_the_oldest_copy_of_a_task_two_runs_created(tmp_path: Path) -> None:
    conf = config(tmp_path, "T", "U")
    portal = MemoryPortal()
    plan = snapshot(conf, portal).plan
    report = apply_plan(plan, portal)
    ours = {r.change.title: str(r.task_id) for r in report.results}
    # The other run's copy of T, made at the same moment but committed first (older).
    theirs = live_task("admin", "T", cron=next(iter(portal.tasks.values())).cron, created=-1)
    portal.tasks[theirs.id] = dataclasses.replace(portal.tasks[ours["T"]], id=theirs.id, created=-1)
    healed, notes, settled = heal(report, portal, lambda: replanner(conf, portal))
    assert settled
    assert sorted(t.title for t in portal.tasks.values()) == ["T", "U"]
    assert theirs.id in portal.tasks and ours["T"] not in portal.tasks
    assert notes == [
        f"admin/T: another run created this task at the same time; kept the oldest copy and "
        f"deleted {ours['T']}"
    ]
    assert healed.ok and healed.results[-1].change.action is Action.DELETE
    assert snapshot(conf, portal).plan.empty


def test_heal_says_when_someone_changes_a_task_right_after_this_apply(tmp_path: Path) -> None:
    conf = config(tmp_path, "T")
    portal = MemoryPortal()
    report = apply_plan(snapshot(conf, portal).plan, portal)
    (task_id,) = portal.tasks
    moved = dataclasses.replace(portal.tasks[task_id], cron=live_task().cron)  # 0 2 ? * 2-6
    portal.tasks[task_id] = moved
    healed, notes, settled = heal(report, portal, lambda: replanner(conf, portal))
    assert not settled
    assert "admin/T: differs from the configuration again right after this apply" in notes[0]
    assert healed.ok  # our own writes succeeded; the exit code comes from ``settled``


def test_a_failure_another_run_settled_is_reported_as_converged(tmp_path: Path) -> None:
    conf = config(tmp_path, "T")
    portal = MemoryPortal()
    plan = snapshot(conf, portal).plan
    failed = ApplyReport((TaskResult(plan.changes[0], Outcome.FAILED, "create: HTTP 503"),))
    apply_plan(plan, portal)  # "the other run" created it meanwhile
    healed, notes, settled = heal(failed, portal, lambda: replanner(conf, portal))
    assert settled and healed.ok and notes == []
    assert healed.results[0].outcome is Outcome.CONVERGED
    assert "another run made the change" in healed.results[0].message


def test_recheck_skips_changed_tasks_and_drops_what_is_already_done(tmp_path: Path) -> None:
    conf = config(tmp_path, "T", "U", "V")
    portal = MemoryPortal(
        tasks=[
            live_task("admin", "T", cron=live_task().cron),
            live_task("admin", "U", cron=live_task().cron),
        ]
    )
    plan = snapshot(conf, portal).plan
    assert [c.action for c in plan.changes] == [Action.UPDATE, Action.UPDATE, Action.CREATE]
    t_id, u_id = (str(c.task_id) for c in plan.changes[:2])
    # A person edits T (an unmanaged field), another run fixes U and creates V.
    portal.tasks[t_id] = dataclasses.replace(
        portal.tasks[t_id], max_occurrences=42, raw={**portal.tasks[t_id].raw, "x": 1}
    )
    apply_plan(dataclasses.replace(plan, changes=plan.changes[1:]), portal)
    kept, results = recheck(plan, snapshot(conf, portal).plan)
    assert kept.changes == ()
    by_title = {r.change.title: r for r in results}
    assert by_title["T"].outcome is Outcome.SKIPPED
    assert "changed in the portal since the plan was shown" in by_title["T"].message
    assert by_title["U"].outcome is Outcome.CONVERGED
    assert by_title["V"].outcome is Outcome.CONVERGED
    assert portal.tasks[t_id].max_occurrences == 42
    assert u_id in portal.tasks
