"""``H`` in the minute and hour fields: a value from a stable hash of (owner, title).

Jenkins' ``H`` ("hash") lets many jobs declared alike (``H 2 * * *``) start at different
minutes without anybody choosing them, and the same job always gets the same minute. taskform
does the same for tasks: :func:`expand` turns every ``H`` form into plain Unix cron before the
schedule is translated for the portal, so the portal never sees ``H``.

Forms (in the minute or hour field only; as an item of a list too, e.g. ``H,30``):

* ``H`` - one value in the whole field (minute 0-59, hour 0-23);
* ``H/n`` - every ``n``, starting at an offset in ``0..n-1`` taken from the hash;
* ``H(a-b)`` - one value in ``a..b``;
* ``H(a-b)/n`` - every ``n`` within ``a..b``, starting at ``a`` plus an offset in ``0..n-1``
  (kept inside the range).

The hash is sha256 of the owner (lower-cased: the portal matches usernames without regard to
case), the title and the field's name, so it never changes between runs, Python versions or
machines (Python's ``hash()`` is salted per process), and the minute and hour of one task are
independent of each other.
"""

from __future__ import annotations

import hashlib
import re

from taskform.errors import ScheduleError
from taskform.schedule.cron import quote

_H_ITEM = re.compile(r"^H(?:\((\d{1,2})-(\d{1,2})\))?(?:/(\d{1,2}))?$")
_RANGES = {"minute": (0, 59), "hour": (0, 23)}
_FIELD_ORDER = ("minute", "hour", "day-of-month", "month", "day-of-week")


_H_START = re.compile(r"(?:^|[ \t,])H", re.IGNORECASE)


def uses_hash(expr: str) -> bool:
    """Whether ``expr`` has an item starting with ``H`` (``THU`` does not count)."""
    return bool(_H_START.search(expr.strip()))


def seed(owner: str, title: str, field: str) -> int:
    """A stable non-negative integer for one task's field."""
    text = f"{owner.casefold()}\x00{title}\x00{field}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


def _expand_item(item: str, field: str, value: int, expr: str) -> str:
    lo, hi = _RANGES[field]
    m = _H_ITEM.match(item)
    if m is None:
        raise ScheduleError(
            f"invalid schedule {quote(expr)}: {field} {quote(item)} is not a valid H form: use"
            " 'H', 'H/n', 'H(a-b)' or 'H(a-b)/n'"
        )
    first, last, step_text = m.groups()
    a, b = (lo, hi) if first is None else (int(first), int(last))
    if not lo <= a <= b <= hi:
        raise ScheduleError(
            f"invalid schedule {quote(expr)}: {field} range in {quote(item)} must run forwards"
            f" within {lo}-{hi}"
        )
    if step_text is None:
        return str(a + value % (b - a + 1))
    step = int(step_text)
    if not 1 <= step <= hi:
        raise ScheduleError(
            f"invalid schedule {quote(expr)}: {field} step in {quote(item)} must be 1-{hi}"
        )
    start = a + value % min(step, b - a + 1)
    values = range(start, b + 1, step)
    return ",".join(str(v) for v in values)


def expand(expr: str, owner: str, title: str) -> str:
    """``expr`` with every ``H`` form in the minute and hour fields replaced by the values the
    hash of (owner, title) selects; other expressions come back unchanged.

    Raises :class:`ScheduleError` for ``H`` outside the minute and hour fields and for
    malformed ``H`` forms.
    """
    if not uses_hash(expr):
        return expr
    fields = re.split(r"[ \t]+", expr.strip(" \t\r\n"))
    if len(fields) != 5:
        return expr  # to_portal reports the wrong number of fields
    out: list[str] = []
    for index, text in enumerate(fields):
        name = _FIELD_ORDER[index]
        items = text.upper().split(",")
        if not any(item.startswith("H") for item in items):
            out.append(text)
            continue
        if name not in _RANGES:
            raise ScheduleError(
                f"invalid schedule {quote(expr)}: 'H' is only allowed in the minute and hour"
                f" fields, not in {name} {quote(text)}"
            )
        value = seed(owner, title, name)
        expanded = [
            _expand_item(item, name, value, expr) if item.startswith("H") else item
            for item in items
        ]
        out.append(",".join(expanded))
    return " ".join(out)
