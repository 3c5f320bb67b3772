"""Schedules: Unix cron as users write it, Quartz-style fields as the portal stores them.

Users write a 5-field Unix cron expression ``minute hour day-of-month month day-of-week`` or a
macro (``@hourly``, ``@daily``, ``@midnight``, ``@weekly``, ``@monthly``, ``@yearly``,
``@annually``). The portal stores five Quartz-style fields (:class:`CronFields`). Times are UTC.

The cron grammar is parsed by hand here, not by croniter: the translation has to be exact at the
level of each field (croniter only exposes expanded value lists, and it has a few readings of
its own, e.g. it treats ``5-5`` as the whole field). croniter is used for the fire-time
arithmetic in :func:`next_runs`.

Public functions:

* :func:`to_portal` — Unix expression to portal fields, validated strictly.
* :func:`to_unix` — portal fields (from any client) back to a Unix expression.
* :func:`schedule_key` — a canonical, hashable key: equal keys mean equal schedules.
* :func:`next_runs` — the next fire times, in epoch milliseconds.

Every function raises only :class:`~taskform.errors.ScheduleError` for bad input.

Decisions
---------
* **Names** (``MON``..``SUN``, ``JAN``..``DEC``, any case) are accepted on input and always
  converted to numbers on output, in both directions. Numbers are unambiguous in both cron
  dialects; they are what the contract's example shows.
* **Day-of-week numbering.** Unix: 0-7, 0 and 7 = Sunday. Quartz: 1-7, 1 = Sunday. A restricted
  day-of-week is always written out as an explicit, compact list of the days it selects
  (``1-5`` -> ``2-6``, ``5-7`` -> ``1,6,7``, ``*/2`` -> ``1,3,5,7``), so no step ever depends on
  a dialect's base.
* **``#`` and ``L`` in day-of-week** use the *Unix* numbering in the user's expression, like the
  rest of the field: ``5#3`` is the third Friday and ``5L`` the last Friday of the month (names
  work too: ``FRI#3``, ``FRIL``). They are shifted for the portal (``6#3``, ``6L``) and back.
  Each must stand alone in its field (Quartz supports no lists with them).
* **Day-of-month extras**, alone in the field: ``L`` (last day), ``L-n`` (n days before the last
  day, n 1-30; months where that falls before the 1st are skipped), ``LW`` (last weekday),
  ``L-nW``, and ``nW`` (the weekday nearest to day n, never leaving the month; a day beyond the
  month's end is taken as its last day, as croniter does).
* **Which day field counts.** A day field is *restricted* when it does not select every day.
  Only one of the two may be restricted (the portal cannot express Unix cron's "either day
  matches" rule). The unrestricted one must then be written exactly ``*``: Unix cron reads
  ``0 0 1-31 * 1`` as "every day", which is almost never meant, so that is an error too. Where
  neither is restricted the portal gets ``dayOfMonth=*``, ``dayOfWeek=?``; otherwise the
  unrestricted one becomes ``?``.
* Ranges must run forwards (``a-b`` with ``a <= b``); steps are 1 up to the field's maximum;
  ``a/n`` means ``a-max/n`` (Quartz's start/step). Schedules that can never fire
  (``0 0 30 2 *``) are errors.
* Reading the portal is lenient where Quartz or other clients are: ``?`` or ``*`` in either or
  both day fields, names in any case, ``0/5``, ``*/1``, full ranges, and Quartz's wrapping
  ranges (``22-2``, ``FRI-MON``).
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TypeAlias

from croniter import CroniterError, croniter

from taskform.engine.model import CronFields
from taskform.errors import ScheduleError

__all__ = [
    "MACROS",
    "FieldKey",
    "ScheduleKey",
    "next_runs",
    "schedule_key",
    "to_portal",
    "to_unix",
]

#: The macros users may write instead of five fields, and what they mean.
MACROS: Mapping[str, str] = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}

#: One field of a :data:`ScheduleKey`: ``"*"`` (every value), the set of values it selects, or a
#: special day token (``"L"``, ``"L-3"``, ``"LW"``, ``"15W"``; ``"6#3"``, ``"6L"`` in Quartz
#: day-of-week numbering).
FieldKey: TypeAlias = str | frozenset[int]
#: ``(minute, hour, day_of_month, month, day_of_week)``, each a :data:`FieldKey`.
ScheduleKey: TypeAlias = tuple[FieldKey, FieldKey, FieldKey, FieldKey, FieldKey]

_FIELD_ORDER = "minute hour day-of-month month day-of-week"
_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)
_ONE_MS = timedelta(milliseconds=1)
#: How far :func:`next_runs` looks ahead for a schedule that fires rarely (as croniter does).
_HORIZON_YEARS = 50


@dataclass(frozen=True)
class _FieldDef:
    label: str
    lo: int
    hi: int
    #: upper end of ``*`` and ``a/n`` (Unix day-of-week: 6, though 7 is a valid value)
    star_hi: int
    names: Mapping[str, int]
    step_max: int

    def describe_range(self) -> str:
        text = f"{self.lo}-{self.hi}"
        if self.names:
            first, *_, last = self.names
            text += f" or {first}-{last}"
        return text


_MINUTE = _FieldDef("minute", 0, 59, 59, {}, 59)
_HOUR = _FieldDef("hour", 0, 23, 23, {}, 23)
_DOM = _FieldDef("day-of-month", 1, 31, 31, {}, 31)
_MONTH = _FieldDef("month", 1, 12, 12, {n: i + 1 for i, n in enumerate(_MONTH_NAMES)}, 12)
_UNIX_DOW = _FieldDef("day-of-week", 0, 7, 6, {n: i for i, n in enumerate(_DAY_NAMES)}, 7)
_QUARTZ_DOW = _FieldDef("day-of-week", 1, 7, 7, {n: i + 1 for i, n in enumerate(_DAY_NAMES)}, 7)


@dataclass(frozen=True)
class _Item:
    """One comma-separated item of a numeric field.

    ``start is None``: ``*`` (with optional step). ``end is None`` with a step: ``a/n``.
    """

    start: int | None
    end: int | None
    step: int | None


@dataclass(frozen=True)
class _Spec:
    """A parsed numeric field: its items (for faithful re-rendering) and the values selected."""

    items: tuple[_Item, ...]
    values: frozenset[int]


@dataclass(frozen=True)
class _Sched:
    """A parsed schedule in dialect-neutral form.

    ``dom``/``dow`` are ``None`` when unrestricted. ``dow`` values and special tokens use the
    Quartz numbering (1-7, 1 = Sunday).
    """

    minute: _Spec
    hour: _Spec
    dom: _Spec | str | None
    month: _Spec
    dow: frozenset[int] | str | None


class _Bad(Exception):
    """Internal: a problem in one field; turned into a ScheduleError with context."""


# --------------------------------------------------------------------------- numeric fields


def _q(text: str, limit: int = 60) -> str:
    """Quote user text for a message, shortened so garbage cannot flood the output."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


