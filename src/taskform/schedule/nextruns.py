"""Fire times of portal schedules: :func:`next_runs` (re-exported by :mod:`.schedule`).

croniter does the fire-time arithmetic: the parsed fields are handed to it as explicit value
lists (day-of-week ``#`` and ``L`` in its spelling). Day-of-month ``L``, ``L-n``, ``LW``,
``L-nW`` and ``nW`` are not handed to it; their days are worked out here month by month
(:func:`special_day`, also used to tell whether a schedule can fire at all).

Times are UTC. A schedule that fires rarely is looked for up to 50 years ahead.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from croniter import CroniterError, croniter

from taskform.epoch import EPOCH
from taskform.model import CronFields
from taskform.schedule.cron import (
    HOUR,
    MINUTE,
    MONTH,
    FieldDef,
    Sched,
    Spec,
    all_values,
    parse_portal,
    require_one_day_field,
    unix_dow,
)

_UTC = timezone.utc
_ONE_MS = timedelta(milliseconds=1)
#: How far :func:`next_runs` looks ahead for a schedule that fires rarely (as croniter does).
_HORIZON_YEARS = 50


# --------------------------------------------------------------------------- special days


def _nearest_weekday(year: int, month: int, day: int) -> int:
    """The weekday (Mon-Fri) nearest to ``day``, staying within the month (Quartz's ``W``)."""
    last = calendar.monthrange(year, month)[1]
    day = min(day, last)
    weekday = calendar.weekday(year, month, day)  # Monday = 0
    if weekday == 5:
        return day - 1 if day > 1 else day + 2
    if weekday == 6:
        return day + 1 if day < last else day - 2
    return day


def special_day(token: str, year: int, month: int) -> int | None:
    """The day a day-of-month ``L``/``W`` token selects in a month, or None."""
    last = calendar.monthrange(year, month)[1]
    if token.startswith("L"):
        weekday = token.endswith("W")
        offset_text = token[2:].rstrip("W") if token.startswith("L-") else "0"
        day = last - int(offset_text)
        if day < 1:
            return None
        return _nearest_weekday(year, month, day) if weekday else day
    return _nearest_weekday(year, month, int(token[:-1]))


# --------------------------------------------------------------------------- fire times


def _as_ms(moment: datetime) -> int:
    return (moment - EPOCH) // _ONE_MS


def _croniter_expr(sched: Sched) -> str:
    def values(spec: Spec, fdef: FieldDef) -> str:
        if spec.values == all_values(fdef):
            return "*"
        return ",".join(str(v) for v in sorted(spec.values))

    if sched.dom is None:
        dom = "*"
    else:  # L/W tokens are handled by _special_runs
        assert isinstance(sched.dom, Spec)
        dom = ",".join(str(v) for v in sorted(sched.dom.values))
    if sched.dow is None:
        dow = "*"
    elif isinstance(sched.dow, str):
        unix = unix_dow(sched.dow)
        dow = f"L{unix[:-1]}" if unix.endswith("L") else unix  # croniter spells it 'L5'
    else:
        dow = ",".join(str(v - 1) for v in sorted(sched.dow))
    return " ".join(
        (
            values(sched.minute, MINUTE),
            values(sched.hour, HOUR),
            dom,
            values(sched.month, MONTH),
            dow,
        )
    )


def _croniter_runs(sched: Sched, base: datetime) -> Iterator[datetime]:
    try:
        itr = croniter(_croniter_expr(sched), base)
        while True:
            moment = itr.get_next(datetime)
            if not isinstance(moment, datetime):  # pragma: no cover - croniter contract
                return
            yield moment.astimezone(_UTC)
    except CroniterError:  # CroniterBadDateError: nothing within croniter's horizon
        return


def _special_runs(sched: Sched, base: datetime) -> Iterator[datetime]:
    assert isinstance(sched.dom, str)
    minutes = sorted(sched.minute.values)
    hours = sorted(sched.hour.values)
    year, month = base.year, base.month
    idle = 0  # months since the last fire time; give up after _HORIZON_YEARS without one
    while idle < 12 * _HORIZON_YEARS:
        idle += 1
        if month in sched.month.values:
            day = special_day(sched.dom, year, month)
            if day is not None and (year, month, day) >= (base.year, base.month, base.day):
                for hour in hours:
                    for minute in minutes:
                        moment = datetime(year, month, day, hour, minute, tzinfo=_UTC)
                        if moment > base:
                            idle = 0
                            yield moment
        month += 1
        if month > 12:
            year, month = year + 1, 1


def next_runs(
    fields: CronFields,
    *,
    after: datetime,
    count: int = 3,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> list[int]:
    """The next ``count`` fire times (epoch milliseconds, UTC) strictly after ``after``.

    ``start_ms``/``end_ms`` are the task's start and end dates (both inclusive); fewer than
    ``count`` times come back when the window ends or the schedule fires no more within 50
    years. A naive ``after`` is taken as UTC.

    Raises :class:`ScheduleError` for fields that are not a valid portal schedule.
    """
    sched = parse_portal(fields)
    require_one_day_field(sched, fields)
    base = after.replace(tzinfo=_UTC) if after.tzinfo is None else after.astimezone(_UTC)
    runs: list[int] = []
    if count <= 0:
        return runs
    try:
        if start_ms is not None:
            base = max(base, EPOCH + timedelta(milliseconds=start_ms) - _ONE_MS)
        special = isinstance(sched.dom, str)
        moments = _special_runs(sched, base) if special else _croniter_runs(sched, base)
        for moment in moments:
            ms = _as_ms(moment)
            if end_ms is not None and ms > end_ms:
                break
            runs.append(ms)
            if len(runs) >= count:
                break
    except (OverflowError, ValueError):  # beyond what datetime can represent (year 9999)
        pass
    return runs
