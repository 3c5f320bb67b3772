"""Quartz cron fields as the portal stores them: validation and next fire times.

The portal keeps a task's schedule as five Quartz ``CronExpression`` fields
(docs/design.md §A7.1-7.2):

============  ==========  =====================================  ==========================
field         range       characters                             names / specials
============  ==========  =====================================  ==========================
minute        0-59        ``, - * /``
hour          0-23        ``, - * /``
dayOfMonth    1-31        ``, - * ? / L W C``                    ``L``, ``L-n``, ``LW``,
                                                                 ``nW``, ``nC``
month         1-12        ``, - * /``                            ``JAN``-``DEC``
dayOfWeek     1-7 (1=SUN) ``, - * ? / L C #``                    ``SUN``-``SAT``, ``L``,
                                                                 ``xL``, ``x#k``, ``xC``
============  ==========  =====================================  ==========================

Rules enforced (Quartz's own, the stricter reading of docs/design.md §A14 question 3):

* exactly one of dayOfMonth / dayOfWeek is ``?`` (Quartz: "Support for specifying both a
  day-of-week AND a day-of-month parameter is not implemented");
* ``L``, ``W``, ``#`` and ``C`` stand alone in their field (no lists or ranges around them);
* ranges may wrap (``22-2``, ``FRI-MON``), as in Quartz 2.x; steps are ``1..max``;
* names are three letters, case-insensitive;
* a schedule that never fires (``0 0 30 2 ?``) is rejected, as Quartz refuses to schedule
  a trigger that will never fire.

``C`` ("calendar") has no calendar to consult in the emulator, so ``5C`` fires like ``5``.
All times are UTC (docs/design.md §A14 question 2: the evaluation zone is undocumented).

Next fire times are computed with croniter after translating the fields to croniter syntax
(explicit value lists, weekdays shifted to 0-6). croniter has no ``LW`` or ``L-n``; those two
day-of-month forms are resolved month by month here.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import TypeVar

from croniter import croniter
from croniter.croniter import CroniterError

FIELDS = ("minute", "hour", "dayOfMonth", "month", "dayOfWeek")

MONTH_NAMES = {
    name: i + 1
    for i, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    )
}
WEEKDAY_NAMES = {
    name: i + 1 for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])
}

_ALLOWED = {
    "minute": set(",-*/"),
    "hour": set(",-*/"),
    "dayOfMonth": set(",-*?/LWC"),
    "month": set(",-*/"),
    "dayOfWeek": set(",-*?/LC#"),
}
_BOUNDS = {
    "minute": (0, 59),
    "hour": (0, 23),
    "dayOfMonth": (1, 31),
    "month": (1, 12),
    "dayOfWeek": (1, 7),
}
_NAMES: dict[str, dict[str, int]] = {"month": MONTH_NAMES, "dayOfWeek": WEEKDAY_NAMES}
_NAME_RE = re.compile(r"[A-Z]{3}")
_MAX_MONTHS_SEARCHED = 12 * 50
_T = TypeVar("_T")


class QuartzError(ValueError):
    """One or more cron fields are invalid; ``problems`` says what and where."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class DaySpec:
    """A day field. kind: any | values | last (n = offset) | last_weekday | nearest (n = day)
    | nth (n = weekday 1-7, k = 1-5) | last_dow (n = weekday 1-7)."""

    kind: str
    values: tuple[int, ...] = ()
    n: int = 0
    k: int = 0


