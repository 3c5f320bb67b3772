"""The cron grammar of both dialects: field specs, and parsing of fields and of portal fields.

Shared by :mod:`taskform.schedule.translate` (the public API: translation and keys) and
:mod:`taskform.schedule.nextruns` (fire times).

The grammar is parsed by hand here, not by croniter: the translation has to be exact at the
level of each field (croniter only exposes expanded value lists, and it has a few readings of
its own, e.g. it treats ``5-5`` as the whole field).

Decisions
---------
* **Names** (``MON``..``SUN``, ``JAN``..``DEC``, any case) are accepted on input, in both
  dialects.
* **Day-of-week numbering.** Unix: 0-7, 0 and 7 = Sunday. Quartz: 1-7, 1 = Sunday.
* **``#`` and ``L`` in day-of-week** use the *Unix* numbering in the user's expression, like the
  rest of the field: ``5#3`` is the third Friday and ``5L`` the last Friday of the month (names
  work too: ``FRI#3``, ``FRIL``). They are shifted for the portal (``6#3``, ``6L``) and back.
  Each must stand alone in its field (Quartz supports no lists with them).
* **Day-of-month extras**, alone in the field: ``L`` (last day), ``L-n`` (n days before the last
  day, n 1-30; months where that falls before the 1st are skipped), ``LW`` (last weekday),
  ``L-nW``, and ``nW`` (the weekday nearest to day n, never leaving the month; a day beyond the
  month's end is taken as its last day, as croniter does).
* Ranges must run forwards (``a-b`` with ``a <= b``); steps are 1 up to the field's maximum;
  ``a/n`` means ``a-max/n`` (Quartz's start/step).
* Reading the portal is lenient where Quartz or other clients are: ``?`` or ``*`` in either or
  both day fields, names in any case, ``0/5``, ``*/1``, full ranges, and Quartz's wrapping
  ranges (``22-2``, ``FRI-MON``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from taskform.errors import ScheduleError
from taskform.model import CronFields

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class FieldDef:
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


MINUTE = FieldDef("minute", 0, 59, 59, {}, 59)
HOUR = FieldDef("hour", 0, 23, 23, {}, 23)
DOM = FieldDef("day-of-month", 1, 31, 31, {}, 31)
MONTH = FieldDef("month", 1, 12, 12, {n: i + 1 for i, n in enumerate(_MONTH_NAMES)}, 12)
UNIX_DOW = FieldDef("day-of-week", 0, 7, 6, {n: i for i, n in enumerate(_DAY_NAMES)}, 7)
QUARTZ_DOW = FieldDef("day-of-week", 1, 7, 7, {n: i + 1 for i, n in enumerate(_DAY_NAMES)}, 7)


@dataclass(frozen=True)
class Item:
    """One comma-separated item of a numeric field.

    ``start is None``: ``*`` (with optional step). ``end is None`` with a step: ``a/n``.
    """

    start: int | None
    end: int | None
    step: int | None


@dataclass(frozen=True)
class Spec:
    """A parsed numeric field: its items (for faithful re-rendering) and the values selected."""

    items: tuple[Item, ...]
    values: frozenset[int]


@dataclass(frozen=True)
class Sched:
    """A parsed schedule in dialect-neutral form.

    ``dom``/``dow`` are ``None`` when unrestricted. ``dow`` values and special tokens use the
    Quartz numbering (1-7, 1 = Sunday).
    """

    minute: Spec
    hour: Spec
    dom: Spec | str | None
    month: Spec
    dow: frozenset[int] | str | None


class BadField(Exception):
    """A problem in one field; the caller turns it into a ScheduleError with context."""


# --------------------------------------------------------------------------- numeric fields


def quote(text: str, limit: int = 60) -> str:
    """Quote user text for a message, shortened so garbage cannot flood the output."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


_ITEM_RE = re.compile(r"^(?:(\*)|([0-9A-Z]+)(?:-([0-9A-Z]+))?)(?:/([0-9]+))?$")
_INT_RE = re.compile(r"^[0-9]+$")


def _number(text: str, what: str) -> int:
    """An ASCII decimal number; absurdly long ones are out of every range anyway."""
    if not _INT_RE.match(text):
        raise BadField(f"{what} {quote(text)} is not a number")
    return int(text) if len(text) <= 6 else 10**6


