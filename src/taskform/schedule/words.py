"""A schedule in words, for the plan: ``0 5 * * 1-5`` -> "at 05:00 UTC, Monday to Friday".

Works on the portal fields (any client's), so the plan can describe both sides of a change.
"""

from __future__ import annotations

import calendar

from taskform.errors import ScheduleError
from taskform.model import CronFields, DesiredTask
from taskform.schedule.cron import HOUR, MINUTE, MONTH, Spec, all_values, parse_portal
from taskform.schedule.hashing import expand
from taskform.schedule.translate import to_portal

_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_NTH = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
_MAX_TIMES = 6


def _runs(values: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for v in values:
        if out and v == out[-1][1] + 1:
            out[-1] = (out[-1][0], v)
        else:
            out.append((v, v))
    return out


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _names(values: list[int], names: list[str]) -> str:
    parts = []
    for a, b in _runs(values):
        if b - a >= 2:
            parts.append(f"{names[a]} to {names[b]}")
        else:
            parts.extend(names[v] for v in range(a, b + 1))
    return _join(parts)


def _step(values: list[int], lo: int, hi: int) -> int | None:
    """``n`` if ``values`` is ``lo, lo+n, ...`` up to ``hi`` (a ``*/n``)."""
    if len(values) < 2 or values[0] != lo:
        return None
    n = values[1] - values[0]
    return n if values == list(range(lo, hi + 1, n)) else None


def _times(minute: Spec, hour: Spec, zone: str) -> str:
    minutes, hours = sorted(minute.values), sorted(hour.values)
    every_hour = minute.values and hour.values == all_values(HOUR)
    if minute.values == all_values(MINUTE) and every_hour:
        return "every minute"
    step = _step(minutes, 0, 59)
    if every_hour and step is not None:
        return f"every {step} minutes"
    if every_hour:
        shown = _join([f":{m:02d}" for m in minutes])
        return f"every hour at {shown}"
    if len(minutes) * len(hours) <= _MAX_TIMES:
        shown = _join([f"{h:02d}:{m:02d}" for h in hours for m in minutes])
        return f"at {shown} {zone}"
    hour_step = _step(hours, 0, 23)
    if hour_step is not None and len(minutes) == 1:
        return f"every {hour_step} hours at :{minutes[0]:02d} {zone}"
    hour_text = _join([f"{a:02d}" if a == b else f"{a:02d}-{b:02d}" for a, b in _runs(hours)])
    if step is not None:
        return f"every {step} minutes during hours {hour_text} {zone}"
    minute_text = _join([f":{m:02d}" for m in minutes])
    return f"at {minute_text} past hours {hour_text} {zone}"


def _day_of_month(token: str) -> str:
    if token == "L":
        return "on the last day of the month"
    if token == "LW":
        return "on the last weekday of the month"
    if token.startswith("L-"):
        n = token[2:].rstrip("W")
        weekday = " (the nearest weekday)" if token.endswith("W") else ""
        return f"{n} day{'s' if n != '1' else ''} before the last day of the month{weekday}"
    return f"on the weekday nearest day {token[:-1]} of the month"


def describe(fields: CronFields, zone: str = "UTC") -> str:
    """Words for the schedule; ``zone`` names the zone its times are in."""
    sched = parse_portal(fields)
    parts = [_times(sched.minute, sched.hour, zone)]
    if isinstance(sched.dow, frozenset):
        days = sorted(v - 1 for v in sched.dow)  # 0 = Sunday
        if days == [1, 2, 3, 4, 5]:
            parts.append("Monday to Friday")
        elif days == [0, 6]:
            parts.append("on Saturday and Sunday")
        else:
            # a week that starts on Monday reads best: Sunday goes last
            ordered = [d for d in days if d] + ([7] if 0 in days else [])
            parts.append("on " + _names(ordered, [*_DAYS, "Sunday"]))
    elif isinstance(sched.dow, str):
        day, sep, nth = sched.dow.partition("#")
        name = _DAYS[int(day.rstrip("L")) - 1]
        which = _NTH.get(int(nth), nth) if sep else "last"
        parts.append(f"on the {which} {name} of the month")
    elif isinstance(sched.dom, Spec):
        values = sorted(sched.dom.values)
        label = "day" if len(values) == 1 else "days"
        parts.append(f"on {label} {_names(values, [str(i) for i in range(32)])} of the month")
    elif isinstance(sched.dom, str):
        parts.append(_day_of_month(sched.dom))
    else:
        parts.append("every day")
    if sched.month.values != all_values(MONTH):
        months = sorted(sched.month.values)
        parts.append("in " + _names(months, list(calendar.month_name)))
    return ", ".join(parts)


def local_fields(task: DesiredTask) -> CronFields | None:
    """The task's schedule as wall-time fields in its own zone (UTC fields without one)."""
    if task.schedule is None:
        return None
    if task.timezone is None:
        return task.cron
    try:
        return to_portal(expand(task.schedule, task.owner, task.title))
    except ScheduleError:
        return None


def description(task: DesiredTask) -> str | None:
    local = local_fields(task)
    if local is None:
        return None
    return describe(local, task.timezone or "UTC")
