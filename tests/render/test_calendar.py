"""``taskform calendar``'s views: golden ICS, Markdown and HTML for a fixed week, the ICS read
back by a second, independent parser (vobject), stable UIDs, and escaping."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import vobject
from icalendar import Calendar as ICalendar
from icalendar import Event

from taskform import __version__
from taskform.config.loader import load_config
from taskform.model import DesiredTask
from taskform.render.calendar.html import render_html
from taskform.render.calendar.text import event_detail, render_ics, render_markdown, uid
from taskform.schedule.calendar import Calendar, TaskRuns, build
from taskform.schedule.zones import compile_schedule
from tests.conftest import check_golden

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "calendar"
NOW = datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc)  # a Monday


def calendar(days: int = 7, now: datetime = NOW) -> Calendar:
    config = load_config(FIXTURES / "taskform.yaml", now=now)
    return build(config.present, now, days, threshold=1)


def check(name: str, actual: str) -> None:
    path = FIXTURES / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_bytes(actual.encode("utf-8"))
    assert actual == path.read_bytes().decode("utf-8")


def test_golden_ics_and_markdown() -> None:
    cal = calendar()
    check("calendar.ics", render_ics(cal))
    check("calendar.md", render_markdown(cal))


def test_golden_html() -> None:
    """The page for the fixture week, byte for byte: any change to it shows in review as the
    rows it touches. Only the version number is written as ``VERSION``, so a release does not
    rewrite the file."""
    page = render_html(calendar())
    assert page == render_html(calendar())  # no clock, no set order
    stamp = f"taskform {__version__}."
    assert page.count(stamp) == 1
    check_golden(FIXTURES / "calendar.html", page.replace(stamp, "taskform VERSION."))


def test_ics_reads_back_with_vobject() -> None:
    cal = calendar()
    parsed = vobject.readOne(render_ics(cal))
    events = parsed.vevent_list
    assert len(events) == cal.total_runs
    # 5 weekday nightlies + 7 cooks + 5 Oslo mornings + 28 six-hourly; the inactive one: none
    assert cal.total_runs == 5 + 7 + 5 + 28
    uids = [e.uid.value for e in events]
    assert len(set(uids)) == len(uids)
    oslo = [e for e in events if e.summary.value == "Morning report (Oslo)"]
    # 07:00 in Oslo in November is 06:00 UTC
    assert {e.dtstart.value.astimezone(timezone.utc).hour for e in oslo} == {6}
    assert all(e.dtend.value - e.dtstart.value == timedelta(minutes=15) for e in events)
    roads = next(e for e in events if "Roads" in e.summary.value)
    assert roads.summary.value == 'Roads <b>& "bridges"</b> | cook'


def test_uids_are_stable_across_runs_of_the_command() -> None:
    first = vobject.readOne(render_ics(calendar()))
    later = vobject.readOne(render_ics(calendar(now=NOW + timedelta(days=1))))
    by_start = {(e.summary.value, e.dtstart.value): e.uid.value for e in first.vevent_list}
    shared = [e for e in later.vevent_list if (e.summary.value, e.dtstart.value) in by_start]
    assert len(shared) > 30
    assert all(by_start[(e.summary.value, e.dtstart.value)] == e.uid.value for e in shared)


def test_html_is_self_contained_and_escaped() -> None:
    page = render_html(calendar())
    lowered = page.lower()
    for fetch in ("src=", "href=", "url(", "@import", "<script", "<link"):
        assert fetch not in lowered
    assert "Roads &lt;b&gt;&amp; &quot;bridges&quot;&lt;/b&gt; | cook" in page
    assert "<b>" not in page


def test_calendar_command_offline(tmp_path: Path) -> None:
    """The real command, with no environment at all (no portal, no credentials): each format
    to a file, the ICS also to stdout (both written piece by piece), and the errors."""
    examples = Path(__file__).resolve().parents[2] / "examples" / "config"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "ARCGIS_USERNAME": "gis_admin"}

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "taskform", "calendar", *args],
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )

    outputs = {}
    for fmt in ("html", "ics", "markdown"):
        target = tmp_path / f"calendar.{fmt}"
        done = run("-c", str(examples), "--days", "3", "--format", fmt, "-o", str(target))
        assert done.returncode == 0, done.stderr
        outputs[fmt] = target.read_bytes().decode("utf-8")
    events = vobject.readOne(outputs["ics"]).vevent_list
    assert events and all(e.categories.value == ["gis_admin"] for e in events)
    assert outputs["ics"].endswith("END:VEVENT\r\nEND:VCALENDAR\r\n")
    assert "\n" not in outputs["ics"].replace("\r\n", "")
    rows = outputs["html"].count('<tr class="task"')
    assert rows == 7  # every declared task of the examples, the inactive one too
    assert "| **Mon** |" in outputs["markdown"]
    shown = run("-c", str(examples), "--days", "3", "--format", "ics")
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    later = vobject.readOne(text).vevent_list  # read a little later: the same runs, or nearly
    assert len({e.uid.value for e in later} & {e.uid.value for e in events}) >= len(events) - 5
    bad = run("-c", str(tmp_path / "missing.yaml"))
    assert bad.returncode == 1 and b"Traceback" not in bad.stderr
    nowhere = tmp_path / "no" / "such" / "dir" / "calendar.ics"
    unwritable = run("-c", str(examples), "--format", "ics", "-o", str(nowhere))
    assert unwritable.returncode == 1 and b"Traceback" not in unwritable.stderr
    assert f"cannot write {nowhere}".encode() in unwritable.stderr


def one_event_per_run(cal: Calendar) -> str:
    """The file as icalendar writes it with one ``Event`` object per run: what the template
    path in ``render_ics`` must reproduce byte for byte."""
    out = ICalendar()
    out.add("prodid", "-//taskform//calendar//EN")
    out.add("version", "2.0")
    out.add("calscale", "GREGORIAN")
    out.add("x-wr-calname", "taskform scheduled tasks")
    for task in cal.tasks:
        for ms in task.runs:
            begin = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
            event = Event()
            event.add("summary", task.title)
            event.add("dtstart", begin)
            event.add("dtend", begin + timedelta(minutes=15))
            event.add("dtstamp", cal.start)
            event.add("uid", uid(task, ms))
            event.add("categories", [task.owner or "(you)"])
            event.add("description", event_detail(task))
            out.add_component(event)
    return str(out.to_ical().decode("utf-8"))


def test_ics_template_path_equals_one_icalendar_event_per_run() -> None:
    """Titles with format braces, commas, semicolons, backslashes, non-ASCII text and a
    description long enough to fold inside a multi-byte character; a run at a second that is
    not :00, one crossing midnight and one before 1970."""
    awkward = TaskRuns(
        owner="Ørjan",
        title="{0} {x} }{ a, b; c\\d — Tromsø ☃ " + "long " * 20,
        type="ExecuteNotebook",
        item_id="0" * 32,
        schedule="H 2 * * *",
        description="at 02:17 UTC, every day; ÆØÅ " * 4,
        timezone="Europe/Oslo",
        runs=(-86_400_000, 1_700_000_000_000, 1_700_006_341_000, 1_700_092_740_000),
    )
    plain = TaskRuns("", "Plain", "", None, "", "", None, (1_700_000_060_000,))
    none = TaskRuns("x", "No runs", "ExecuteNotebook", None, "0 2 * * *", "", None, ())
    cal = Calendar(NOW, 7, 10, (awkward, plain, none))
    assert render_ics(cal) == one_event_per_run(cal)
    assert render_ics(calendar()) == one_event_per_run(calendar())
    events = vobject.readOne(render_ics(cal)).vevent_list
    assert events[0].summary.value == awkward.title
    assert [e.uid.value for e in events[:4]] == [uid(awkward, ms) for ms in awkward.runs]


def test_collisions_are_over_the_threshold_per_owner_without_regard_to_case() -> None:
    """Three tasks of one owner (spelled two ways) and two of another start at 02:00: a
    collision of five, over a threshold of 2 only through the first owner's three; at 03:00
    two tasks of each owner collide, over no threshold of 2. The heat map counts every start."""

    def task(owner: str, title: str, schedule: str) -> DesiredTask:
        cron = compile_schedule(schedule, owner=owner, title=title).fields
        return DesiredTask(
            owner=owner, title=title, type="ExecuteNotebook", schedule=schedule, cron=cron
        )

    tasks = [
        task("ana", "A1", "0 2 * * *"),
        task("Ana", "A2", "0 2 * * *"),
        task("ANA", "A3", "0 2,3 * * *"),
        task("bo", "B1", "0 2,3 * * *"),
        task("bo", "B2", "0 2,3 * * *"),
        task("ana", "A4", "0 3 * * *"),
    ]
    cal = build(tasks, NOW, 1, threshold=2)
    assert [(c.at, [t.title for t in c.tasks], c.over_threshold) for c in cal.collisions] == [
        (int((NOW + timedelta(hours=2)).timestamp() * 1000), ["A1", "A2", "A3", "B1", "B2"], True),
        (int((NOW + timedelta(hours=3)).timestamp() * 1000), ["A3", "A4", "B1", "B2"], False),
    ]
    assert cal.heat == {(0, 2): 5, (0, 3): 4}  # NOW is a Monday
    alone = build([t for t in tasks if t.owner == "bo"], NOW, 1, threshold=1)
    assert [c.over_threshold for c in alone.collisions] == [True, True]
    assert [c.over_threshold for c in build(tasks[:2], NOW, 1, threshold=2).collisions] == [False]