_ITEM_RE = re.compile(r"^(?:(\*)|([0-9A-Z]+)(?:-([0-9A-Z]+))?)(?:/([0-9]+))?$")
_INT_RE = re.compile(r"^[0-9]+$")


def _number(text: str, what: str) -> int:
    """An ASCII decimal number; absurdly long ones are out of every range anyway."""
    if not _INT_RE.match(text):
        raise _Bad(f"{what} {_q(text)} is not a number")
    return int(text) if len(text) <= 6 else 10**6


def _value(token: str, fdef: _FieldDef) -> int:
    if _INT_RE.match(token):
        value = _number(token, f"{fdef.label} value")
        if not fdef.lo <= value <= fdef.hi:
            extra = " (0 and 7 are Sunday)" if fdef is _UNIX_DOW else ""
            raise _Bad(
                f"{fdef.label} value {_q(token)} is out of range:"
                f" use {fdef.describe_range()}{extra}"
            )
        return value
    if token in fdef.names:
        return fdef.names[token]
    if fdef.names:
        raise _Bad(
            f"unknown {fdef.label} name {_q(token)}: use {fdef.describe_range()}"
            f" ({', '.join(fdef.names)})"
        )
    raise _Bad(f"{fdef.label} value {_q(token)} is not a number: use {fdef.describe_range()}")


