"""``taskform calendar`` as iCalendar (RFC 5545) and as a Markdown heat map. Pure.

iCalendar: one VEVENT per run; the ``icalendar`` library serialises the envelope and one
event per task, the template of that task's runs (why: :func:`render_ics`). ``UID`` is a digest
of owner, title and start time, so it is the same every time the command runs (a calendar app
that re-imports the file updates events instead of doubling them). Events last a nominal
15 minutes (taskform does not know how long a run takes offline); times are UTC.

Markdown: a 7 x 24 table of starts per hour of the week (UTC), then the busiest minutes, for a
pull-request comment. Task text is escaped so a title cannot break the table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
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


def _uid_prefix(task: TaskRuns) -> hashlib._Hash:
    """The digest state after owner and title: each run's UID continues from a copy of it."""
    return hashlib.sha256(f"{task.owner.casefold()}\x00{task.title}\x00".encode())


def uid(task: TaskRuns, ms: int) -> str:
    """The run's ``UID``: sha256 of (casefolded owner, title, start in epoch ms), cut to 32
    hex digits, so the same run has the same UID every time the command runs."""
    digest = _uid_prefix(task)
    digest.update(str(ms).encode("ascii"))
    return f"{digest.hexdigest()[:32]}@taskform"


def event_detail(task: TaskRuns) -> str:
    """The ``DESCRIPTION`` of the task's events: who, what, the schedule and what it means."""
    return "\n".join(
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


_TEMPLATE_START = datetime(2000, 1, 1, tzinfo=_UTC)
_TEMPLATE_UID = "template"
# the per-run lines of a task's serialised event, and their index in ``str.format``'s arguments
_PER_RUN = {"DTSTART:": 0, "DTEND:": 1, "UID:": 2}
_EVENT_MS = int(EVENT_LENGTH.total_seconds() * 1000)


class _Stamps(dict[int, str]):
    """Epoch ms -> UTC DATE-TIME value (RFC 5545 3.3.5, form 2) as icalendar writes it, each
    worked out once: a month of runs has at most 43,200 distinct minutes."""

    def __missing__(self, ms: int) -> str:
        value = self[ms] = _moment(ms).strftime("%Y%m%dT%H%M%SZ")
        return value


def _task_template(task: TaskRuns, dtstamp: datetime) -> str:
    """One event of the task serialised by icalendar (escaping, folding), as a ``str.format``
    template whose ``{0}``, ``{1}`` and ``{2}`` are the run's DTSTART and DTEND values and the
    hex digits of its UID."""
    event = Event()
    event.add("summary", task.title)
    event.add("dtstart", _TEMPLATE_START)
    event.add("dtend", _TEMPLATE_START + EVENT_LENGTH)
    event.add("dtstamp", dtstamp)
    event.add("uid", _TEMPLATE_UID)
    event.add("categories", [task.owner or "(you)"])
    event.add("description", event_detail(task))
    lines = event.to_ical().decode("utf-8").split("\r\n")[:-1]
    parts = []
    found = []
    for line in lines:
        key = next((k for k in _PER_RUN if line.startswith(k)), None)
        if key is None:
            parts.append(line.replace("{", "{{").replace("}", "}}"))
        else:
            suffix = "@taskform" if key == "UID:" else ""
            parts.append(f"{key}{{{_PER_RUN[key]}}}{suffix}")
            found.append(key)
    if sorted(found) != sorted(_PER_RUN):
        raise AssertionError(f"icalendar wrote an event without one line each of {found}")
    return "\r\n".join(parts) + "\r\n"


def render_ics(calendar: Calendar) -> str:
    """The calendar as an iCalendar file (CRLF line ends, as RFC 5545 requires): the text of
    :func:`ics_chunks`."""
    return "".join(ics_chunks(calendar))


def ics_chunks(calendar: Calendar) -> Iterator[str]:
    """The iCalendar file in pieces: the envelope's head, the events of each task, the tail
    (``taskform calendar`` writes them as they come: the file of a large calendar is hundreds
    of megabytes).

    Why a template per task, not an icalendar ``Event`` per run: the benchmark's calendar
    (1,000 tasks, 30 days) has about 731,000 runs, and building and serialising that many
    events (or even re-scanning one task's serialised lines per run) took 10 s and more; the
    issue asks for about 2 s. The events of one task's runs differ only in ``DTSTART``,
    ``DTEND`` and ``UID``, short ASCII values that never need escaping or folding. So
    icalendar does what it is there for once per task (TEXT escaping of the title and
    description, line folding, the VCALENDAR envelope), that event becomes a ``str.format``
    template, and each run is one ``format`` call with its two UTC stamps (from a table per
    distinct minute, shared by all tasks) and its UID (continuing a copy of the task's
    sha256 prefix). The file is byte-identical to one event per run through icalendar
    (``tests/fixtures/calendar/calendar.ics``; ``tests/render/test_calendar.py`` also reads it
    back with a second parser, vobject)."""
    cal = ICalendar()
    cal.add("prodid", "-//taskform//calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "taskform scheduled tasks")
    head = cal.to_ical().decode("utf-8")
    tail = "END:VCALENDAR\r\n"
    assert head.endswith(tail)
    yield head[: -len(tail)]
    stamps = _Stamps()
    for task in calendar.tasks:
        if not task.runs:
            continue
        fill = _task_template(task, calendar.start).format
        copy = _uid_prefix(task).copy
        events = []
        for ms in task.runs:
            digest = copy()
            digest.update(b"%d" % ms)
            events.append(fill(stamps[ms], stamps[ms + _EVENT_MS], digest.hexdigest()[:32]))
        yield "".join(events)
    yield tail


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
