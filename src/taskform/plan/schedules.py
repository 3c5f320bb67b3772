"""The semantic schedule diff: what a created or rescheduled task's schedule means.

For each such change the plan carries a :class:`~taskform.model.ScheduleSummary`: the schedule
in words (local wall time for a task with a ``timezone``), runs per week before and after, and
for a reschedule the runs gained and lost in the next 14 days. Pure; ``now`` is given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta

from taskform.changes import Change, Create, ScheduleSummary, Update
from taskform.errors import ScheduleError
from taskform.model import CronFields, DesiredTask
from taskform.schedule import runs, words, zones
from taskform.schedule.translate import schedule_key
from taskform.schedule.words import description, local_fields

#: How far ahead the runs a reschedule adds and removes are listed.
DIFF_DAYS = 14
#: How many of those runs are named (the counts are always complete).
SHOWN_RUNS = 3


def offset_note(task: DesiredTask, live: CronFields | None, now: datetime) -> str | None:
    """For a task with a ``timezone``: whether this change re-aligns the schedule after a
    change of the zone's UTC offset, and when the next change is due."""
    zone = task.timezone
    local = local_fields(task)
    if zone is None or local is None:
        return None
    notes: list[str] = []
    if live is not None and realigned_from(task, live, now) is not None:
        notes.append(f"re-aligns to the UTC offset {zone} has now, to keep the local time")
    change = zones.next_transition(zone, now)
    if change is not None:
        notes.append(
            f"{zone} changes from {zones.format_offset(change.before)} to"
            f" {zones.format_offset(change.after)} on {change.at:%Y-%m-%d %H:%M} UTC: apply"
            " again after that (a daily apply does it) so runs keep their local time"
        )
    return "; ".join(notes) or None


def realigned_from(task: DesiredTask, live: CronFields, now: datetime) -> int | None:
    """The other UTC offset of the task's zone that ``live`` was compiled with, if the live
    schedule is exactly the task's schedule at that offset (an offset change, not an edit)."""
    zone, local = task.timezone, local_fields(task)
    if zone is None or local is None:
        return None
    try:
        live_key = schedule_key(live)
        if live_key == schedule_key(task.cron):
            return None
        for offset in zones.zone_offsets(zone, now):
            shifted = zones.shift(local, offset, expr=task.schedule or "", zone=zone)
            if schedule_key(shifted) == live_key:
                return offset
    except ScheduleError:
        return None
    return None


def _window(cron: CronFields, now: datetime, start: int | None, end: int | None) -> set[int]:
    found = runs.runs_between(cron, now, now + timedelta(days=DIFF_DAYS))
    return {ms for ms in found if (start is None or ms >= start) and (end is None or ms <= end)}


def summarize(change: Change, now: datetime) -> ScheduleSummary | None:
    """The schedule summary of a create or a reschedule (an update of ``schedule``), else None."""
    if isinstance(change, Create):
        task, was = change.desired, None
    elif isinstance(change, Update) and "schedule" in change.fields:
        task, was = change.desired, change.live
    else:
        return None
    text = description(task)
    if text is None:
        return None
    live = None if was is None else was.cron
    try:
        after_rate = runs.runs_per_week(task.cron, now)
        before_rate = None if live is None else runs.runs_per_week(live, now)
        before_text = None if live is None else words.describe(live, "UTC")
        added: list[int] = []
        removed: list[int] = []
        if live is not None and was is not None:
            after = _window(task.cron, now, task.start_date, task.end_date)
            before = _window(live, now, was.start_date, was.end_date)
            added, removed = sorted(after - before), sorted(before - after)
    except ScheduleError:
        return None
    return ScheduleSummary(
        description=text,
        runs_per_week_before=before_rate,
        runs_per_week_after=after_rate,
        description_before=before_text,
        added=tuple(added[:SHOWN_RUNS]),
        removed=tuple(removed[:SHOWN_RUNS]),
        added_count=len(added),
        removed_count=len(removed),
        timezone=task.timezone,
        offset_note=offset_note(task, live, now),
        paused=not task.active,
    )


def annotate(changes: Sequence[Change], now: datetime) -> list[Change]:
    """``changes`` with a :class:`ScheduleSummary` on every create and reschedule."""
    out: list[Change] = []
    for change in changes:
        summary = summarize(change, now)
        out.append(change if summary is None else dataclasses.replace(change, schedule=summary))
    return out