def _item_values(item: _Item, fdef: _FieldDef) -> list[int]:
    step = item.step or 1
    if item.start is None:
        return list(range(fdef.lo, fdef.star_hi + 1, step))
    if item.end is None:
        if item.step is None:
            return [item.start]
        # Unix day-of-week "7/n" starts on Sunday, i.e. at 0 (as croniter reads it)
        start = item.start % 7 if fdef is _UNIX_DOW else item.start
        return list(range(start, fdef.star_hi + 1, step))
    if item.start <= item.end:
        return list(range(item.start, item.end + 1, step))
    # Quartz wraps a backwards range over the end of the field, the step carrying across.
    size = fdef.hi - fdef.lo + 1
    values = []
    for i in range(item.start, item.end + size + 1, step):
        values.append(fdef.lo + (i - fdef.lo) % size)
    return values


def _parse_numeric(text: str, fdef: _FieldDef, *, quartz: bool) -> _Spec:
    if text == "":
        raise _Bad(f"{fdef.label} is empty: write '*' for every {fdef.label.split('-')[0]}")
    items: list[_Item] = []
    values: set[int] = set()
    for part in text.upper().split(","):
        if part == "":
            raise _Bad(
                f"{fdef.label} {_q(text)} has an empty list item: separate values by one ','"
            )
        m = _ITEM_RE.match(part)
        if not m:
            raise _Bad(
                f"{fdef.label} {_q(text)} is not valid: use numbers {fdef.describe_range()}, '*',"
                " ranges 'a-b', lists 'a,b' and steps '*/n' or 'a-b/n'"
            )
        star, first, last, step_text = m.groups()
        step: int | None = None
        if step_text is not None:
            step = _number(step_text, "step")
            if not 1 <= step <= fdef.step_max:
                raise _Bad(
                    f"{fdef.label} step {_q('/' + step_text)} is out of range:"
                    f" use 1-{fdef.step_max}"
                )
        if star:
            item = _Item(None, None, step)
        else:
            start = _value(first, fdef)
            end = None if last is None else _value(last, fdef)
            if end is not None and end < start and not quartz:
                raise _Bad(_backwards(part, start, end, fdef))
            if end is not None and end == start and not quartz:
                end, step = None, None  # "5-5" and "5-5/3" are just 5
            item = _Item(start, end, step)
        items.append(item)
        values.update(_item_values(item, fdef))
    if fdef is _UNIX_DOW:
        values = {v % 7 for v in values}
    return _Spec(tuple(items), frozenset(values))


def _backwards(part: str, start: int, end: int, fdef: _FieldDef) -> str:
    text = f"{fdef.label} range {_q(part)} runs backwards: write '{end}-{start}'"
    if start <= fdef.star_hi:
        upper = f"{start}-{fdef.star_hi}" if start < fdef.star_hi else str(start)
        lower = f"{fdef.lo}-{end}" if end > fdef.lo else str(end)
        text += f", or '{upper},{lower}' to wrap around"
    return text


def _full(fdef: _FieldDef) -> frozenset[int]:
    if fdef is _UNIX_DOW:
        return frozenset(range(7))
    return frozenset(range(fdef.lo, fdef.hi + 1))


def _compact(values: Iterable[int]) -> str:
    """``{1, 2, 3, 5, 6}`` -> ``"1-3,5,6"`` (runs of three or more become ranges)."""
    ordered = sorted(set(values))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{ordered[i]}-{ordered[j]}")
        else:
            parts.extend(str(v) for v in ordered[i : j + 1])
        i = j + 1
    return ",".join(parts)


def _render_items(spec: _Spec, fdef: _FieldDef, *, quartz: bool) -> str:
    """Re-render a numeric field item by item, names as numbers, in the target dialect."""
    parts: list[str] = []
    for item in spec.items:
        suffix = f"/{item.step}" if item.step is not None else ""
        if item.start is None:
            parts.append("*" + suffix)
        elif item.end is None and item.step is None:
            parts.append(str(item.start))
        elif item.end is None:
            if quartz:
                parts.append(f"{item.start}{suffix}")
            elif item.start == fdef.lo:
                parts.append("*" + suffix)
            elif item.start >= fdef.star_hi:
                parts.append(str(item.start))
            else:
                parts.append(f"{item.start}-{fdef.star_hi}{suffix}")
        elif item.start == item.end:
            parts.append(str(item.start))
        elif item.start < item.end:
            parts.append(f"{item.start}-{item.end}{suffix}")
        else:  # a Quartz wrapping range: spell out what it selects
            parts.append(_compact(_item_values(item, fdef)))
    return ",".join(parts)


# --------------------------------------------------------------------------- day fields

