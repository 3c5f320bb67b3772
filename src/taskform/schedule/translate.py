"""Schedules: Unix cron as users write it, Quartz-style fields as the portal stores them.

Users write a 5-field Unix cron expression ``minute hour day-of-month month day-of-week`` or a
macro (``@hourly``, ``@daily``, ``@midnight``, ``@weekly``, ``@monthly``, ``@yearly``,
``@annually``). The portal stores five Quartz-style fields (:class:`CronFields`). Times are UTC.

Public functions:

* :func:`to_portal` — Unix expression to portal fields, validated strictly.
* :func:`to_unix` — portal fields (from any client) back to a Unix expression.
* :func:`schedule_key` — a canonical, hashable key: equal keys mean equal schedules.
* :func:`next_runs` — the next fire times, in epoch milliseconds (from :mod:`.nextruns`).

Every function raises only :class:`~taskform.errors.ScheduleError` for bad input. The grammar
of both dialects, and what it accepts, is in :mod:`.cron`.

Decisions
---------
* **Names** (``MON``, ``JAN``, ...) are always converted to numbers on output, in both
  directions. Numbers are unambiguous in both cron dialects; they are what the contract's
  example shows.
* **Day-of-week.** A restricted day-of-week is always written out as an explicit, compact list
  of the days it selects (``1-5`` -> ``2-6``, ``5-7`` -> ``1,6,7``, ``*/2`` -> ``1,3,5,7``), so
  no step ever depends on a dialect's base (Unix 0-7 with 0 and 7 = Sunday, Quartz 1-7 with
  1 = Sunday).
* **Which day field counts.** A day field is *restricted* when it does not select every day.
  Only one of the two may be restricted (the portal cannot express Unix cron's "either day
  matches" rule). The unrestricted one must then be written exactly ``*``: Unix cron reads
  ``0 0 1-31 * 1`` as "every day", which is almost never meant, so that is an error too. Where
  neither is restricted the portal gets ``dayOfMonth=*``, ``dayOfWeek=?``; otherwise the
  unrestricted one becomes ``?``.
* Schedules that can never fire (``0 0 30 2 *``) are errors.
"""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Mapping
from typing import TypeAlias

from taskform.errors import ScheduleError
from taskform.model import CronFields
from taskform.schedule.cron import (
    DOM,
    HOUR,
    MINUTE,
    MONTH,
    BadField,
    FieldDef,
    Sched,
    Spec,
    all_values,
    compact,
    item_values,
    parse_dom,
    parse_dow,
    parse_numeric,
    parse_portal,
    quote,
    require_one_day_field,
    unix_dow,
)
from taskform.schedule.nextruns import next_runs, special_day

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
_MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


# --------------------------------------------------------------------------- rendering


def _render_items(spec: Spec, fdef: FieldDef, *, quartz: bool) -> str:
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
            parts.append(compact(item_values(item, fdef)))
    return ",".join(parts)


# --------------------------------------------------------------------------- Unix -> portal


def _fail(expr: str, detail: str) -> ScheduleError:
    return ScheduleError(f"invalid schedule {quote(expr)}: {detail}")