def _value(token: str, fdef: FieldDef) -> int:
    if _INT_RE.match(token):
        value = _number(token, f"{fdef.label} value")
        if not fdef.lo <= value <= fdef.hi:
            extra = " (0 and 7 are Sunday)" if fdef is UNIX_DOW else ""
            raise BadField(
                f"{fdef.label} value {quote(token)} is out of range:"
                f" use {fdef.describe_range()}{extra}"
            )
        return value
    if token in fdef.names:
        return fdef.names[token]
    if fdef.names:
        raise BadField(
            f"unknown {fdef.label} name {quote(token)}: use {fdef.describe_range()}"
            f" ({', '.join(fdef.names)})"
        )
    raise BadField(
        f"{fdef.label} value {quote(token)} is not a number: use {fdef.describe_range()}"
    )


def item_values(item: Item, fdef: FieldDef) -> list[int]:
    step = item.step or 1
    if item.start is None:
        return list(range(fdef.lo, fdef.star_hi + 1, step))
    if item.end is None:
        if item.step is None:
            return [item.start]
        # Unix day-of-week "7/n" starts on Sunday, i.e. at 0 (as croniter reads it)
        start = item.start % 7 if fdef is UNIX_DOW else item.start
        return list(range(start, fdef.star_hi + 1, step))
    if item.start <= item.end:
        return list(range(item.start, item.end + 1, step))
    # Quartz wraps a backwards range over the end of the field, the step carrying across.
    size = fdef.hi - fdef.lo + 1
    values = []
    for i in range(item.start, item.end + size + 1, step):
        values.append(fdef.lo + (i - fdef.lo) % size)
    return values


def parse_numeric(text: str, fdef: FieldDef, *, quartz: bool) -> Spec:
    if text == "":
        raise BadField(f"{fdef.label} is empty: write '*' for every {fdef.label.split('-')[0]}")
    items: list[Item] = []
    values: set[int] = set()
    for part in text.upper().split(","):
        if part == "":
            raise BadField(
                f"{fdef.label} {quote(text)} has an empty list item: separate values by one ','"
            )
        m = _ITEM_RE.match(part)
        if not m:
            raise BadField(
                f"{fdef.label} {quote(text)} is not valid: use numbers {fdef.describe_range()},"
                " '*', ranges 'a-b', lists 'a,b' and steps '*/n' or 'a-b/n'"
            )
        star, first, last, step_text = m.groups()
        step: int | None = None
        if step_text is not None:
            step = _number(step_text, "step")
            if not 1 <= step <= fdef.step_max:
                raise BadField(
                    f"{fdef.label} step {quote('/' + step_text)} is out of range:"
                    f" use 1-{fdef.step_max}"
                )
        if star:
            item = Item(None, None, step)
        else:
            start = _value(first, fdef)
            end = None if last is None else _value(last, fdef)
            if end is not None and end < start and not quartz:
                raise BadField(_backwards(part, start, end, fdef))
            if end is not None and end == start and not quartz:
                end, step = None, None  # "5-5" and "5-5/3" are just 5
            item = Item(start, end, step)
        items.append(item)
        values.update(item_values(item, fdef))
    if fdef is UNIX_DOW:
        values = {v % 7 for v in values}
    return Spec(tuple(items), frozenset(values))


def _backwards(part: str, start: int, end: int, fdef: FieldDef) -> str:
    text = f"{fdef.label} range {quote(part)} runs backwards: write '{end}-{start}'"
    if start <= fdef.star_hi:
        upper = f"{start}-{fdef.star_hi}" if start < fdef.star_hi else str(start)
        lower = f"{fdef.lo}-{end}" if end > fdef.lo else str(end)
        text += f", or '{upper},{lower}' to wrap around"
    return text


def all_values(fdef: FieldDef) -> frozenset[int]:
    if fdef is UNIX_DOW:
        return frozenset(range(7))
    return frozenset(range(fdef.lo, fdef.hi + 1))


def compact(values: Iterable[int]) -> str:
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
            raise BadField(
                f"day-of-month {quote(text)}: the offset from the last day must be 0-30"
                " (e.g. 'L-3')"
            )
        return ("L" if offset == 0 else f"L-{offset}") + m.group(2)
    m = _DOM_WEEKDAY_RE.match(text)
    if m:
        day = _number(m.group(1), "day-of-month value")
        if not 1 <= day <= 31:
            raise BadField(
                f"day-of-month {quote(text)}: the day before 'W' must be 1-31 (e.g. '15W')"
            )
        return f"{day}W"
    if "L" in text or "W" in text:
        raise BadField(
            f"day-of-month {quote(text)} is not valid: 'L', 'L-n', 'LW' and 'nW' (e.g. '15W') must"
            " stand alone in the field"
        )
    return None


