"""Why an inactive live task is inactive: the one classifier that plan, apply and drift share.

The portal switches tasks off by itself: after the last occurrence or the end date (completed),
after repeated failed runs (disabled), and a person can pause one in the UI. Each has its own
``lifecycle`` policy in the configuration, so telling them apart decides what apply does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from taskform.epoch import iso_utc
from taskform.model import DesiredTask, LifecycleState, LiveTask, Run

#: The portal switches a task off after this many failed runs in a row (FailedRunsToDisableTask).
FAILED_RUNS_TO_DISABLE = 5
FAILED = frozenset({"failed", "submitfailed"})


def classify(task: LiveTask, runs: Sequence[Run], now: datetime) -> LifecycleState:
    """The :class:`~taskform.model.LifecycleState` of an inactive live task.

    Uses ``taskState`` where the portal reports one, and otherwise what can be seen: the latest
    runs (a streak of failures), the end date, and the number of runs against maxOccurrences.
    """
    state = (task.task_state or "").lower()
    ordered = sorted(runs, key=lambda r: r.created or 0, reverse=True)
    streak = 0
    for run in ordered:
        if run.status not in FAILED:
            break
        streak += 1
    if state in ("disabled", "failed") or streak >= FAILED_RUNS_TO_DISABLE:
        return LifecycleState.DISABLED_BY_FAILURES
    now_ms = int(now.timestamp() * 1000)
    ended = task.end_date is not None and task.end_date <= now_ms
    limit = task.max_occurrences
    used_up = limit is not None and limit > 0 and len(ordered) >= limit
    if state == "completed" or ended or used_up:
        return LifecycleState.COMPLETED
    return LifecycleState.PAUSED


def needs_runs(task: LiveTask) -> bool:
    """Whether the runs can change :func:`classify`'s answer: the portal did not say why."""
    return (task.task_state or "").lower() not in ("disabled", "failed", "completed")


def enable_blocker(task: DesiredTask, live: LiveTask, now: datetime) -> str | None:
    """Why the portal will refuse to enable this completed task, and what to change, or
    None. The portal keeps a finished task finished: its end date must lie ahead, and it
    must have occurrences left (the update that raises them runs before the enable)."""
    now_ms = int(now.timestamp() * 1000)
    if live.end_date is not None and live.end_date <= now_ms:
        # The update before the enable sends the declared end date (none: no end date).
        if task.end_date is not None and task.end_date <= now_ms:
            shown = iso_utc(live.end_date)
            return (
                f"the enable will fail: its end date {shown} has passed; set a later end_date "
                "(or remove it) in the configuration"
            )
        return None
    limit = live.max_occurrences
    if limit is not None and limit > 0 and (task.max_occurrences or limit) <= limit:
        return (
            f"the enable will fail: it has used up its max_occurrences ({limit}); raise "
            "max_occurrences in the configuration"
        )
    return None