def _split_unix(expr: str) -> list[str]:
    text = expr.strip(" \t\r\n")
    if not text.isascii():
        raise _fail(expr, "the schedule contains characters that are not plain ASCII")
    if text.startswith("@"):
        macro = MACROS.get(text.lower())
        if macro is None:
            raise _fail(
                expr,
                f"unknown macro {quote(text)}: use one of {', '.join(MACROS)}, or five fields"
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


def _parse_unix(expr: str) -> Sched:
    if not isinstance(expr, str):
        raise ScheduleError(f"a schedule must be a string, not {type(expr).__name__}")
    minute_t, hour_t, dom_t, month_t, dow_t = _split_unix(expr)
    try:
        minute = parse_numeric(minute_t, MINUTE, quartz=False)
        hour = parse_numeric(hour_t, HOUR, quartz=False)
        dom = parse_dom(dom_t, quartz=False)
        month = parse_numeric(month_t, MONTH, quartz=False)
        dow = parse_dow(dow_t, quartz=False)
    except BadField as exc:
        raise _fail(expr, str(exc)) from None
    if dom is not None and dow is not None:
        raise _fail(
            expr,
            f"day-of-month {quote(dom_t)} and day-of-week {quote(dow_t)} are both restricted;"
            " the portal can only restrict one of them: use '*' in one of the two fields (or"
            " make two tasks)",
        )
    if dom is None and dow is not None and dom_t != "*":
        raise _fail(
            expr,
            f"day-of-month {quote(dom_t)} covers every day but is not '*'; Unix cron may then run"
            f" every day instead of only on day-of-week {quote(dow_t)}: write '*' in day-of-month",
        )
    if dow is None and dom is not None and dow_t != "*":
        raise _fail(
            expr,
            f"day-of-week {quote(dow_t)} covers every day but is not '*'; Unix cron may then run"
            f" every day instead of only on day-of-month {quote(dom_t)}: write '*' in day-of-week",
        )
    sched = Sched(minute, hour, dom, month, dow)
    if not _can_fire(sched):
        months = ", ".join(calendar.month_name[m] for m in sorted(month.values))
        raise _fail(
            expr,
            f"day-of-month {quote(dom_t)} never occurs in {months}, so the task would never run:"
            " choose days that exist in the selected months",
        )
    return sched


def _can_fire(sched: Sched) -> bool:
    if sched.dom is None:
        return True
    for month in sched.month.values:
        longest = _MAX_DAYS[month - 1]
        lengths = (28, 29) if month == 2 else (longest,)
        for ldom in lengths:
            if isinstance(sched.dom, str):
                if special_day(sched.dom, 2000 if ldom == 29 else 2001, month) is not None:
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
    if isinstance(expr, str):
        return _to_portal(expr)
    return _translate(expr)  # raises the ScheduleError for a value that is not text


@functools.lru_cache(maxsize=4096)  # per schedule string: configs repeat a few schedules
def _to_portal(expr: str) -> CronFields:
    return _translate(expr)


def _translate(expr: str) -> CronFields:
    sched = _parse_unix(expr)
    if isinstance(sched.dom, str):
        dom = sched.dom
    elif isinstance(sched.dom, Spec):
        dom = _render_items(sched.dom, DOM, quartz=True)
    else:
        dom = "*" if sched.dow is None else "?"
    if sched.dow is None:
        dow = "?"
    elif isinstance(sched.dow, str):
        dow = sched.dow
    else:
        dow = compact(sched.dow)
    return CronFields(
        minute=_render_items(sched.minute, MINUTE, quartz=True),
        hour=_render_items(sched.hour, HOUR, quartz=True),
        day_of_month=dom,
        month=_render_items(sched.month, MONTH, quartz=True),
        day_of_week=dow,
    )


# --------------------------------------------------------------------------- portal -> Unix


def to_unix(fields: CronFields) -> str:
    """Translate portal fields (made by taskform, the portal's UI or any other client) back to
    the Unix form users write: names become numbers, day-of-week 1-7 becomes 0-6, ``?`` and
    unrestricted day fields become ``*``, ``0/5`` becomes ``*/5``, ``L``/``W``/``#`` are kept
    (``6#3`` -> ``5#3``). ``to_portal(to_unix(f))`` selects the same times as ``f``.

    Raises :class:`ScheduleError` for fields that are not a valid portal schedule, and for
    schedules that restrict both day fields (no Unix expression means the same).
    """
    sched = parse_portal(fields)
    require_one_day_field(sched, fields)
    if isinstance(sched.dom, str):
        dom = sched.dom
    elif isinstance(sched.dom, Spec):
        dom = _render_items(sched.dom, DOM, quartz=False)
    else:
        dom = "*"
    return " ".join(
        (
            _render_items(sched.minute, MINUTE, quartz=False),
            _render_items(sched.hour, HOUR, quartz=False),
            dom,
            _render_items(sched.month, MONTH, quartz=False),
            unix_dow(sched.dow),
        )
    )


# --------------------------------------------------------------------------- keys


def _key_of(spec: Spec, fdef: FieldDef) -> FieldKey:
    return "*" if spec.values == all_values(fdef) else spec.values


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
    sched = parse_portal(fields)
    if sched.dom is None:
        dom: FieldKey = "*"
    elif isinstance(sched.dom, str):
        dom = sched.dom
    else:
        dom = sched.dom.values
    dow: FieldKey = "*" if sched.dow is None else sched.dow
    return (
        _key_of(sched.minute, MINUTE),
        _key_of(sched.hour, HOUR),
        dom,
        _key_of(sched.month, MONTH),
        dow,
    )
