"""One classifier for inactive tasks, shared by plan, apply and drift."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from taskform.model import Run
from taskform.plan.lifecycle import classify, needs_runs
from tests.support.fakes import live_task

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
NOW_MS = int(NOW.timestamp() * 1000)


def runs(*statuses: str) -> list[Run]:
    # newest last in the argument list; created grows with position
    return [
        Run(f"r{i}", s, created=NOW_MS - 1000 * (len(statuses) - i)) for i, s in enumerate(statuses)
    ]


@pytest.mark.parametrize(
    ("state", "history", "expected"),
    [
        ("paused", [], "paused"),
        (None, [], "paused"),
        ("completed", [], "completed"),
        ("disabled", [], "disabled_by_failures"),
        ("paused", ["failed"] * 5, "disabled_by_failures"),
        (None, ["succeeded", *["submitfailed"] * 5], "disabled_by_failures"),
        ("paused", ["failed"] * 5 + ["succeeded"], "paused"),
        ("paused", ["failed"] * 4, "paused"),
    ],
)
def test_classify(state: str | None, history: list[str], expected: str) -> None:
    task = live_task(active=False, task_state=state)
    assert classify(task, runs(*history), NOW) == expected


def test_completed_is_seen_from_end_date_or_used_up_occurrences() -> None:
    ended = live_task(active=False, task_state=None, end_date=NOW_MS - 1)
    assert classify(ended, [], NOW) == "completed"
    used = live_task(active=False, task_state=None, max_occurrences=2)
    assert classify(used, runs("succeeded", "succeeded"), NOW) == "completed"
    unlimited = live_task(active=False, task_state=None, max_occurrences=-1)
    assert classify(unlimited, runs("succeeded", "succeeded"), NOW) == "paused"


def test_runs_are_needed_only_when_the_portal_does_not_say() -> None:
    assert needs_runs(live_task(active=False, task_state="paused"))
    assert needs_runs(live_task(active=False, task_state=None))
    assert not needs_runs(live_task(active=False, task_state="completed"))
    assert not needs_runs(live_task(active=False, task_state="disabled"))
