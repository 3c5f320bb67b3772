"""The planner: a pure function of (desired, live) that says what apply must do.

No I/O here. Both sides are normalised (``normalize``), compared cheaply as plain values, and
only tasks that differ go through deepdiff, whose report is turned into :class:`FieldChange`
values at once so nothing else depends on its shape.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from taskform import secrets
from taskform.changes import (
    Blocked,
    Change,
    Create,
    Delete,
    FieldChange,
    Plan,
    Reason,
    Replace,
    Update,
)
from taskform.model import (
    AbsentTask,
    CronFields,
    Declared,
    DesiredTask,
    LifecycleState,
    LiveTask,
    identity,
)
from taskform.plan import lifecycle, normalize, schedules
from taskform.plan.safety import safety_problems
from taskform.schedule import translate as schedule

#: Live fields that change by themselves as a task runs; they never make a plan stale.
VOLATILE_FIELDS = frozenset({"nextStart", "lastStart", "runIntervalSeconds"})

NEXT_RUNS = 3


def fingerprint(task: LiveTask) -> str:
    """A short digest of the task as it is live, ignoring fields that move on their own."""
    stable = {k: v for k, v in task.raw.items() if k not in VOLATILE_FIELDS}
    if not stable:
        stable = {"id": task.id, "updated": task.updated}
    data = json.dumps(stable, sort_keys=True, default=str).encode()
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16]


def make_plan(
    desired: Sequence[Declared],
    live: Mapping[str, Sequence[LiveTask]],
    *,
    prune: bool = False,
    managed_owners: Iterable[str] = (),
    now: datetime | None = None,
    states: Mapping[str, LifecycleState] | None = None,
    prune_owners: Iterable[str] | None = None,
    blocked: Sequence[Blocked] = (),
) -> Plan:
    """Compare the declared tasks with the live tasks of every managed owner.

    ``live`` maps each managed owner to all of their live tasks. ``managed_owners`` adds owners
    whose undeclared tasks ``prune`` may delete even if no task of theirs is declared.
    ``prune_owners``, when given, limits prune to those owners (prune is per file: only the
    owners of the files that set it); ``prune=True`` without it prunes every managed owner.
    ``states`` gives, by live task id, the :class:`~taskform.model.LifecycleState` of inactive
    tasks whose runs were read; others are classified from what the task itself says.
    ``blocked`` are tasks already known to be left alone (a GP service that cannot be read).
    The active-task limits are checked by the caller (:func:`~taskform.plan.safety.
    limit_needs`, which needs a read per task type: the planner does no I/O).

    Owners match without regard to case and titles in Unicode NFC (:func:`~taskform.model.
    identity`); changes carry the live task's own spelling of its owner.
    """
    now = now or datetime.now(timezone.utc)
    owners = {o.casefold() for o in managed_owners} | {t.owner.casefold() for t in desired}
    by_key: dict[tuple[str, str], list[LiveTask]] = defaultdict(list)
    counts: dict[str, int] = {}
    for owner, tasks in live.items():
        if owner.casefold() not in owners:
            continue
        spelled = tasks[0].owner if tasks else owner
        counts[spelled] = counts.get(spelled, 0) + len(tasks)
        for found in tasks:
            by_key[found.key].append(found)
    for owner in sorted(owners):
        if not any(o.casefold() == owner for o in counts):
            name = next((t.owner for t in desired if t.owner.casefold() == owner), owner)
            counts[name] = 0
    if prune_owners is not None:
        pruned = {o.casefold() for o in prune_owners}
    else:
        pruned = owners if prune else set()

    changes: list[Change] = []
    warnings: list[str] = []
    blocks: list[Blocked] = list(blocked)
    held = {b.key for b in blocked}
    unchanged = 0
    declared: set[tuple[str, str]] = set(held)
    for task in desired:
        key = task.key  # computed once: identity() normalises the title
        declared.add(key)
        if key in held:
            continue
        found_copies = by_key.get(key)
        matches = sorted(found_copies, key=_age) if found_copies else []
        if isinstance(task, AbsentTask):
            changes.extend(_delete(m, Reason.DECLARED_ABSENT) for m in matches)
            continue
        if not matches and task.renamed_from is not None:
            old = identity(task.owner, task.renamed_from)
            matches = sorted(by_key.get(old, []), key=_age)
            if matches:
                declared.add(old)
        if not matches:
            changes.append(_create(task, now))
            continue
        if len(matches) > 1:
            block, newer = _duplicates(task, matches)
            if block is not None:
                blocks.append(block)
                continue
            changes.extend(newer)
        keep = matches[0]
        if task.type != keep.type:
            changes.append(_replace(task, keep, now))
            continue
        state = None
        if task.active and not keep.active:
            given = (states or {}).get(keep.id)
            state = given or lifecycle.classify(keep, (), now)
        change, warning = _update(task, keep, now, state)
        if warning:
            warnings.append(warning)
        if change is None:
            unchanged += 1
        else:
            changes.append(change)

    unmanaged: list[LiveTask] = []
    for key in sorted(k for k in by_key if k not in declared):
        for extra in by_key[key]:
            if extra.owner.casefold() in pruned:
                changes.append(_delete(extra, Reason.PRUNED))
            else:
                unmanaged.append(extra)

    warnings.extend(_rename_hints(changes, unmanaged))
    changes.sort(key=lambda c: (c.owner.casefold(), c.title, c.task_id or ""))
    plan = Plan(
        changes=tuple(schedules.annotate(changes, now)),
        unchanged=unchanged,
        unmanaged=tuple(unmanaged),
        warnings=tuple(warnings),
        live_counts=dict(sorted(counts.items())),
        blocked=tuple(sorted(blocks, key=lambda b: b.key)),
        missing=tuple((c.owner, c.title) for c in changes if isinstance(c, Create)),
    )
    foresight = [f"apply will refuse without --force: {p}" for p in safety_problems(plan)]
    if foresight:
        plan = dataclasses.replace(plan, warnings=plan.warnings + tuple(foresight))
    return plan


def _age(task: LiveTask) -> tuple[int, str]:
    """Oldest first; the id breaks ties, so every run picks the same copy."""
    return (task.created if task.created is not None else 0, task.id)


def _duplicates(
    task: DesiredTask, matches: Sequence[LiveTask]
) -> tuple[Blocked | None, list[Delete]]:
    """Several live copies of one declared title (oldest first). Copies identical in every
    managed field: the newer ones are deleted (two applies at once, or a retried create,
    made them). Copies that differ: the title is blocked, as nobody can tell which is meant."""
    first = _managed(matches[0], task)
    if all(_managed(m, task) == first for m in matches[1:]):
        keep = matches[0]
        return None, [_delete(m, Reason.DUPLICATE, keep.id) for m in matches[1:]]
    ids = ", ".join(m.id for m in matches)
    where = f" (declared at {task.position})" if task.position else ""
    message = (
        f"{task.owner} has {len(matches)} live tasks titled {task.title!r}{where} that differ: "
        f"{ids}. taskform identifies tasks by owner and title and cannot tell which one is "
        "meant; delete or rename the extra ones in the portal, then plan again. This task is "
        "left alone until then"
    )
    block = Blocked(task.owner, task.title, message, tuple(m.id for m in matches), task.position)
    return block, []


def _managed(live: LiveTask, task: DesiredTask) -> tuple[str, bool]:
    """A live copy's managed fields, comparable between copies."""
    values = normalize.compare_live(live, task)
    return (json.dumps(values, sort_keys=True, default=str), live.active)


