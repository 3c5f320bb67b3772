"""Schedules in local wall time: ``timezone: Area/City`` compiled to the portal's UTC fields.

The portal runs the five cron fields in UTC, and a UTC cron cannot follow daylight saving
time by itself. taskform's rule (the README's "Time zones" section says it for users):

* A task's schedule is local wall time in its zone. :func:`compile_schedule` turns it into UTC
  fields using the UTC offset **in force at the task's next local run** (after ``now``).
* So an apply (or a plan) made at any time between the last run before a DST transition and the
  first run after it compiles the new offset; runs keep their local time as long as apply runs
  at least once in that interval. Runs between a transition and the next apply fire an hour off.
* :func:`next_transition` says when the zone's offset next changes, for the plan to show; drift
  names a schedule that differs only by the zone's other offset ``offset_changed``.

Shifting by the offset moves every (hour, minute) pair of the schedule by the same amount. The
result must again be one cron expression: the shifted pairs must form a grid of hours x minutes,
and if they cross midnight the day fields shift too, which works for weekdays and for days of
the month 2-27 but not for ``L``/``W``/``#`` days or restricted months; such schedules are
errors that say what to write instead.

Time zone data comes from the standard library's :mod:`zoneinfo`, which falls back to the
``tzdata`` package (a dependency) where the system has no tz database.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from taskform.errors import ScheduleError
from taskform.model import CronFields
from taskform.schedule.cron import (
    HOUR,
    MINUTE,
    MONTH,
    Spec,
    all_values,
    compact,
    parse_portal,
    quote,
)
from taskform.schedule.hashing import expand
from taskform.schedule.nextruns import next_runs
from taskform.schedule.translate import to_portal

_UTC = timezone.utc
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Z", "GMT", "Etc/GMT", "Universal", "Zulu"})


@functools.lru_cache(maxsize=256)
def load_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; :class:`ScheduleError` with a suggestion if there is none."""
    try:
        if not name or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        close = _suggest(name)
        hint = f"did you mean '{close}'?" if close else "use an IANA name such as Europe/Oslo"
        raise ScheduleError(f"unknown time zone {quote(name)} ({hint})") from None


def _suggest(name: str) -> str | None:
    import difflib

    lowered = {z.lower(): z for z in available_timezones()}
    if name.lower() in lowered:
        return lowered[name.lower()]
    found = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.7)
    return lowered[found[0]] if found else None


def is_utc(zone: str | None) -> bool:
    return zone is None or zone in _UTC_NAMES


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def next_local_run(local: CronFields, zone: ZoneInfo, now: datetime) -> datetime | None:
    """The next run of ``local`` (wall-time fields) after ``now``, as an aware local time."""
    wall = now.astimezone(zone).replace(tzinfo=None)
    runs = next_runs(local, after=wall.replace(tzinfo=_UTC), count=1)
    if not runs:
        return None
    naive = datetime.fromtimestamp(runs[0] / 1000, tz=_UTC).replace(tzinfo=None)
    return naive.replace(tzinfo=zone)


