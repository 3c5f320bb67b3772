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

from taskform.engine import normalize
from taskform.engine.model import (
    Action,
    Change,
    DesiredTask,
    FieldChange,
    LiveTask,
    Plan,
    Run,
)

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

#: The portal switches a task off after this many failed runs in a row (FailedRunsToDisableTask).
FAILED_RUNS_TO_DISABLE = 5
FAILED = frozenset({"failed", "submitfailed"})


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


RunsReader = Callable[[LiveTask], Sequence[Run]]


def lifecycle_kind(task: LiveTask, runs: Sequence[Run], now: datetime) -> str:
    """Why an inactive live task is inactive: completed, disabled_by_failures or paused."""
    state = normalize.live_state(task)
    ordered = sorted(runs, key=lambda r: r.created or 0, reverse=True)
    streak = 0
    for run in ordered:
        if run.status not in FAILED:
            break
        streak += 1
    if streak >= FAILED_RUNS_TO_DISABLE or state == "disabled":
        return "disabled_by_failures"
    now_ms = int(now.timestamp() * 1000)
    ended = task.end_date is not None and task.end_date <= now_ms
    used_up = task.max_occurrences not in (None, -1) and len(ordered) >= (task.max_occurrences or 0)
    if state == "completed" or ended or (used_up and ordered):
        return "completed"
    return "paused"


def classify(
    plan: Plan,
    desired: Sequence[DesiredTask],
    live: Mapping[str, Sequence[LiveTask]],
    runs_of: RunsReader,
    *,
    now: datetime | None = None,
) -> list[DriftItem]:
    """Every drifted task, in (owner, title) order. Reads runs only of declared-active tasks
    that are inactive live (to tell a failure stop from a pause)."""
    now = now or datetime.now(timezone.utc)
    live_by_key = {t.key: t for tasks in live.values() for t in tasks}
    items: list[DriftItem] = []
    touched: set[tuple[str, str]] = set()
    for change in plan.changes:
        touched.add(change.key)
        items.extend(_from_change(change, live_by_key, runs_of, now))
    for extra in plan.unmanaged:
        items.append(DriftItem("unmanaged", extra.owner, extra.title, extra.id, "none"))
    for task in desired:
        current = live_by_key.get(task.key)
        if task.absent or current is None or task.key in touched:
            continue
        if task.active and not current.active:
            kind = lifecycle_kind(current, runs_of(current), now)
            detail = f"left as it is (lifecycle.{_policy_key(kind)} = keep)"
            items.append(DriftItem(kind, task.owner, task.title, current.id, "none", detail=detail))
    items.sort(key=lambda i: (i.owner, i.title, i.kind))
    return items


def _policy_key(kind: str) -> str:
    return "disabled" if kind == "disabled_by_failures" else kind


def _from_change(
    change: Change,
    live_by_key: Mapping[tuple[str, str], LiveTask],
    runs_of: RunsReader,
    now: datetime,
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
        kind = lifecycle_kind(live, runs_of(live), now) if live else "paused"
        items.append(
            DriftItem(
                kind, *base, apply="enable", fields={"active": active}, detail=change.note or ""
            )
        )
    return items