_DOM_LAST_RE = re.compile(r"^L(?:-([0-9]+))?(W?)$")
_DOM_WEEKDAY_RE = re.compile(r"^([0-9]+)W$")
_DOW_NTH_RE = re.compile(r"^([0-9]+|[A-Z]+)#([0-9]+)$")
_DOW_LAST_RE = re.compile(r"^([0-9]+|[A-Z]+)L$")


def _dom_special(text: str) -> str | None:
    """Canonical form of a day-of-month ``L``/``W`` token, or None if it is not one."""
    m = _DOM_LAST_RE.match(text)
    if m:
        offset = 0 if m.group(1) is None else _number(m.group(1), "'L-' offset")
        if offset > 30:
            raise _Bad(
                f"day-of-month {_q(text)}: the offset from the last day must be 0-30 (e.g. 'L-3')"
            )
        return ("L" if offset == 0 else f"L-{offset}") + m.group(2)
    m = _DOM_WEEKDAY_RE.match(text)
    if m:
        day = _number(m.group(1), "day-of-month value")
        if not 1 <= day <= 31:
            raise _Bad(f"day-of-month {_q(text)}: the day before 'W' must be 1-31 (e.g. '15W')")
        return f"{day}W"
    if "L" in text or "W" in text:
        raise _Bad(
            f"day-of-month {_q(text)} is not valid: 'L', 'L-n', 'LW' and 'nW' (e.g. '15W') must"
            " stand alone in the field"
        )
    return None


def _dow_special(text: str, fdef: _FieldDef) -> str | None:
    """Canonical Quartz form (``"6#3"``, ``"6L"``) of a day-of-week ``#``/``L`` token."""
    m = _DOW_NTH_RE.match(text)
    if m:
        day = _value(m.group(1), fdef)
        nth = _number(m.group(2), "'#' occurrence")
        if not 1 <= nth <= 5:
            raise _Bad(
                f"day-of-week {_q(text)}: the number after '#' must be 1-5 (e.g. '5#3', the third"
                " Friday)"
            )
        return f"{_to_quartz_day(day, fdef)}#{nth}"
    m = _DOW_LAST_RE.match(text)
    if m:
        day = _value(m.group(1), fdef)
        return f"{_to_quartz_day(day, fdef)}L"
    if "#" in text or "L" in text:
        raise _Bad(
            f"day-of-week {_q(text)} is not valid: '#' and 'L' take one weekday and must stand"
            " alone in the field, e.g. '5#3' (third Friday) or '5L' (last Friday)"
        )
    return None


def _to_quartz_day(day: int, fdef: _FieldDef) -> int:
    return day % 7 + 1 if fdef is _UNIX_DOW else day


def _parse_dom(text: str, *, quartz: bool) -> _Spec | str | None:
    text = text.upper()
    if text == "?":
        if quartz:
            return None
        raise _Bad("'?' is Quartz syntax, not Unix cron: write '*' for day-of-month")
    if quartz and "C" in text:
        raise _Bad(f"day-of-month {_q(text)}: the Quartz 'C' (calendar) option is not supported")
    special = _dom_special(text)
    if special is not None:
        return special
    spec = _parse_numeric(text, _DOM, quartz=quartz)
    return None if spec.values == _full(_DOM) else spec


def _parse_dow(text: str, *, quartz: bool) -> frozenset[int] | str | None:
    fdef = _QUARTZ_DOW if quartz else _UNIX_DOW
    text = text.upper()
    if text == "?":
        if quartz:
            return None
        raise _Bad("'?' is Quartz syntax, not Unix cron: write '*' for day-of-week")
    if text == "L":
        if quartz:
            return frozenset({7})  # Quartz: 'L' alone in day-of-week is Saturday
        raise _Bad(
            "day-of-week 'L' alone is not Unix cron: write '6' for Saturday, or e.g. '5L' for"
            " the last Friday of the month"
        )
    special = _dow_special(text, fdef)
    if special is not None:
        return special
    spec = _parse_numeric(text, fdef, quartz=quartz)
    values = spec.values if quartz else frozenset(v + 1 for v in spec.values)
    return None if values == _full(_QUARTZ_DOW) else values


# --------------------------------------------------------------------------- Unix -> portal


def _fail(expr: str, detail: str) -> ScheduleError:
    return ScheduleError(f"invalid schedule {_q(expr)}: {detail}")


