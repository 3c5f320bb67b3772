"""Drift: how the portal differs from the configuration, each difference given a kind.

Not every difference is a mistake. On a scheduled-task platform the portal changes tasks by
itself: a task completes after its last occurrence or its end date, the portal switches a task
off after repeated failed runs, a person pauses a task in the UI. Those are told apart from
config drift, so a nightly job can alert on what matters, and ``lifecycle`` in the config says
what apply does about each.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from taskform.changes import Action, Change, FieldChange, Plan, Reason, Update
from taskform.model import AbsentTask, Declared, LifecycleState, LiveTask
from taskform.plan import lifecycle, schedules


class DriftKind(str, enum.Enum):
    """Kinds of drift; the value is the name in drift output. The last three are the
    :class:`~taskform.model.LifecycleState` values (one vocabulary: :meth:`of`)."""

    CONFIG_CHANGED = "config_changed"
    MISSING = "missing"
    UNMANAGED = "unmanaged"
    PRESENT_BUT_ABSENT = "present_but_absent"
    PAUSED = LifecycleState.PAUSED.value
    COMPLETED = LifecycleState.COMPLETED.value
    DISABLED_BY_FAILURES = LifecycleState.DISABLED_BY_FAILURES.value
    OFFSET_CHANGED = "offset_changed"
    DUPLICATE = "duplicate"
    BLOCKED = "blocked"

    @classmethod
    def of(cls, state: LifecycleState) -> DriftKind:
        """The drift kind of a task in a lifecycle state."""
        return cls(state.value)

    @property
    def meaning(self) -> str:
        """What the kind means (also the README's table)."""
        return KINDS[self]


#: Kinds of drift and what they mean (also the README's table).
KINDS: Mapping[DriftKind, str] = {
    DriftKind.CONFIG_CHANGED: "fields differ from the configuration",
    DriftKind.MISSING: "declared, but not in the portal",
    DriftKind.UNMANAGED: "in the portal, but not declared",
    DriftKind.PRESENT_BUT_ABSENT: "declared absent, but in the portal",
    DriftKind.PAUSED: "paused in the portal by a person or another client",
    DriftKind.COMPLETED: "completed in the portal: max occurrences or end date reached",
    DriftKind.DISABLED_BY_FAILURES: "switched off by the portal after repeated failed runs",
    DriftKind.OFFSET_CHANGED: (
        "the schedule's time zone changed its UTC offset (daylight saving time) since the last"
        " apply; the live schedule is the same local time at the old offset"
    ),
    DriftKind.DUPLICATE: (
        "a newer identical copy of a declared task (two applies at once, or a retry)"
    ),
    DriftKind.BLOCKED: "left alone: live copies that differ, or a GP service that cannot be read",
}


@dataclass(frozen=True)
class DriftItem:
    """One drifted task. ``apply`` says what ``taskform apply`` would do: create, update,
    delete, enable, or none (left alone)."""

    kind: DriftKind
    owner: str
    title: str
    task_id: str | None
    apply: str
    fields: Mapping[str, FieldChange] = field(default_factory=dict)
    detail: str = ""


def classify(
    plan: Plan,
    desired: Sequence[Declared],
    live: Mapping[str, Sequence[LiveTask]],
    states: Mapping[str, LifecycleState],
    *,
    now: datetime | None = None,
) -> list[DriftItem]:
    """Every drifted task, in (owner, title) order. ``states`` holds the lifecycle kinds the
    plan was made with (by live task id), so drift and apply always agree."""
    now = now or datetime.now(timezone.utc)

    def state_of(task: LiveTask) -> LifecycleState:
        return states.get(task.id) or lifecycle.classify(task, (), now)

    live_by_key = {t.key: t for tasks in live.values() for t in tasks}
    items: list[DriftItem] = []
    touched: set[tuple[str, str]] = set()
    for change in plan.changes:
        touched.add(change.key)
        items.extend(_from_change(change, live_by_key, state_of, now))
    for extra in plan.unmanaged:
        items.append(DriftItem(DriftKind.UNMANAGED, extra.owner, extra.title, extra.id, "none"))
    for block in plan.blocked:
        first = block.task_ids[0] if block.task_ids else None
        items.append(
            DriftItem(
                DriftKind.BLOCKED, block.owner, block.title, first, "none", detail=block.message
            )
        )
        touched.add(block.key)
    for task in desired:
        current = live_by_key.get(task.key)
        if isinstance(task, AbsentTask) or current is None or task.key in touched:
            continue
        if task.active and not current.active:
            state = state_of(current)
            detail = f"left as it is (lifecycle.{state.policy_key} = keep)"
            kind = DriftKind.of(state)
            items.append(DriftItem(kind, task.owner, task.title, current.id, "none", detail=detail))
    items.sort(key=lambda i: (i.owner, i.title, i.kind))
    return items


def _from_change(
    change: Change,
    live_by_key: Mapping[tuple[str, str], LiveTask],
    state_of: Callable[[LiveTask], LifecycleState],
    now: datetime,
) -> list[DriftItem]:
    base = (change.owner, change.title, change.task_id)
    if change.action is Action.CREATE:
        return [DriftItem(DriftKind.MISSING, *base, apply="create")]
    if change.action is Action.DELETE:
        absent = change.reason is Reason.DECLARED_ABSENT
        kind = DriftKind.PRESENT_BUT_ABSENT if absent else DriftKind.UNMANAGED
        if change.reason is Reason.DUPLICATE:
            kind = DriftKind.DUPLICATE
        return [DriftItem(kind, *base, apply="delete", detail=change.note or "")]
    if change.action is Action.REPLACE:
        fields = dict(change.fields)
        return [DriftItem(DriftKind.CONFIG_CHANGED, *base, apply="replace", fields=fields)]
    items = []
    fields = {k: v for k, v in change.fields.items() if k != "active"}
    active = change.fields.get("active")
    if active is not None and active.after is False:
        fields["active"] = active
    if fields:
        kind = DriftKind.CONFIG_CHANGED
        if (
            set(fields) == {"schedule"}
            and isinstance(change, Update)
            and schedules.realigned_from(change.desired, change.live.cron, now) is not None
        ):
            kind = DriftKind.OFFSET_CHANGED
        items.append(DriftItem(kind, *base, apply="update", fields=fields))
    if active is not None and active.after is True:
        live = live_by_key.get(change.key)
        state = change.state or (state_of(live) if live else LifecycleState.PAUSED)
        kind = DriftKind.of(state)
        items.append(
            DriftItem(
                kind, *base, apply="enable", fields={"active": active}, detail=change.note or ""
            )
        )
    return items


def fails(item: DriftItem, kinds: Collection[str] | None = None) -> bool:
    """Whether ``item`` makes drift exit 2: by default, when apply would change it; else when
    its kind is one of ``kinds`` (``--fail-on``)."""
    return item.apply != "none" if kinds is None else item.kind.value in kinds


def exit_code(items: Sequence[DriftItem], kinds: Collection[str] | None = None) -> int:
    """``drift``'s exit code: 2 when an item :func:`fails`, else 0."""
    return 2 if any(fails(item, kinds) for item in items) else 0
