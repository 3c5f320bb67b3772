"""The planner: a pure function of (desired, live) that says what apply must do.

No I/O here. Both sides are normalised (``normalize``), compared cheaply as plain values, and
only tasks that differ go through deepdiff, whose report is turned into :class:`FieldChange`
values at once so nothing else depends on its shape.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from deepdiff import DeepDiff

from taskform import secrets
from taskform.errors import PlanError, UnsafePlanError
from taskform.model import (
    Action,
    Change,
    CronFields,
    DesiredTask,
    FieldChange,
    LifecycleState,
    LiveTask,
    Plan,
    Reason,
)
from taskform.plan import lifecycle, normalize, schedules
from taskform.schedule import translate as schedule

#: Live fields that change by themselves as a task runs; they never make a plan stale.
VOLATILE_FIELDS = frozenset({"nextStart", "lastStart", "runIntervalSeconds"})

#: Prune safety rail (docs/design.md §5): refuse to delete more than this share of an owner's live
#: tasks, once the owner has at least MIN_EXISTING of them, unless forced.
MAX_DELETE_SHARE = 0.3
MIN_EXISTING = 10

NEXT_RUNS = 3


def fingerprint(task: LiveTask) -> str:
    """A short digest of the task as it is live, ignoring fields that move on their own."""
    stable = {k: v for k, v in task.raw.items() if k not in VOLATILE_FIELDS}
    if not stable:
        stable = {"id": task.id, "updated": task.updated}
    data = json.dumps(stable, sort_keys=True, default=str).encode()
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16]


def make_plan(
    desired: Sequence[DesiredTask],
    live: Mapping[str, Sequence[LiveTask]],
    *,
    prune: bool = False,
    managed_owners: Iterable[str] = (),
    now: datetime | None = None,
    states: Mapping[str, LifecycleState] | None = None,
) -> Plan:
    """Compare the declared tasks with the live tasks of every managed owner.

    ``live`` maps each managed owner to all of their live tasks. ``managed_owners`` adds owners
    whose undeclared tasks ``prune`` may delete even if no task of theirs is declared.
    ``states`` gives, by live task id, the :class:`~taskform.model.LifecycleState` of inactive
    tasks whose runs were read; others are classified from what the task itself says.
    """
    now = now or datetime.now(timezone.utc)
    owners = set(managed_owners) | {t.owner for t in desired}
    by_key: dict[tuple[str, str], list[LiveTask]] = defaultdict(list)
    for owner in owners:
        for found in live.get(owner, ()):
            by_key[found.key].append(found)

    _check_duplicates(desired, by_key)

    changes: list[Change] = []
    warnings: list[str] = []
    unchanged = 0
    declared: set[tuple[str, str]] = set()
    for task in desired:
        declared.add(task.key)
        matches = by_key.get(task.key, [])
        if task.absent:
            changes.extend(_delete(m, Reason.DECLARED_ABSENT) for m in matches)
            continue
        if not matches:
            changes.append(_create(task, now))
            continue
        state = None
        if task.active and not matches[0].active:
            given = (states or {}).get(matches[0].id)
            state = given or lifecycle.classify(matches[0], (), now)
        change, warning = _update(task, matches[0], now, state)
        if warning:
            warnings.append(warning)
        if change is None:
            unchanged += 1
        else:
            changes.append(change)

    unmanaged: list[LiveTask] = []
    for key in sorted(k for k in by_key if k not in declared):
        for extra in by_key[key]:
            if prune:
                changes.append(_delete(extra, Reason.PRUNED))
            else:
                unmanaged.append(extra)

    changes.sort(key=lambda c: (c.owner, c.title, c.task_id or ""))
    counts = {owner: len(live.get(owner, ())) for owner in sorted(owners)}
    return Plan(
        changes=tuple(schedules.annotate(changes, now)),
        unchanged=unchanged,
        unmanaged=tuple(unmanaged),
        warnings=tuple(warnings),
        live_counts=counts,
    )


def check_safety(plan: Plan) -> None:
    """Refuse plans that delete too much of an owner's tasks (docs/design.md §5)."""
    deletes: dict[str, int] = defaultdict(int)
    for change in plan.changes:
        if change.action is Action.DELETE:
            deletes[change.owner] += 1
    problems = []
    for owner, count in sorted(deletes.items()):
        existing = plan.live_counts.get(owner, 0)
        if existing >= MIN_EXISTING and count > MAX_DELETE_SHARE * existing:
            share = round(100 * count / existing)
            problems.append(
                f"the plan deletes {count} of {owner}'s {existing} live tasks ({share}%), "
                f"more than the {round(MAX_DELETE_SHARE * 100)}% safety limit"
            )
    if problems:
        raise UnsafePlanError(
            "Refusing to apply: " + "; ".join(problems) + ". Check the plan, then run again "
            "with --force if the deletions are intended."
        )


def _check_duplicates(
    desired: Sequence[DesiredTask], by_key: Mapping[tuple[str, str], list[LiveTask]]
) -> None:
    problems = []
    for task in desired:
        matches = by_key.get(task.key, [])
        if len(matches) > 1 and not task.absent:
            ids = ", ".join(m.id for m in matches)
            where = f" (declared at {task.position})" if task.position else ""
            problems.append(
                f"{task.owner} has {len(matches)} live tasks titled {task.title!r}{where}: "
                f"{ids}. taskform identifies tasks by owner and title; delete or rename the "
                "extra ones in the portal, then plan again"
            )
    if problems:
        raise PlanError("Cannot plan:\n  " + "\n  ".join(problems))