def _split_unix(expr: str) -> list[str]:
    text = expr.strip(" \t\r\n")
    if not text.isascii():
        raise _fail(expr, "the schedule contains characters that are not plain ASCII")
    if text.startswith("@"):
        macro = MACROS.get(text.lower())
        if macro is None:
            raise _fail(
                expr,
                f"unknown macro {_q(text)}: use one of {', '.join(MACROS)}, or five fields"
                f" ({_FIELD_ORDER})",
            )
        text = macro
    if text == "":
        raise _fail(expr, f"the schedule is empty: write five fields ({_FIELD_ORDER})")
    fields = re.split(r"[ \t]+", text)
    if len(fields) != 5:
        hint = ""
        if len(fields) in (6, 7):
            hint = " (the portal has no seconds or year field: drop them)"
        raise _fail(
            expr,
            f"a schedule has five fields ({_FIELD_ORDER}), this one has {len(fields)}{hint}",
        )
    return fields


def _parse_unix(expr: str) -> _Sched:
    if not isinstance(expr, str):
        raise ScheduleError(f"a schedule must be a string, not {type(expr).__name__}")
    minute_t, hour_t, dom_t, month_t, dow_t = _split_unix(expr)
    try:
        minute = _parse_numeric(minute_t, _MINUTE, quartz=False)
        hour = _parse_numeric(hour_t, _HOUR, quartz=False)
        dom = _parse_dom(dom_t, quartz=False)
        month = _parse_numeric(month_t, _MONTH, quartz=False)
        dow = _parse_dow(dow_t, quartz=False)
    except _Bad as exc:
        raise _fail(expr, str(exc)) from None
    if dom is not None and dow is not None:
        raise _fail(
            expr,
            f"day-of-month {_q(dom_t)} and day-of-week {_q(dow_t)} are both restricted; the portal"
            " can only restrict one of them: use '*' in one of the two fields (or make two"
            " tasks)",
        )
    if dom is None and dow is not None and dom_t != "*":
        raise _fail(
            expr,
            f"day-of-month {_q(dom_t)} covers every day but is not '*'; Unix cron may then run"
            f" every day instead of only on day-of-week {_q(dow_t)}: write '*' in day-of-month",
        )
    if dow is None and dom is not None and dow_t != "*":
        raise _fail(
            expr,
            f"day-of-week {_q(dow_t)} covers every day but is not '*'; Unix cron may then run"
            f" every day instead of only on day-of-month {_q(dom_t)}: write '*' in day-of-week",
        )
    sched = _Sched(minute, hour, dom, month, dow)
    if not _can_fire(sched):
        months = ", ".join(calendar.month_name[m] for m in sorted(month.values))
        raise _fail(
            expr,
            f"day-of-month {_q(dom_t)} never occurs in {months}, so the task would never run:"
            " choose days that exist in the selected months",
        )
    return sched


def _can_fire(sched: _Sched) -> bool:
    if sched.dom is None:
        return True
    for month in sched.month.values:
        longest = _MAX_DAYS[month - 1]
        lengths = (28, 29) if month == 2 else (longest,)
        for ldom in lengths:
            if isinstance(sched.dom, str):
                if _special_day(sched.dom, 2000 if ldom == 29 else 2001, month) is not None:
                    return True
            elif min(sched.dom.values) <= ldom:
                return True
    return False


def to_portal(expr: str) -> CronFields:
    """Translate a Unix cron expression or macro into the portal's five Quartz-style fields.

    Day-of-week numbers become 1-7 with 1 = Sunday and a restricted day-of-week is written as
    an explicit list (``0 2 * * 1-5`` -> dayOfWeek ``2-6``). ``#`` and ``L`` in day-of-week use
    the Unix numbering like the rest of the field: ``5#3`` (third Friday) becomes ``6#3`` and
    ``5L`` (last Friday) becomes ``6L``. Day-of-month ``L``, ``L-n``, ``LW``, ``L-nW`` and ``nW``
    pass through. Names become numbers. The unrestricted day field becomes ``?`` (``*`` for
    day-of-month when neither is restricted).

    Raises :class:`ScheduleError` (and nothing else) with a message saying what to write
    instead for: a wrong number of fields, unknown macros or names, values out of range, bad
    steps, backwards ranges, both day fields restricted, a full day field that is not ``*``
    next to a restricted one, and schedules that can never fire.
    """
    sched = _parse_unix(expr)
    if isinstance(sched.dom, str):
        dom = sched.dom
    elif isinstance(sched.dom, _Spec):
        dom = _render_items(sched.dom, _DOM, quartz=True)
    else:
        dom = "*" if sched.dow is None else "?"
    if sched.dow is None:
        dow = "?"
    elif isinstance(sched.dow, str):
        dow = sched.dow
    else:
        dow = _compact(sched.dow)
    return CronFields(
        minute=_render_items(sched.minute, _MINUTE, quartz=True),
        hour=_render_items(sched.hour, _HOUR, quartz=True),
        day_of_month=dom,
        month=_render_items(sched.month, _MONTH, quartz=True),
        day_of_week=dow,
    )