def _rename_hints(changes: Sequence[Change], unmanaged: Sequence[LiveTask]) -> list[str]:
    """A create that matches an unmanaged live task closely (same owner, type, item and
    schedule) is probably a rename: say how to keep the task and its history."""
    hints: list[str] = []
    for change in changes:
        if not isinstance(change, Create):
            continue
        task = change.desired
        try:
            key = schedule.schedule_key(task.cron)
        except ValueError:
            continue
        for other in unmanaged:
            if (
                other.owner.casefold() == task.owner.casefold()
                and other.type == task.type
                and (other.item_id or "").lower() == (task.item_id or "").lower()
                and _schedule_key(other) == key
            ):
                hints.append(
                    f"{task.owner}/{task.title} looks like the unmanaged task "
                    f"{other.title!r} ({other.id}) renamed: same item and schedule. To rename "
                    "that task (same id, run history kept) instead of creating another, add "
                    f"to {task.title!r}: renamed_from: {_quoted(other.title)}"
                )
                break
    return hints


def _quoted(title: str) -> str:
    return json.dumps(title, ensure_ascii=False)


def _schedule_key(task: LiveTask) -> Any:
    try:
        return schedule.schedule_key(task.cron)
    except ValueError:
        return None


def _next_runs(task: DesiredTask, now: datetime) -> tuple[int, ...]:
    return _runs(task.cron, now, task.start_date, task.end_date)


@functools.lru_cache(maxsize=4096)
def _runs(cron: CronFields, now: datetime, start: int | None, end: int | None) -> tuple[int, ...]:
    """Next runs, cached: many tasks of one plan share a schedule and the same ``now``."""
    try:
        runs = schedule.next_runs(cron, after=now, count=NEXT_RUNS, start_ms=start, end_ms=end)
    except ValueError:
        return ()
    return tuple(runs)


