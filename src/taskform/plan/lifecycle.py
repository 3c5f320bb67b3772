"""Why an inactive live task is inactive: the one classifier that plan, apply and drift share.

The portal switches tasks off by itself: after the last occurrence or the end date (completed),
after repeated failed runs (disabled), and a person can pause one in the UI. Each has its own
``lifecycle`` policy in the configuration, so telling them apart decides what apply does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from taskform.model import LiveTask, Run

#: Kinds of portal-made inactivity, and the ``lifecycle`` key whose policy applies to each.
POLICY_KEY: Mapping[str, str] = {
    "paused": "paused",
    "completed": "completed",
    "disabled_by_failures": "disabled",
}

#: How each kind reads in a plan note or warning.
WORDS: Mapping[str, str] = {
    "paused": "paused in the portal",
    "completed": "completed in the portal",
    "disabled_by_failures": "switched off by the portal after failed runs",
}

#: The portal switches a task off after this many failed runs in a row (FailedRunsToDisableTask).
FAILED_RUNS_TO_DISABLE = 5
FAILED = frozenset({"failed", "submitfailed"})


def classify(task: LiveTask, runs: Sequence[Run], now: datetime) -> str:
    """``paused``, ``completed`` or ``disabled_by_failures`` for an inactive live task.

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
        return "disabled_by_failures"
    now_ms = int(now.timestamp() * 1000)
    ended = task.end_date is not None and task.end_date <= now_ms
    limit = task.max_occurrences
    used_up = limit is not None and limit > 0 and len(ordered) >= limit
    if state == "completed" or ended or used_up:
        return "completed"
    return "paused"


def needs_runs(task: LiveTask) -> bool:
    """Whether the runs can change :func:`classify`'s answer: the portal did not say why."""
    return (task.task_state or "").lower() not in ("disabled", "failed", "completed")