def offset_minutes(zone: ZoneInfo, moment: datetime) -> int:
    """Minutes east of UTC in ``zone`` at ``moment`` (a naive moment is local wall time)."""
    local = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
    offset = local.utcoffset()
    assert offset is not None
    return int(offset.total_seconds() // 60)


@dataclass(frozen=True)
class Compiled:
    """A schedule compiled for the portal: the UTC fields and, for a local zone, the offset
    (minutes east of UTC) they were compiled with."""

    fields: CronFields
    offset: int = 0


def compile_schedule(
    expr: str,
    *,
    owner: str,
    title: str,
    zone: str | None = None,
    now: datetime | None = None,
) -> Compiled:
    """``expr`` (Unix cron or a macro, ``H`` allowed, local wall time in ``zone``) as the
    portal's UTC fields. Raises :class:`ScheduleError`."""
    local = to_portal(expand(expr, owner, title))
    if is_utc(zone):
        return Compiled(local)
    assert zone is not None
    tz = load_zone(zone)
    now = now or datetime.now(_UTC)
    run = next_local_run(local, tz, now)
    offset = offset_minutes(tz, run) if run is not None else offset_minutes(tz, now)
    return Compiled(shift(local, offset, expr=expr, zone=zone), offset)


@functools.lru_cache(maxsize=256)
def zone_offsets(zone: str, now: datetime, days: int = 400) -> tuple[int, ...]:
    """Every UTC offset (minutes) ``zone`` has from a year ago to a year ahead of ``now``."""
    tz = load_zone(zone)
    found: list[int] = []
    start = now - timedelta(days=days)
    for step in range(0, 2 * days, 7):
        value = offset_minutes(tz, start + timedelta(days=step))
        if value not in found:
            found.append(value)
    return tuple(found)


@dataclass(frozen=True)
class Transition:
    """A change of a zone's UTC offset: when (UTC) and from/to (minutes east of UTC)."""

    at: datetime
    before: int
    after: int


@functools.lru_cache(maxsize=256)
def transitions(zone: str, start: datetime, days: int = 366) -> tuple[Transition, ...]:
    """The offset changes of ``zone`` in the ``days`` after ``start``, to the minute."""
    tz = load_zone(zone)
    found: list[Transition] = []
    step = timedelta(hours=6)
    moment = start.astimezone(_UTC)
    end = moment + timedelta(days=days)
    current = offset_minutes(tz, moment)
    while moment < end:
        later = moment + step
        value = offset_minutes(tz, later)
        if value != current:
            lo, hi = moment, later  # bisect to the minute
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if offset_minutes(tz, mid) == current:
                    lo = mid
                else:
                    hi = mid
            at = hi.replace(second=0, microsecond=0)
            found.append(Transition(at, current, value))
            current = value
        moment = later
    return tuple(found)


def next_transition(zone: str | None, now: datetime) -> Transition | None:
    if is_utc(zone):
        return None
    assert zone is not None
    found = transitions(zone, now)
    return found[0] if found else None


def format_offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# --------------------------------------------------------------------------- shifting


def _fail(expr: str, zone: str, detail: str) -> ScheduleError:
    return ScheduleError(
        f"invalid schedule {quote(expr)} in time zone {zone}: {detail}; choose times that stay"
        " on one UTC day, or write the schedule in UTC (timezone: UTC)"
    )


def _spec_text(spec: Spec, original: str, values: set[int], fdef_all: frozenset[int]) -> str:
    if set(spec.values) == values:
        return original
    if values == set(fdef_all):
        return "*"
    return compact(values)


def shift(local: CronFields, offset: int, *, expr: str = "", zone: str = "") -> CronFields:
    """``local`` fields moved from wall time at ``offset`` minutes east of UTC to UTC."""
    if offset == 0:
        return local
    sched = parse_portal(local)
    pairs: dict[tuple[int, int], int] = {}
    for hour in sched.hour.values:
        for minute in sched.minute.values:
            total = hour * 60 + minute - offset
            day, rest = divmod(total, 24 * 60)
            pairs[divmod(rest, 60)] = day
    hours = {h for h, _ in pairs}
    minutes = {m for _, m in pairs}
    if len(pairs) != len(hours) * len(minutes):
        raise _fail(expr, zone, "the shifted hours and minutes are no longer one grid")
    days = set(pairs.values())
    every_day = sched.dom is None and sched.dow is None
    if len(days) > 1 and not every_day:
        raise _fail(expr, zone, "some runs fall on the next or previous UTC day and some not")
    day = days.pop() if len(days) == 1 else 0
    dom, dow = local.day_of_month, local.day_of_week
    if day and not every_day:
        if sched.month.values != all_values(MONTH):
            raise _fail(expr, zone, "the runs cross midnight in UTC and the months are restricted")
        if isinstance(sched.dom, Spec):
            shifted = {v + day for v in sched.dom.values}
            if min(shifted) < 1 or max(shifted) > 28:
                raise _fail(expr, zone, "the runs cross midnight in UTC into another month")
            dom = compact(shifted)
        elif isinstance(sched.dow, frozenset):
            dow = compact({(v - 1 + day) % 7 + 1 for v in sched.dow})
        else:
            raise _fail(expr, zone, "the runs cross midnight in UTC and use L, W or #")
    elif day and sched.month.values != all_values(MONTH):
        raise _fail(expr, zone, "the runs cross midnight in UTC and the months are restricted")
    return CronFields(
        minute=_spec_text(sched.minute, local.minute, minutes, all_values(MINUTE)),
        hour=_spec_text(sched.hour, local.hour, hours, all_values(HOUR)),
        day_of_month=dom,
        month=local.month,
        day_of_week=dow,
    )


# --------------------------------------------------------------------------- DST lint


@dataclass(frozen=True)
class WallProblem:
    """A local run time that does not exist (``gap``) or occurs twice (``fold``)."""

    kind: str
    local: datetime  # naive wall time
    transition: Transition


@functools.lru_cache(maxsize=1024)
def wall_problems(local: CronFields, zone: str, now: datetime) -> tuple[WallProblem, ...]:
    """Local run times in the next year that fall into a DST gap or fold of ``zone``."""
    problems: list[WallProblem] = []
    for change in transitions(zone, now):
        low, high = sorted((change.before, change.after))
        start = (change.at + timedelta(minutes=low)).replace(tzinfo=None)
        end = (change.at + timedelta(minutes=high)).replace(tzinfo=None)
        kind = "gap" if change.after > change.before else "fold"
        after = (start - timedelta(minutes=1)).replace(tzinfo=_UTC)
        for ms in next_runs(local, after=after, count=120, end_ms=_ms(end.replace(tzinfo=_UTC))):
            wall = datetime.fromtimestamp(ms / 1000, tz=_UTC).replace(tzinfo=None)
            if start <= wall < end:
                problems.append(WallProblem(kind, wall, change))
    return tuple(problems)
