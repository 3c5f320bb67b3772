"""Every run of a schedule in a span of time, fast: the calendar, lint and the plan's
"runs per week" use it for many tasks at once.

:func:`next_runs` (croniter) answers "the next few runs"; here the question is "all runs in
the next N days" for up to thousands of tasks, where one croniter step per run is too slow.
The portal's schedules are a product (days that match) x (hours) x (minutes), and only one of
the two day fields is ever restricted, so each day is tested once and its times are the same
product every day. ``tests/schedule/test_runs.py`` checks the result against
:func:`next_runs` for many schedules.
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import pairwise

from taskform.model import CronFields
from taskform.schedule.cron import Sched, Spec, parse_portal, require_one_day_field
from taskform.schedule.nextruns import special_day

_UTC = timezone.utc
_DAY_MS = 86_400_000


@dataclass(frozen=True)
class Parsed:
    """A schedule ready for day-by-day enumeration."""

    sched: Sched
    #: minutes after midnight of every run of a matching day, ascending
    times: tuple[int, ...]


@functools.lru_cache(maxsize=8192)
def parse(fields: CronFields) -> Parsed:
    sched = parse_portal(fields)
    require_one_day_field(sched, fields)
    times = tuple(sorted(h * 60 + m for h in sched.hour.values for m in sched.minute.values))
    return Parsed(sched, times)


def day_matches(sched: Sched, day: date) -> bool:
    if day.month not in sched.month.values:
        return False
    dom, dow = sched.dom, sched.dow
    if isinstance(dom, Spec) and day.day not in dom.values:
        return False
    if isinstance(dom, str) and special_day(dom, day.year, day.month) != day.day:
        return False
    quartz_day = (day.weekday() + 1) % 7 + 1  # Monday = 2 ... Sunday = 1
    if isinstance(dow, frozenset):
        return quartz_day in dow
    if isinstance(dow, str):
        weekday_text, sep, nth = dow.partition("#")
        wanted = int(weekday_text.rstrip("L"))
        if quartz_day != wanted:
            return False
        if sep:
            return (day.day - 1) // 7 + 1 == int(nth)
        return day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    return True


def runs_between(fields: CronFields, start: datetime, end: datetime) -> list[int]:
    """Every run (epoch ms, UTC) with ``start <= run < end``.

    Memoised per (fields, start, end): the schedule checks ask the same for every task with
    the same schedule (10,000 tasks on 60 schedules walk 60 calendars, not 10,000)."""
    return list(_runs_between(fields, start, end))


@functools.lru_cache(maxsize=4096)
def _runs_between(fields: CronFields, start: datetime, end: datetime) -> tuple[int, ...]:
    parsed = parse(fields)
    start_ms = int(start.timestamp() * 1000)
    end_ms = int(end.timestamp() * 1000)
    out: list[int] = []
    day = start.astimezone(_UTC).date()
    last = end.astimezone(_UTC).date()
    offsets = [minute * 60_000 for minute in parsed.times]
    while day <= last:
        if day_matches(parsed.sched, day):
            base = calendar.timegm(day.timetuple()) * 1000
            if start_ms <= base and base + _DAY_MS <= end_ms:
                out.extend([base + offset for offset in offsets])
            else:  # the first or last day: only the times inside the span
                out.extend([base + o for o in offsets if start_ms <= base + o < end_ms])
        day += timedelta(days=1)
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def matching_days(fields: CronFields, first: date, days: int) -> int:
    sched = parse(fields).sched
    return sum(1 for i in range(days) if day_matches(sched, first + timedelta(days=i)))


def longest_gap_days(fields: CronFields, first: date, days: int) -> int | None:
    """The most days from one day with runs to the next within ``days`` days from ``first``
    (None: fewer than two such days). Every day or weekday schedules answer at once."""
    sched = parse(fields).sched
    if sched.month.values == frozenset(range(1, 13)) and sched.dom is None:
        return 7 if sched.dow is not None else 1  # some weekday of every week
    return _longest_gap_days(fields, first, days)


@functools.lru_cache(maxsize=4096)
def _longest_gap_days(fields: CronFields, first: date, days: int) -> int | None:
    sched = parse(fields).sched
    matched = [i for i in range(days) if day_matches(sched, first + timedelta(days=i))]
    if len(matched) < 2:
        return None
    return max(b - a for a, b in pairwise(matched))


def runs_per_week(fields: CronFields, now: datetime) -> float:
    """Average runs per week over the 52 weeks from ``now``'s day (UTC)."""
    per_day = len(parse(fields).times)
    return per_day * matching_days(fields, now.astimezone(_UTC).date(), 364) / 52


def format_rate(value: float) -> str:
    """``5``, ``0.5``, ``0.02``, ``10080``: whole numbers plainly, small ones to 2 digits."""
    if abs(value - round(value)) < 0.005:
        return str(round(value))
    return f"{value:.2f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.1f}"