# --------------------------------------------------------------------------- portal -> Unix


def _describe_fields(fields: CronFields) -> str:
    return " ".join(
        f"{name}={_q(value, 20) if isinstance(value, str) else type(value).__name__}"
        for name, value in _portal_values(fields).items()
    )


def _portal_values(fields: CronFields) -> dict[str, object]:
    return {
        "minute": fields.minute,
        "hour": fields.hour,
        "dayOfMonth": fields.day_of_month,
        "month": fields.month,
        "dayOfWeek": fields.day_of_week,
    }


def _parse_portal(fields: CronFields) -> _Sched:
    if not isinstance(fields, CronFields):
        raise ScheduleError(f"expected portal schedule fields, got {type(fields).__name__}")
    texts: dict[str, str] = {}
    for name, value in _portal_values(fields).items():
        if not isinstance(value, str):
            raise ScheduleError(
                f"invalid portal schedule ({_describe_fields(fields)}): {name} is not a string"
            )
        if not value.isascii():
            raise ScheduleError(
                f"invalid portal schedule ({_describe_fields(fields)}): {name} contains"
                " characters that are not plain ASCII"
            )
        texts[name] = value.strip(" \t\r\n")
    try:
        if "?" in (texts["minute"], texts["hour"], texts["month"]):
            raise _Bad("'?' is only allowed in dayOfMonth and dayOfWeek")
        minute = _parse_numeric(texts["minute"], _MINUTE, quartz=True)
        hour = _parse_numeric(texts["hour"], _HOUR, quartz=True)
        dom = _parse_dom(texts["dayOfMonth"], quartz=True)
        month = _parse_numeric(texts["month"], _MONTH, quartz=True)
        dow = _parse_dow(texts["dayOfWeek"], quartz=True)
    except _Bad as exc:
        raise ScheduleError(
            f"invalid portal schedule ({_describe_fields(fields)}): {exc}"
        ) from None
    return _Sched(minute, hour, dom, month, dow)


def _require_one_day_field(sched: _Sched, fields: CronFields) -> None:
    if sched.dom is not None and sched.dow is not None:
        raise ScheduleError(
            f"invalid portal schedule ({_describe_fields(fields)}): dayOfMonth and dayOfWeek"
            " are both restricted, which the portal cannot run: set one of them to '?'"
        )


def _unix_dow(dow: frozenset[int] | str | None) -> str:
    if dow is None:
        return "*"
    if isinstance(dow, str):
        day, sep, rest = dow.partition("#")
        if sep:
            return f"{int(day) - 1}#{rest}"
        return f"{int(dow[:-1]) - 1}L"
    return _compact(v - 1 for v in dow)


def to_unix(fields: CronFields) -> str:
    """Translate portal fields (made by taskform, the portal's UI or any other client) back to
    the Unix form users write: names become numbers, day-of-week 1-7 becomes 0-6, ``?`` and
    unrestricted day fields become ``*``, ``0/5`` becomes ``*/5``, ``L``/``W``/``#`` are kept
    (``6#3`` -> ``5#3``). ``to_portal(to_unix(f))`` selects the same times as ``f``.

    Raises :class:`ScheduleError` for fields that are not a valid portal schedule, and for
    schedules that restrict both day fields (no Unix expression means the same).
    """
    sched = _parse_portal(fields)
    _require_one_day_field(sched, fields)
    if isinstance(sched.dom, str):
        dom = sched.dom
    elif isinstance(sched.dom, _Spec):
        dom = _render_items(sched.dom, _DOM, quartz=False)
    else:
        dom = "*"
    return " ".join(
        (
            _render_items(sched.minute, _MINUTE, quartz=False),
            _render_items(sched.hour, _HOUR, quartz=False),
            dom,
            _render_items(sched.month, _MONTH, quartz=False),
            _unix_dow(sched.dow),
        )
    )