def _dow_special(text: str, fdef: FieldDef) -> str | None:
    """Canonical Quartz form (``"6#3"``, ``"6L"``) of a day-of-week ``#``/``L`` token."""
    m = _DOW_NTH_RE.match(text)
    if m:
        day = _value(m.group(1), fdef)
        nth = _number(m.group(2), "'#' occurrence")
        if not 1 <= nth <= 5:
            raise BadField(
                f"day-of-week {quote(text)}: the number after '#' must be 1-5 (e.g. '5#3', the"
                " third Friday)"
            )
        return f"{_to_quartz_day(day, fdef)}#{nth}"
    m = _DOW_LAST_RE.match(text)
    if m:
        day = _value(m.group(1), fdef)
        return f"{_to_quartz_day(day, fdef)}L"
    if "#" in text or "L" in text:
        raise BadField(
            f"day-of-week {quote(text)} is not valid: '#' and 'L' take one weekday and must stand"
            " alone in the field, e.g. '5#3' (third Friday) or '5L' (last Friday)"
        )
    return None


def _to_quartz_day(day: int, fdef: FieldDef) -> int:
    return day % 7 + 1 if fdef is UNIX_DOW else day


def parse_dom(text: str, *, quartz: bool) -> Spec | str | None:
    text = text.upper()
    if text == "?":
        if quartz:
            return None
        raise BadField("'?' is Quartz syntax, not Unix cron: write '*' for day-of-month")
    if quartz and "C" in text:
        raise BadField(
            f"day-of-month {quote(text)}: the Quartz 'C' (calendar) option is not supported"
        )
    special = _dom_special(text)
    if special is not None:
        return special
    spec = parse_numeric(text, DOM, quartz=quartz)
    return None if spec.values == all_values(DOM) else spec


def parse_dow(text: str, *, quartz: bool) -> frozenset[int] | str | None:
    fdef = QUARTZ_DOW if quartz else UNIX_DOW
    text = text.upper()
    if text == "?":
        if quartz:
            return None
        raise BadField("'?' is Quartz syntax, not Unix cron: write '*' for day-of-week")
    if text == "L":
        if quartz:
            return frozenset({7})  # Quartz: 'L' alone in day-of-week is Saturday
        raise BadField(
            "day-of-week 'L' alone is not Unix cron: write '6' for Saturday, or e.g. '5L' for"
            " the last Friday of the month"
        )
    special = _dow_special(text, fdef)
    if special is not None:
        return special
    spec = parse_numeric(text, fdef, quartz=quartz)
    values = spec.values if quartz else frozenset(v + 1 for v in spec.values)
    return None if values == all_values(QUARTZ_DOW) else values


# --------------------------------------------------------------------------- portal fields


def _describe_fields(fields: CronFields) -> str:
    return " ".join(
        f"{name}={quote(value, 20) if isinstance(value, str) else type(value).__name__}"
        for name, value in _portal_values(fields).items()
    )


def _portal_values(fields: CronFields) -> dict[str, object]:
    """The fields by their portal names; another client's may hold anything, not just text."""
    return dict(fields.as_portal())


def parse_portal(fields: CronFields) -> Sched:
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
            raise BadField("'?' is only allowed in dayOfMonth and dayOfWeek")
        minute = parse_numeric(texts["minute"], MINUTE, quartz=True)
        hour = parse_numeric(texts["hour"], HOUR, quartz=True)
        dom = parse_dom(texts["dayOfMonth"], quartz=True)
        month = parse_numeric(texts["month"], MONTH, quartz=True)
        dow = parse_dow(texts["dayOfWeek"], quartz=True)
    except BadField as exc:
        raise ScheduleError(
            f"invalid portal schedule ({_describe_fields(fields)}): {exc}"
        ) from None
    return Sched(minute, hour, dom, month, dow)


def require_one_day_field(sched: Sched, fields: CronFields) -> None:
    if sched.dom is not None and sched.dow is not None:
        raise ScheduleError(
            f"invalid portal schedule ({_describe_fields(fields)}): dayOfMonth and dayOfWeek"
            " are both restricted, which the portal cannot run: set one of them to '?'"
        )


def unix_dow(dow: frozenset[int] | str | None) -> str:
    if dow is None:
        return "*"
    if isinstance(dow, str):
        day, sep, rest = dow.partition("#")
        if sep:
            return f"{int(day) - 1}#{rest}"
        return f"{int(dow[:-1]) - 1}L"
    return compact(v - 1 for v in dow)