def _create(task: DesiredTask, now: datetime) -> Create:
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
    return Create(
        owner=task.owner,
        title=task.title,
        fields=fields,
        desired=task,
        next_runs=_next_runs(task, now),
    )


def _delete(task: LiveTask, reason: Reason, detail: str = "") -> Delete:
    return Delete(
        owner=task.owner,
        title=task.title,
        task_id=task.id,
        fields={},
        live=task,
        fingerprint=fingerprint(task),
        reason=reason,
        detail=detail,
    )


def _update(
    task: DesiredTask, live: LiveTask, now: datetime, state: LifecycleState | None
) -> tuple[Update | None, str | None]:
    """The update of one matched task; ``state`` is the lifecycle state when the task is
    declared active but inactive live."""
    # Identical fields need no parsing: the common case for tasks taskform created.
    same = ("identical", live.cron) if task.cron == live.cron else None
    want = normalize.compare_desired(task, key=same)
    have = normalize.compare_live(live, task, key=same)
    fields: dict[str, FieldChange] = {}
    reason: Reason | None = None
    detail, warning = "", None
    if identity(live.owner, live.title) != task.key:
        fields["title"] = FieldChange(live.title, task.title)
        reason, detail = Reason.RENAMED, repr(live.title)
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

    if task.active != live.active:
        if state is not None:
            key = state.policy_key
            if task.lifecycle.get(key, "keep") == "enable":
                fields["active"] = FieldChange(False, True)
                if reason is Reason.RENAMED:
                    detail = f"renamed from {detail}"
                reason = Reason.LIFECYCLE_ENABLE
                if state is LifecycleState.COMPLETED:
                    blocker = lifecycle.enable_blocker(task, live, now)
                    if blocker:
                        detail = f"{detail}; {blocker}" if detail else blocker
                        warning = f"{task.owner}/{task.title}: {blocker}"
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
    change = Update(
        owner=live.owner,
        title=task.title,
        task_id=live.id,
        fields=fields,
        desired=task,
        live=live,
        fingerprint=fingerprint(live),
        next_runs=runs,
        reason=reason,
        state=state if reason is Reason.LIFECYCLE_ENABLE else None,
        detail=detail,
    )
    return change, warning


def _replace(task: DesiredTask, live: LiveTask, now: datetime) -> Replace:
    """A change the portal cannot make in place (the task's type): delete, then create."""
    shown_want = normalize.display_desired(task)
    shown_have = normalize.display_live(live, task)
    fields: dict[str, FieldChange] = {}
    for name in normalize.FIELDS:
        if name == "parameters":
            # Values the portal fills in for a type are left out on both sides: the new
            # task is created afresh, so only what differs from the defaults is worth showing.
            before = _without_defaults(live.type, live.parameters)
            after = _without_defaults(task.type, task.parameters)
            if before != after:
                changed = _parameter_changes(before, after, task)
                if len(changed) > 1:  # leaves are listed: an empty side adds nothing
                    changed = {k: v for k, v in changed.items() if k != "parameters"}
                fields.update(changed)
        elif shown_have[name] != shown_want[name]:
            fields[name] = FieldChange(shown_have[name], shown_want[name])
    if live.active != task.active:
        fields["active"] = FieldChange(live.active, task.active)
    return Replace(
        owner=live.owner,
        title=task.title,
        task_id=live.id,
        fields=fields,
        desired=task,
        live=live,
        fingerprint=fingerprint(live),
        next_runs=_next_runs(task, now),
        reason=Reason.REPLACE,
        detail=f"{live.type} -> {task.type}",
    )


def _without_defaults(task_type: str | None, params: Mapping[str, Any]) -> dict[str, Any]:
    defaults = normalize.parameters(task_type, {})
    full = normalize.parameters(task_type, params)
    return {k: v for k, v in full.items() if k not in defaults or defaults[k] != v}


def _parameter_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], task: DesiredTask
) -> dict[str, FieldChange]:
    """Field changes for parameters, one per changed leaf, via deepdiff's tree view (imported
    here: a plan with no parameter change never loads it)."""
    from deepdiff import DeepDiff

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
    if not secret and after is None and before is not None:
        # A parameter the configuration no longer has: its live value is not shown, since
        # nothing says it was not a secret (a ${secret:} reference removed or renamed).
        return FieldChange(secrets.MASK_REMOVED, None, secret=True)
    if not secret:
        return FieldChange(before, after)
    masked_before = None if before is None else secrets.MASK
    masked_after = None if after is None else secrets.MASK
    if masked_before is not None and masked_after is not None:
        masked_after = secrets.MASK_CHANGED
    return FieldChange(masked_before, masked_after, secret=True)
