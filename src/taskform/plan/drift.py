"""Drift: how the portal differs from the configuration, each difference given a kind.

Not every difference is a mistake. On a scheduled-task platform the portal changes tasks by
itself: a task completes after its last occurrence or its end date, the portal switches a task
off after repeated failed runs, a person pauses a task in the UI. Those are told apart from
config drift, so a nightly job can alert on what matters, and ``lifecycle`` in the config says
what apply does about each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from taskform.model import (
    Action,
    Change,
    DesiredTask,
    FieldChange,
    LiveTask,
    Plan,
)
from taskform.plan import lifecycle

#: Kinds of drift and what they mean (also the README's table).
KINDS: Mapping[str, str] = {
    "config_changed": "fields differ from the configuration",
    "missing": "declared, but not in the portal",
    "unmanaged": "in the portal, but not declared",
    "present_but_absent": "declared absent, but in the portal",
    "paused": "paused in the portal by a person or another client",
    "completed": "completed in the portal: max occurrences or end date reached",
    "disabled_by_failures": "switched off by the portal after repeated failed runs",
}


@dataclass(frozen=True)
class DriftItem:
    """One drifted task. ``apply`` says what ``taskform apply`` would do: create, update,
    delete, enable, or none (left alone)."""

    kind: str
    owner: str
    title: str
    task_id: str | None
    apply: str
    fields: Mapping[str, FieldChange] = field(default_factory=dict)
    detail: str = ""


def classify(
    plan: Plan,
    desired: Sequence[DesiredTask],
    live: Mapping[str, Sequence[LiveTask]],
    states: Mapping[str, str],
    *,
    now: datetime | None = None,
) -> list[DriftItem]:
    """Every drifted task, in (owner, title) order. ``states`` holds the lifecycle kinds the
    plan was made with (by live task id), so drift and apply always agree."""
    now = now or datetime.now(timezone.utc)

    def kind_of(task: LiveTask) -> str:
        return states.get(task.id) or lifecycle.classify(task, (), now)

    live_by_key = {t.key: t for tasks in live.values() for t in tasks}
    items: list[DriftItem] = []
    touched: set[tuple[str, str]] = set()
    for change in plan.changes:
        touched.add(change.key)
        items.extend(_from_change(change, live_by_key, kind_of))
    for extra in plan.unmanaged:
        items.append(DriftItem("unmanaged", extra.owner, extra.title, extra.id, "none"))
    for task in desired:
        current = live_by_key.get(task.key)
        if task.absent or current is None or task.key in touched:
            continue
        if task.active and not current.active:
            kind = kind_of(current)
            detail = f"left as it is (lifecycle.{lifecycle.POLICY_KEY[kind]} = keep)"
            items.append(DriftItem(kind, task.owner, task.title, current.id, "none", detail=detail))
    items.sort(key=lambda i: (i.owner, i.title, i.kind))
    return items


def _from_change(
    change: Change,
    live_by_key: Mapping[tuple[str, str], LiveTask],
    kind_of: Callable[[LiveTask], str],
) -> list[DriftItem]:
    base = (change.owner, change.title, change.task_id)
    if change.action is Action.CREATE:
        return [DriftItem("missing", *base, apply="create")]
    if change.action is Action.DELETE:
        kind = "present_but_absent" if change.note == "declared absent" else "unmanaged"
        return [DriftItem(kind, *base, apply="delete", detail=change.note or "")]
    items = []
    fields = {k: v for k, v in change.fields.items() if k != "active"}
    active = change.fields.get("active")
    if active is not None and active.after is False:
        fields["active"] = active
    if fields:
        items.append(DriftItem("config_changed", *base, apply="update", fields=fields))
    if active is not None and active.after is True:
        live = live_by_key.get(change.key)
        kind = kind_of(live) if live else "paused"
        items.append(
            DriftItem(
                kind, *base, apply="enable", fields={"active": active}, detail=change.note or ""
            )
        )
    return items