# --------------------------------------------------------------------------- keys


def _key_of(spec: _Spec, fdef: _FieldDef) -> FieldKey:
    return "*" if spec.values == _full(fdef) else spec.values


@functools.lru_cache(maxsize=8192)
def schedule_key(fields: CronFields) -> ScheduleKey:
    """A canonical, hashable key of portal fields: field sets that fire at the same times give
    equal keys, however they are spelled (``*``/``?``/``*/1``/full ranges in an unrestricted
    day field, ``MON-FRI``/``2-6``/``2,3,4,5,6``, ``JAN``/``1``, ``0/15``/``*/15``/
    ``0,15,30,45``, case and surrounding whitespace).

    Numeric fields become the frozenset of values they select, or ``"*"`` when they select all;
    ``L``/``W``/``#`` tokens become canonical strings (``"L"``, ``"L-3"``, ``"LW"``, ``"15W"``,
    ``"6#3"``, ``"6L"``; day-of-week in Quartz numbering). Fields restricting both day fields
    (which the portal cannot run) still get a key; it equals no valid schedule's key.

    Raises :class:`ScheduleError` for fields that cannot be parsed.
    """
    sched = _parse_portal(fields)
    if sched.dom is None:
        dom: FieldKey = "*"
    elif isinstance(sched.dom, str):
        dom = sched.dom
    else:
        dom = sched.dom.values
    dow: FieldKey = "*" if sched.dow is None else sched.dow
    return (
        _key_of(sched.minute, _MINUTE),
        _key_of(sched.hour, _HOUR),
        dom,
        _key_of(sched.month, _MONTH),
        dow,
    )


# --------------------------------------------------------------------------- fire times


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


def _special_day(token: str, year: int, month: int) -> int | None:
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


def _as_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _ONE_MS


def _croniter_expr(sched: _Sched) -> str:
    def values(spec: _Spec, fdef: _FieldDef) -> str:
        key = _key_of(spec, fdef)
        return "*" if isinstance(key, str) else ",".join(str(v) for v in sorted(key))

    if sched.dom is None:
        dom = "*"
    else:  # L/W tokens are handled by _special_runs
        assert isinstance(sched.dom, _Spec)
        dom = ",".join(str(v) for v in sorted(sched.dom.values))
    if sched.dow is None:
        dow = "*"
    elif isinstance(sched.dow, str):
        unix = _unix_dow(sched.dow)
        dow = f"L{unix[:-1]}" if unix.endswith("L") else unix  # croniter spells it 'L5'
    else:
        dow = ",".join(str(v - 1) for v in sorted(sched.dow))
    return " ".join(
        (
            values(sched.minute, _MINUTE),
            values(sched.hour, _HOUR),
            dom,
            values(sched.month, _MONTH),
            dow,
        )
    )


def _croniter_runs(sched: _Sched, base: datetime) -> Iterator[datetime]:
    try:
        itr = croniter(_croniter_expr(sched), base)
        while True:
            moment = itr.get_next(datetime)
            if not isinstance(moment, datetime):  # pragma: no cover - croniter contract
                return
            yield moment.astimezone(_UTC)
    except CroniterError:  # CroniterBadDateError: nothing within croniter's horizon
        return


def _special_runs(sched: _Sched, base: datetime) -> Iterator[datetime]:
    assert isinstance(sched.dom, str)
    minutes = sorted(sched.minute.values)
    hours = sorted(sched.hour.values)
    year, month = base.year, base.month
    idle = 0  # months since the last fire time; give up after _HORIZON_YEARS without one
    while idle < 12 * _HORIZON_YEARS:
        idle += 1
        if month in sched.month.values:
            day = _special_day(sched.dom, year, month)
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
    sched = _parse_portal(fields)
    _require_one_day_field(sched, fields)
    base = after.replace(tzinfo=_UTC) if after.tzinfo is None else after.astimezone(_UTC)
    runs: list[int] = []
    if count <= 0:
        return runs
    try:
        if start_ms is not None:
            base = max(base, _EPOCH + timedelta(milliseconds=start_ms) - _ONE_MS)
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
