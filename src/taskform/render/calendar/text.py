"""``taskform calendar`` as iCalendar (RFC 5545) and as a Markdown heat map. Pure.

iCalendar: one VEVENT per run, built with the ``icalendar`` library. ``UID`` is a digest of
owner, title and start time, so it is the same every time the command runs (a calendar app
that re-imports the file updates events instead of doubling them). Events last a nominal
15 minutes (taskform does not know how long a run takes offline); times are UTC.

Markdown: a 7 x 24 table of starts per hour of the week (UTC), then the busiest minutes, for a
pull-request comment. Task text is escaped so a title cannot break the table.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from icalendar import Calendar as ICalendar
from icalendar import Event

from taskform.render import escape
from taskform.schedule.calendar import Calendar, TaskRuns

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EVENT_LENGTH = timedelta(minutes=15)
_UTC = timezone.utc
_SHOWN_COLLISIONS = 10


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=_UTC)


def uid(task: TaskRuns, ms: int) -> str:
    text = f"{task.owner.casefold()}\x00{task.title}\x00{ms}".encode()
    return f"{hashlib.sha256(text).hexdigest()[:32]}@taskform"


_TEMPLATE_START = datetime(2000, 1, 1, tzinfo=_UTC)
_PER_RUN = (b"UID:", b"DTSTART:", b"DTEND:")


def _stamp(moment: datetime) -> bytes:
    """A UTC DATE-TIME value (RFC 5545 3.3.5, form 2), as icalendar writes it."""
    return moment.strftime("%Y%m%dT%H%M%SZ").encode("ascii")


def _task_event(task: TaskRuns, dtstamp: datetime) -> list[bytes]:
    """One event of the task serialised by icalendar, as content lines; the per-run lines
    (``UID``, ``DTSTART``, ``DTEND``) are filled in by :func:`render_ics`."""
    detail = "\n".join(
        part
        for part in (
            task.label,
            task.type,
            f"schedule: {task.schedule}" + (f" ({task.timezone})" if task.timezone else ""),
            task.description,
            f"item: {task.item_id}" if task.item_id else "",
        )
        if part
    )
    event = Event()
    event.add("summary", task.title)
    event.add("dtstart", _TEMPLATE_START)
    event.add("dtend", _TEMPLATE_START + EVENT_LENGTH)
    event.add("dtstamp", dtstamp)
    event.add("uid", "template")
    event.add("categories", [task.owner or "(you)"])
    event.add("description", detail)
    data: bytes = event.to_ical()
    return data.split(b"\r\n")[:-1]


def render_ics(calendar: Calendar) -> str:
    """The calendar as an iCalendar file (CRLF line ends, as RFC 5545 requires).

    icalendar builds and serialises the calendar and one event per task. The events of one
    task's runs differ only in ``UID``, ``DTSTART`` and ``DTEND``: short ASCII lines that never
    need folding or escaping. Serialising thousands of events one by one spends most of its
    time folding the same long description again, so each task's event is serialised once and
    only those three lines are written per run (``tests/render/test_calendar.py`` reads the
    result back with a second parser, vobject)."""
    cal = ICalendar()
    cal.add("prodid", "-//taskform//calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "taskform scheduled tasks")
    head: bytes = cal.to_ical()
    assert head.endswith(b"END:VCALENDAR\r\n")
    out = [head[: -len(b"END:VCALENDAR\r\n")]]
    for task in calendar.tasks:
        if not task.runs:
            continue
        lines = _task_event(task, calendar.start)
        for ms in task.runs:
            begin = _moment(ms)
            values = {
                b"UID:": uid(task, ms).encode("ascii"),
                b"DTSTART:": _stamp(begin),
                b"DTEND:": _stamp(begin + EVENT_LENGTH),
            }
            for line in lines:
                key = next((k for k in _PER_RUN if line.startswith(k)), None)
                out.append(line + b"\r\n" if key is None else key + values[key] + b"\r\n")
    out.append(b"END:VCALENDAR\r\n")
    return b"".join(out).decode("utf-8")


def heat_rows(calendar: Calendar) -> list[list[int]]:
    """Starts per (weekday, hour): seven rows Monday..Sunday of 24 counts."""
    return [[calendar.heat.get((day, hour), 0) for hour in range(24)] for day in range(7)]


def render_markdown(calendar: Calendar) -> str:
    """A Markdown heat map of starts per hour of the week, and the busiest minutes."""
    end = calendar.end - timedelta(minutes=1)
    lines = [
        "## taskform calendar",
        "",
        f"**{calendar.total_runs} runs of {len(calendar.tasks)} tasks** from"
        f" {calendar.start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC ({calendar.days} days)."
        " Starts per hour of the week, UTC:",
        "",
        "| | " + " | ".join(f"{h:02d}" for h in range(24)) + " |",
        "|---" * 25 + "|",
    ]
    for name, row in zip(DAY_NAMES, heat_rows(calendar), strict=True):
        cells = " | ".join(str(c) if c else "·" for c in row)
        lines.append(f"| **{name}** | {cells} |")
    lines.append("")
    if calendar.collisions:
        worst = sorted(calendar.collisions, key=lambda c: (-len(c.tasks), c.at))
        lines.append(
            f"**{len(calendar.collisions)} minute(s) in which several tasks start**"
            f" (⚠ = more than {calendar.threshold} of one owner):"
        )
        lines.append("")
        for collision in worst[:_SHOWN_COLLISIONS]:
            names = ", ".join(escape.md_inline(t.label) for t in collision.tasks[:5])
            more = f" and {len(collision.tasks) - 5} more" if len(collision.tasks) > 5 else ""
            flag = "⚠ " if collision.over_threshold else ""
            lines.append(
                f"- {flag}{_moment(collision.at):%a %Y-%m-%d %H:%M}: {len(collision.tasks)}"
                f" tasks ({names}{more})"
            )
        if len(worst) > _SHOWN_COLLISIONS:
            lines.append(f"- … and {len(worst) - _SHOWN_COLLISIONS} more")
    else:
        lines.append("No two tasks start in the same minute.")
    return "\n".join(lines) + "\n"
