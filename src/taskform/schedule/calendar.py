"""Every run of every declared task in the next N days: what ``taskform calendar`` shows.

Offline and pure: the declared tasks (their UTC fields, as apply would send them now) and a
start time in, a :class:`Calendar` out; the views are in ``taskform.render.calendar``. Runs
come from :func:`taskform.schedule.runs.runs_between` (one pass per task per day), inside each
task's start/end window; inactive and absent tasks have no runs.

Heat map: starts per hour of the week (Monday 00:00 to Sunday 23:00, UTC), summed over the
span. Collisions: minutes in which two or more tasks start; a collision is *over the threshold*
when more than ``threshold`` tasks of one owner start in it (the lint's rule).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from taskform.errors import ScheduleError
from taskform.model import DesiredTask
from taskform.schedule import runs as schedule_runs
from taskform.schedule.words import description

_UTC = timezone.utc


@dataclass(frozen=True)
class TaskRuns:
    """One task's runs (epoch ms, UTC, ascending) in the calendar's span."""

    owner: str
    title: str
    type: str
    item_id: str | None
    schedule: str
    description: str
    timezone: str | None
    runs: tuple[int, ...]
    active: bool = True  # an inactive task is listed, with no runs

    @property
    def label(self) -> str:
        return f"{self.owner or '(you)'}/{self.title}"


@dataclass(frozen=True)
class Collision:
    """A minute in which several tasks start."""

    at: int
    tasks: tuple[TaskRuns, ...]
    over_threshold: bool


@dataclass(frozen=True)
class Calendar:
    start: datetime
    days: int
    threshold: int
    tasks: tuple[TaskRuns, ...]
    heat: dict[tuple[int, int], int] = field(default_factory=dict)  # (weekday Mon=0, hour)
    collisions: tuple[Collision, ...] = ()

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    @property
    def total_runs(self) -> int:
        return sum(len(t.runs) for t in self.tasks)


def build(
    tasks: Sequence[DesiredTask], start: datetime, days: int, *, threshold: int = 10
) -> Calendar:
    """The calendar of ``tasks`` from ``start`` (truncated to the minute) for ``days`` days."""
    start = start.astimezone(_UTC).replace(second=0, microsecond=0)
    end = start + timedelta(days=days)
    found: list[TaskRuns] = []
    for task in tasks:
        times: list[int] = []
        if task.active:
            try:
                times = schedule_runs.runs_between(task.cron, start, end)
            except ScheduleError:
                times = []
            low, high = task.start_date, task.end_date
            if low is not None or high is not None:
                times = [
                    ms
                    for ms in times
                    if (low is None or ms >= low) and (high is None or ms <= high)
                ]
        found.append(
            TaskRuns(
                owner=task.owner,
                title=task.title,
                type=task.type or "",
                item_id=task.item_id,
                schedule=task.schedule or "",
                description=description(task) or "",
                timezone=task.timezone,
                runs=tuple(times),
                active=task.active,
            )
        )
    found.sort(key=lambda t: (t.owner.casefold(), t.title))
    heat: dict[tuple[int, int], int] = defaultdict(int)
    starts: Counter[int] = Counter()
    for task_runs in found:
        starts.update(task_runs.runs)
    # hour of the week straight from epoch milliseconds: 1970-01-01 was a Thursday (3)
    by_hour: Counter[int] = Counter()
    for ms, count in starts.items():
        by_hour[ms // 3_600_000] += count
    for hour_index, count in by_hour.items():
        heat[((hour_index // 24 + 3) % 7, hour_index % 24)] += count
    shared = {ms for ms, count in starts.items() if count > 1}
    by_minute: dict[int, list[TaskRuns]] = defaultdict(list)
    for task_runs in found:
        for ms in shared.intersection(task_runs.runs):
            by_minute[ms].append(task_runs)
    owners = {t.owner.casefold() for t in found}
    collisions = []
    for ms in sorted(by_minute):
        group = by_minute[ms]
        # more than ``threshold`` of one owner: only a group that large can be, and with one
        # owner (the usual configuration) every task in it is that owner's
        over = len(group) > threshold and (
            len(owners) == 1 or max(Counter(t.owner.casefold() for t in group).values()) > threshold
        )
        collisions.append(Collision(ms, tuple(group), over))
    return Calendar(start, days, threshold, tuple(found), dict(heat), tuple(collisions))