def _next_runs(task: DesiredTask, now: datetime) -> tuple[int, ...]:
    if task.cron is None:
        return ()
    return _runs(task.cron, now, task.start_date, task.end_date)


@functools.lru_cache(maxsize=4096)
def _runs(cron: CronFields, now: datetime, start: int | None, end: int | None) -> tuple[int, ...]:
    """Next runs, cached: many tasks of one plan share a schedule and the same ``now``."""
    try:
        runs = schedule.next_runs(cron, after=now, count=NEXT_RUNS, start_ms=start, end_ms=end)
    except ValueError:
        return ()
    return tuple(runs)


def _create(task: DesiredTask, now: datetime) -> Change:
    shown = normalize.display_desired(task)
    shown["parameters"] = dict(task.parameters)  # as declared; the portal adds its defaults
    fields: dict[str, FieldChange] = {}
    for name in normalize.FIELDS:
        value = shown[name]
        if value is None or value == {}:
            continue
        if name == "parameters":
            for path, leaf in secrets.leaves(value, "parameters").items():
                fields[path] = _field(
                    None, leaf, secrets.is_secret(path.removeprefix("parameters."), task.secrets)
                )
        else:
            fields[name] = FieldChange(None, value)
    fields["active"] = FieldChange(None, task.active)
    return Change(
        action=Action.CREATE,
        owner=task.owner,
        title=task.title,
        task_id=None,
        fields=fields,
        desired=task,
        next_runs=_next_runs(task, now),
    )


def _delete(task: LiveTask, reason: Reason) -> Change:
    return Change(
        action=Action.DELETE,
        owner=task.owner,
        title=task.title,
        task_id=task.id,
        fields={},
        live=task,
        fingerprint=fingerprint(task),
        reason=reason,
    )


def _update(
    task: DesiredTask, live: LiveTask, now: datetime, state: LifecycleState | None
) -> tuple[Change | None, str | None]:
    """The update of one matched task; ``state`` is the lifecycle state when the task is
    declared active but inactive live."""
    # Identical fields need no parsing: the common case for tasks taskform created.
    same = ("identical", live.cron) if task.cron == live.cron else None
    want = normalize.compare_desired(task, key=same)
    have = normalize.compare_live(live, task, key=same)
    fields: dict[str, FieldChange] = {}
    if want != have:
        shown_want = normalize.display_desired(task)
        shown_have = normalize.display_live(live, task)
        for name in normalize.FIELDS:
            if want[name] == have[name]:
                continue
            if name == "parameters":
                fields.update(_parameter_changes(have[name], want[name], task))
            else:
                fields[name] = FieldChange(shown_have[name], shown_want[name])

    reason, warning = None, None
    if task.active != live.active:
        if state is not None:
            key = state.policy_key
            if task.lifecycle.get(key, "keep") == "enable":
                fields["active"] = FieldChange(False, True)
                reason = Reason.LIFECYCLE_ENABLE
            else:
                warning = (
                    f"{task.owner}/{task.title} is {state.words} and left so "
                    f"(lifecycle.{key} = keep)"
                )
        else:
            fields["active"] = FieldChange(True, False)

    if not fields:
        return None, warning
    runs = _next_runs(task, now) if "schedule" in fields or "active" in fields else ()
    change = Change(
        action=Action.UPDATE,
        owner=task.owner,
        title=task.title,
        task_id=live.id,
        fields=fields,
        desired=task,
        live=live,
        fingerprint=fingerprint(live),
        next_runs=runs,
        reason=reason,
        state=state if reason else None,
    )
    return change, warning


def _parameter_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], task: DesiredTask
) -> dict[str, FieldChange]:
    """Field changes for parameters, one per changed leaf, via deepdiff's tree view."""
    diff = DeepDiff(dict(before), dict(after), view="tree")
    result: dict[str, FieldChange] = {}
    for level in diff.tree.values():
        for item in level:
            path = ".".join(["parameters", *(str(p) for p in item.path(output_format="list"))])
            old = None if _missing(item.t1) else item.t1
            new = None if _missing(item.t2) else item.t2
            old_leaves = secrets.leaves(old, path)
            new_leaves = secrets.leaves(new, path)
            for leaf in sorted(set(old_leaves) | set(new_leaves)):
                a, b = old_leaves.get(leaf), new_leaves.get(leaf)
                if a != b or type(a) is not type(b):
                    result[leaf] = _field(
                        a, b, secrets.is_secret(leaf.removeprefix("parameters."), task.secrets)
                    )
    return dict(sorted(result.items()))


def _missing(value: Any) -> bool:
    return type(value).__name__ == "NotPresent"


def _field(before: Any, after: Any, secret: bool) -> FieldChange:
    if not secret:
        return FieldChange(before, after)
    masked_before = None if before is None else secrets.MASK
    masked_after = None if after is None else secrets.MASK
    if masked_before is not None and masked_after is not None:
        masked_after = secrets.MASK_CHANGED
    return FieldChange(masked_before, masked_after, secret=True)
