"""Apply safely while others change the same portal: re-check before writing, heal after.

Two people (or a person and a pipeline) may apply the same configuration at the same moment,
and people edit tasks in the portal between the plan shown and the writes. taskform has no
lock on the portal (see the README, "Many people, one portal"); instead apply

1. **re-checks right before its writes** (:func:`recheck`): the live tasks are read again
   and every change is compared with a plan made just now. A task that changed since the plan
   was shown is skipped and reported, never overwritten with stale values; a change another
   run already made is reported as converged and not sent again;
2. **heals after its writes** (:func:`heal`): the live tasks are read again; where this run
   created a task and the portal now holds several copies of that (owner, title), the oldest
   copy is kept and every newer one deleted. Every run applies the same rule to what it sees,
   and a later reader sees a superset of what an earlier one saw, so the copy that survives is
   the same for all runs: exactly one live task per declared title, nobody cleaning up by
   hand. Then whatever the kept copy still lacks is applied once more, and a last read tells
   whether the portal matches: if not, someone else (an apply of another configuration, a
   person) is changing the same tasks, and the report says so.

Both steps work through the :class:`~taskform.model.Portal` protocol and a ``replan``
callable that re-reads live and plans again (the CLI passes the snapshot step).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import defaultdict
from collections.abc import Callable, Mapping

from taskform.changes import (
    Action,
    ApplyReport,
    Change,
    Delete,
    Outcome,
    Plan,
    Reason,
    TaskResult,
)
from taskform.errors import TaskformError
from taskform.model import LiveTask, Portal
from taskform.plan.planner import fingerprint
from taskform.workflow.applier import Progress, apply_plan
from taskform.workflow.snapshot import Snapshot

Replan = Callable[[], Snapshot]

#: Rounds of "fix what is still missing" after the copies are deduplicated.
HEAL_ROUNDS = 2

CHANGED = (
    "changed in the portal since the plan was shown (by a person or another run); "
    "not overwritten. Run plan again to see it"
)


def recheck(plan: Plan, fresh: Plan) -> tuple[Plan, list[TaskResult]]:
    """The changes of ``plan`` still safe to write, given ``fresh`` (planned just now from
    the same configuration), and a result for each one left out."""
    by_key: dict[tuple[str, str], list[Change]] = defaultdict(list)
    for change in fresh.changes:
        by_key[change.key].append(change)
    blocked = {b.key for b in fresh.blocked}
    keep: list[Change] = []
    results: list[TaskResult] = []
    for change in plan.changes:
        now = by_key.get(change.key, [])
        same = [
            c
            for c in now
            if c.action is change.action
            and c.task_id == change.task_id
            and (change.action is Action.CREATE or c.fingerprint == change.fingerprint)
        ]
        if same and _fields(same[0]) == _fields(change):
            keep.append(change)
        elif change.key in blocked:
            results.append(TaskResult(change, Outcome.SKIPPED, "blocked now: " + CHANGED))
        elif not any(c.task_id == change.task_id or change.task_id is None for c in now):
            message = "already done: the portal matches the configuration (another run?)"
            if change.action is Action.CREATE:
                message = "already created by another run since the plan was shown"
            results.append(TaskResult(change, Outcome.CONVERGED, message, change.task_id))
        else:
            results.append(TaskResult(change, Outcome.SKIPPED, CHANGED))
    return dataclasses.replace(plan, changes=tuple(keep)), results


def _fields(change: Change) -> dict[str, tuple[object, object]]:
    return {name: (f.before, f.after) for name, f in change.fields.items()}


def heal(
    report: ApplyReport,
    portal: Portal,
    replan: Replan,
    *,
    parallelism: int = 4,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> tuple[ApplyReport, list[str], bool]:
    """After the writes of ``report``: remove the copies of tasks this run created that
    another run created at the same time (oldest kept), apply what the kept copies still
    lack, and check the portal matches. Returns the report with the healing writes added and
    results settled by another run marked converged, messages about what other runs did, and
    whether the touched tasks match the configuration now.
    """
    if report.interrupted:
        return report, [], False
    created = {
        r.change.key: r.task_id
        for r in report.results
        if r.change.action in (Action.CREATE, Action.REPLACE) and r.task_id
    }
    applied = {r.change.key for r in report.results if r.outcome is Outcome.APPLIED}
    results = list(report.results)
    notes: list[str] = []
    copied: set[tuple[str, str]] = set()
    try:
        snap = replan()
        for _ in range(HEAL_ROUNDS):
            extra = _copies(snap, created)
            for change in extra:
                copied.add(change.key)
                notes.append(
                    f"{change.owner}/{change.title}: another run created this task at the "
                    f"same time; kept the oldest copy and deleted {change.task_id}"
                )
            # What a kept copy still lacks (it may be the other run's, not yet finished).
            extra += [
                c
                for c in snap.plan.changes
                if c.key in copied and c.key not in {e.key for e in extra}
            ]
            if not extra:
                break
            healed = apply_plan(
                Plan(changes=tuple(extra)),
                portal,
                parallelism=parallelism,
                progress=progress,
                stop=stop,
            )
            results += healed.results
            if healed.interrupted:
                return ApplyReport(tuple(results), interrupted=True), notes, False
            snap = replan()
    except TaskformError as exc:
        notes.append(
            "could not read the portal again after applying, to check for copies another run "
            f"made at the same time ({exc}); run 'taskform plan' to check"
        )
        return ApplyReport(tuple(results)), notes, False
    differ = {c.key for c in snap.plan.changes}
    moved = sorted(
        {c.key: c for c in snap.plan.changes if c.key in applied}.values(), key=lambda c: c.key
    )
    for change in moved:
        notes.append(
            f"{change.owner}/{change.title}: differs from the configuration again right after "
            f"this apply changed it ({change.action.value} needed): another apply (of another "
            "configuration?) or a person is changing the same task. Run 'taskform plan' to "
            "see it"
        )
    settled = [
        TaskResult(
            r.change,
            Outcome.CONVERGED,
            (f"{r.message}; " if r.message else "")
            + "the portal matches the configuration now (another run made the change)",
            r.task_id,
        )
        if r.outcome in (Outcome.FAILED, Outcome.SKIPPED) and r.change.key not in differ
        else r
        for r in results
    ]
    return ApplyReport(tuple(settled)), notes, not moved


def _copies(snap: Snapshot, created: Mapping[tuple[str, str], str]) -> list[Change]:
    """Deletes of every copy but the oldest, for each title this run created that now has
    several live copies (the same rule in every run, so all runs keep the same copy)."""
    by_key: dict[tuple[str, str], list[LiveTask]] = defaultdict(list)
    for tasks in snap.live.values():
        for task in tasks:
            if task.key in created:
                by_key[task.key].append(task)
    deletes: list[Change] = []
    for _, copies in sorted(by_key.items()):
        if len(copies) < 2:
            continue
        ordered = sorted(copies, key=lambda t: (t.created or 0, t.id))
        keep = ordered[0]
        for newer in ordered[1:]:
            deletes.append(
                Delete(
                    owner=newer.owner,
                    title=newer.title,
                    task_id=newer.id,
                    fields={},
                    live=newer,
                    fingerprint=fingerprint(newer),
                    reason=Reason.CONCURRENT_COPY,
                    detail=keep.id,
                )
            )
    return deletes