@dataclass(frozen=True)
class Schedule:
    """A parsed, valid Quartz schedule (UTC)."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: tuple[int, ...]
    dom: DaySpec
    dow: DaySpec

    def next_after(self, after_ms: int) -> int | None:
        """First fire time strictly after ``after_ms`` (epoch ms), or None if there is none."""
        times = self.next_times(after_ms, 1)
        return times[0] if times else None

    def next_times(self, after_ms: int, count: int) -> list[int]:
        """The first ``count`` fire times strictly after ``after_ms`` (epoch ms).

        Fires happen on whole minutes, so every instant of one minute has the same next fire
        times: they are memoised per (schedule, minute), which makes listing 100 tasks or
        writing 1,000 a dictionary look-up each instead of a croniter walk each."""
        return list(_next_times(self, after_ms - after_ms % _MINUTE_MS, count))

    def compute_next_times(self, after_ms: int, count: int) -> list[int]:
        """:meth:`next_times` without the memo."""
        start = datetime.fromtimestamp(after_ms / 1000, tz=timezone.utc)
        custom = self.dom.kind == "last_weekday" or (self.dom.kind == "last" and self.dom.n > 0)
        if custom:
            return self._walk_months(start, count)
        try:
            it = croniter(self._croniter_expr(), start)
            return [int(it.get_next(datetime).timestamp()) * 1000 for _ in range(count)]
        except CroniterError:
            return []

    def _croniter_expr(self) -> str:
        def join(values: tuple[int, ...]) -> str:
            return ",".join(str(v) for v in values)

        dom = {
            "any": "*",
            "values": join(self.dom.values),
            "last": "L",
            "nearest": f"{self.dom.n}W",
        }
        dow = {
            "any": "*",
            "values": join(tuple(v - 1 for v in self.dow.values)),
            "nth": f"{self.dow.n - 1}#{self.dow.k}",
            "last_dow": f"L{self.dow.n - 1}",
        }
        fields = [join(self.minutes), join(self.hours), dom[self.dom.kind], join(self.months)]
        return " ".join([*fields, dow[self.dow.kind]])

    def _walk_months(self, start: datetime, count: int) -> list[int]:
        """Fire times for ``LW`` and ``L-n``, which croniter cannot express."""
        found: list[int] = []
        year, month = start.year, start.month
        for _ in range(_MAX_MONTHS_SEARCHED):
            if month in self.months:
                day = self._target_day(year, month)
                if day is not None:
                    for hour in self.hours:
                        for minute in self.minutes:
                            when = datetime(year, month, day, hour, minute, tzinfo=timezone.utc)
                            if when > start:
                                found.append(int(when.timestamp()) * 1000)
                                if len(found) == count:
                                    return found
            month += 1
            if month == 13:
                year, month = year + 1, 1
        return found

    def _target_day(self, year: int, month: int) -> int | None:
        last = calendar.monthrange(year, month)[1]
        if self.dom.kind == "last":
            day = last - self.dom.n
            return day if day >= 1 else None
        when = datetime(year, month, last, tzinfo=timezone.utc)
        while when.weekday() >= 5:  # Saturday / Sunday: step back to Friday
            when -= timedelta(days=1)
        return when.day


_MINUTE_MS = 60_000


@lru_cache(maxsize=65_536)
def _next_times(schedule: Schedule, minute_ms: int, count: int) -> tuple[int, ...]:
    return tuple(schedule.compute_next_times(minute_ms, count))


def _value(text: str, field: str) -> int:
    low, high = _BOUNDS[field]
    names = _NAMES.get(field, {})
    upper = text.upper()
    if not text:
        raise ValueError("a number is missing")
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise ValueError(f"'{text}' is not a number" + (" or a name" if names else ""))
    number = int(text)
    if not low <= number <= high:
        raise ValueError(f"{number} is outside {low}-{high}")
    return number


def _parse_list(text: str, field: str) -> tuple[int, ...]:
    low, high = _BOUNDS[field]
    out: set[int] = set()
    for part in text.split(","):
        if not part:
            raise ValueError("empty list element")
        base, slash, step_text = part.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or not 1 <= int(step_text) <= high:
                raise ValueError(f"step '{step_text}' must be a number from 1 to {high}")
            step = int(step_text)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _value(a, field), _value(b, field)
        else:
            first = _value(base, field)
            last = high if slash else first
        if first <= last:
            sequence = list(range(first, last + 1))
        else:  # Quartz 2.x ranges wrap around: 22-2 = 22,23,0,1,2
            sequence = list(range(first, high + 1)) + list(range(low, last + 1))
        out.update(sequence[::step])
    return tuple(sorted(out))


def _parse_dom(text: str) -> DaySpec:
    upper = text.upper()
    if upper == "?":
        return DaySpec("any")
    if any(c in upper for c in "LWC"):
        if "," in upper or "/" in upper:
            raise ValueError("'L', 'W' and 'C' cannot be combined with lists or increments")
        if upper == "L":
            return DaySpec("last")
        if upper == "LW":
            return DaySpec("last_weekday")
        if upper.startswith("L-"):
            offset = upper[2:]
            if not offset.isdigit() or int(offset) > 30:
                raise ValueError("'L-n' needs n from 0 to 30")
            return DaySpec("last", n=int(offset))
        if upper.endswith("W") and "-" not in upper:
            return DaySpec("nearest", n=_value(upper[:-1], "dayOfMonth"))
        if upper.endswith("C") and "-" not in upper:
            return DaySpec("values", values=(_value(upper[:-1], "dayOfMonth"),))
        raise ValueError("use L, L-n, LW, nW or nC on their own")
    values = _parse_list(text, "dayOfMonth")
    return DaySpec("any") if upper == "*" else DaySpec("values", values=values)


def _parse_dow(text: str) -> DaySpec:
    upper = text.upper()
    if upper == "?":
        return DaySpec("any")
    special = "#" in upper or "C" in _NAME_RE.sub("", upper) or "L" in _NAME_RE.sub("", upper)
    if special:
        if "," in upper or "/" in upper or "-" in upper:
            raise ValueError("'L', '#' and 'C' cannot be combined with lists, ranges or increments")
        if upper == "L":  # alone, L is the last day of the week: Saturday
            return DaySpec("values", values=(7,))
        if "#" in upper:
            day, _, nth = upper.partition("#")
            if not nth.isdigit() or not 1 <= int(nth) <= 5:
                raise ValueError("'x#k' needs k from 1 to 5")
            return DaySpec("nth", n=_value(day, "dayOfWeek"), k=int(nth))
        if upper.endswith("L"):
            return DaySpec("last_dow", n=_value(upper[:-1], "dayOfWeek"))
        if upper.endswith("C"):
            return DaySpec("values", values=(_value(upper[:-1], "dayOfWeek"),))
        raise ValueError("use L, xL, x#k or xC on their own")
    values = _parse_list(text, "dayOfWeek")
    return DaySpec("any") if upper == "*" else DaySpec("values", values=values)


def _check_characters(field: str, text: str) -> None:
    stripped = text.upper()
    if field in _NAMES:
        names = _NAMES[field]
        stripped = _NAME_RE.sub(lambda m: "" if m.group(0) in names else m.group(0), stripped)
    bad = sorted({c for c in stripped if not c.isdigit() and c not in _ALLOWED[field]})
    if bad:
        allowed = " ".join(sorted(_ALLOWED[field]))
        shown = " ".join(bad)
        raise ValueError(f"character(s) {shown} not allowed (allowed: digits and {allowed})")


def parse(fields: Mapping[str, str | None]) -> Schedule:
    """Validate the five fields and return the schedule; raise QuartzError listing every problem."""
    problems: list[str] = []
    texts: dict[str, str] = {}
    for field in FIELDS:
        text = fields.get(field)
        if text is None or text == "":
            problems.append(f"Missing required cron field '{field}'.")
        else:
            texts[field] = text
    if problems:
        raise QuartzError(problems)
    return _parse_cached(tuple(texts[f] for f in FIELDS))


@lru_cache(maxsize=4096)
def _parse_cached(texts: tuple[str, ...]) -> Schedule:
    problems: list[str] = []

    def attempt(field: str, text: str, parse_field: Callable[[str], _T], fallback: _T) -> _T:
        try:
            _check_characters(field, text)
            return parse_field(text)
        except ValueError as exc:
            problems.append(f"Invalid cron field {field} '{text}': {exc}.")
            return fallback

    minute, hour, dom_text, month, dow_text = texts
    none: tuple[int, ...] = ()
    minutes = attempt("minute", minute, lambda t: _parse_list(t, "minute"), none)
    hours = attempt("hour", hour, lambda t: _parse_list(t, "hour"), none)
    dom = attempt("dayOfMonth", dom_text, _parse_dom, DaySpec("any"))
    months = attempt("month", month, lambda t: _parse_list(t, "month"), none)
    dow = attempt("dayOfWeek", dow_text, _parse_dow, DaySpec("any"))
    if dom_text == "?" and dow_text == "?":
        problems.append("'?' can only be specified for dayOfMonth or dayOfWeek, not both.")
    elif dom_text != "?" and dow_text != "?":
        problems.append(
            "Support for specifying both a dayOfWeek and a dayOfMonth value is not implemented: "
            f"exactly one of them must be '?' "
            f"(got dayOfMonth '{dom_text}', dayOfWeek '{dow_text}')."
        )
    if problems:
        raise QuartzError(problems)
    schedule = Schedule(minutes=minutes, hours=hours, months=months, dom=dom, dow=dow)
    # Every valid schedule without a year field that fires at all fires within a few years of
    # any instant, so searching from the epoch is enough (and keeps this cache pure).
    if schedule.next_after(0) is None:
        raise QuartzError(["The schedule never fires (no date matches all cron fields)."])
    return schedule


def interval_seconds(schedule: Schedule, now_ms: int) -> int:
    """Seconds between the next two fire times after ``now_ms`` (the task's runIntervalSeconds)."""
    times = schedule.next_times(now_ms, 2)
    return (times[1] - times[0]) // 1000 if len(times) == 2 else 0
