"""Schedule lint: schedules the portal accepts but that are almost certainly not meant.

Warnings, not errors (``validate`` and ``plan`` print them and keep their exit code; their
``--strict`` makes them errors). Each is a :class:`~taskform.errors.Problem` with the task's
file and line. Rules (the names are the scenario folders under ``tests/scenarios/``):

* ``lint-never-fires``: the schedule never fires between ``start_date`` and ``end_date``;
* ``lint-end-before-next-run``: ``end_date`` comes before the next run (the task is done);
* ``lint-max-occurrences``: ``max_occurrences`` runs out long before ``end_date`` (says when);
* ``lint-too-rare``: more than five months between two runs (the platform's documented range
  is once a minute to once every five months; a 5-field cron cannot fire more often than once
  a minute, so only this end of the range can be crossed);
* ``lint-dst``: a local time (``timezone``) that does not exist or occurs twice in the next year;
* ``lint-collisions``: more than ``collision_threshold`` tasks of one owner start in the same
  minute (suggests ``H``);
* ``lint-overlap`` (``plan`` only, it needs the portal's runs): see
  :mod:`taskform.workflow.overlap`.

Counting starts from ``now``, and from ``start_date`` when that is later. ``max_occurrences``
is taken as the runs left from then on (the portal counts runs since the task was created).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from taskform.errors import Problem, ScheduleError
from taskform.model import DesiredTask, Position
from taskform.schedule import runs, zones
from taskform.schedule.hashing import expand
from taskform.schedule.nextruns import next_runs
from taskform.schedule.translate import to_portal

_UTC = timezone.utc
#: The platform's documented longest interval: once every five months (at most 155 days).
MAX_GAP = timedelta(days=155)
#: "Long before": the last allowed run is more than this share of the window before end_date.
EARLY_SHARE = 0.1
COLLISION_DAYS = 7
DEFAULT_COLLISION_THRESHOLD = 10
_MAX_COUNTED_RUNS = 200_000


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=_UTC).strftime("%Y-%m-%d %H:%M UTC")


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _problem(task: DesiredTask, message: str, hint: str = "") -> Problem:
    where = task.position or Position("(configuration)")
    return Problem(where.file, where.line, f"{task.owner or '(you)'}/{task.title}: {message}", hint)


def _span(ms: int) -> str:
    days = ms / 86_400_000
    if days >= 60:
        return f"about {round(days / 30.44)} months"
    if days >= 2:
        return f"{round(days)} days"
    return f"{round(days * 24)} hours"


def check_task(task: DesiredTask, now: datetime) -> list[Problem]:
    """The single-task rules for one task."""
    cron = task.cron
    found: list[Problem] = []
    now_ms = _ms(now)
    start, end = task.start_date, task.end_date
    base_ms = max(now_ms, start or now_ms)
    if start is not None and end is not None:
        in_window = next_runs(
            cron,
            after=datetime.fromtimestamp(start / 1000 - 0.001, tz=_UTC),
            count=1,
            end_ms=end,
        )
        if not in_window:
            found.append(
                _problem(
                    task,
                    f"the schedule never fires between start_date ({_when(start)}) and end_date"
                    f" ({_when(end)})",
                    "widen the window or change the schedule",
                )
            )
            return found
    if end is not None:
        upcoming = next_runs(cron, after=now, count=1, start_ms=start)
        if not upcoming or upcoming[0] > end:
            after = f"the next run ({_when(upcoming[0])})" if upcoming else "any further run"
            found.append(
                _problem(
                    task,
                    f"end_date ({_when(end)}) is before {after}: the task will not run again",
                    "move end_date later, or remove the task",
                )
            )
            return found
    if task.max_occurrences and task.max_occurrences > 0 and end is not None:
        found += _max_occurrences(task, base_ms, end)
    found += _too_rare(task, now)
    found += _dst(task, now)
    return found


def _max_occurrences(task: DesiredTask, base_ms: int, end: int) -> list[Problem]:
    assert task.max_occurrences is not None
    limit = task.max_occurrences
    base = datetime.fromtimestamp(base_ms / 1000, tz=_UTC)
    until = datetime.fromtimestamp(end / 1000, tz=_UTC) + timedelta(milliseconds=1)
    rate = runs.runs_per_week(task.cron, base)
    weeks = (end - base_ms) / (7 * 86_400_000)
    if rate * weeks > _MAX_COUNTED_RUNS:  # only the estimate, not every run
        return []
    found = runs.runs_between(task.cron, base, until)
    if len(found) <= limit:
        return []
    last = found[limit - 1]
    early = end - last
    if early <= max(86_400_000, EARLY_SHARE * (end - base_ms)):
        return []
    return [
        _problem(
            task,
            f"max_occurrences ({limit}) is used up on {_when(last)}, {_span(early)} before"
            f" end_date ({_when(end)}); the task then stops ({len(found)} runs would fit)",
            f"raise max_occurrences to {len(found)} or -1 (unlimited), or move end_date",
        )
    ]


def _too_rare(task: DesiredTask, now: datetime) -> list[Problem]:
    gap = runs.longest_gap_days(task.cron, now.astimezone(_UTC).date(), 2 * 366)
    # a gap of d days between days with runs is (d - 1) days and a part of a day or more
    if gap is None or gap - 1 >= MAX_GAP.days:
        shown = f"{gap} days" if gap is not None else "more than two years"
        return [
            _problem(
                task,
                f"runs as rarely as once in {shown}; the platform supports schedules from once"
                " a minute to once every five months",
                "run it at least every five months (e.g. quarterly: '0 0 1 1,4,7,10 *')",
            )
        ]
    return []


def _dst(task: DesiredTask, now: datetime) -> list[Problem]:
    zone = task.timezone
    if zone is None or task.schedule is None:
        return []
    try:
        local = to_portal(expand(task.schedule, task.owner, task.title))
        problems = zones.wall_problems(local, zone, now)
    except ScheduleError:
        return []
    out: list[Problem] = []
    seen: set[str] = set()
    for item in problems:
        key = f"{item.kind}{item.local:%Y-%m-%d}"
        if key in seen:
            continue
        seen.add(key)
        change = item.transition
        if item.kind == "gap":
            what = (
                f"{item.local:%H:%M} on {item.local:%Y-%m-%d} does not exist in {zone} (clocks"
                f" go from {zones.format_offset(change.before)} to"
                f" {zones.format_offset(change.after)}): that run happens an hour off"
            )
        else:
            what = (
                f"{item.local:%H:%M} on {item.local:%Y-%m-%d} occurs twice in {zone} (clocks go"
                f" back from {zones.format_offset(change.before)} to"
                f" {zones.format_offset(change.after)}): the task runs once, at one of them"
            )
        out.append(_problem(task, what, "choose a time outside the change, e.g. after 04:00"))
    return out


def collisions(
    tasks: Sequence[DesiredTask], now: datetime, threshold: int = DEFAULT_COLLISION_THRESHOLD
) -> list[Problem]:
    """One warning per owner whose tasks start more than ``threshold`` at once in some
    minute of the next week."""
    starts: dict[str, dict[int, list[DesiredTask]]] = defaultdict(lambda: defaultdict(list))
    end = now + timedelta(days=COLLISION_DAYS)
    for task in tasks:
        if not task.active:
            continue
        try:
            found = runs.runs_between(task.cron, now, end)
        except ScheduleError:
            continue
        owned = starts[task.owner.casefold()]
        for ms in found:
            if (task.start_date is None or ms >= task.start_date) and (
                task.end_date is None or ms <= task.end_date
            ):
                owned[ms].append(task)
    out: list[Problem] = []
    for by_minute in starts.values():
        crowded = {ms: ts for ms, ts in by_minute.items() if len(ts) > threshold}
        if not crowded:
            continue
        worst = min(crowded, key=lambda ms: (-len(crowded[ms]), ms))
        group = crowded[worst]
        names = ", ".join(repr(t.title) for t in group[:4])
        more = f" and {len(group) - 4} more" if len(group) > 4 else ""
        fixed = next((t for t in group if t.schedule and "H" not in t.schedule.upper()), group[0])
        example = (fixed.schedule or "").split()
        suggestion = (
            f"write H in the minute field to spread them, e.g. '{' '.join(['H', *example[1:]])}'"
            if len(example) == 5
            else "write H in the minute field to spread them, e.g. 'H 2 * * *'"
        )
        out.append(
            _problem(
                group[0],
                f"{len(group)} tasks of this owner start at {_when(worst)} ({names}{more}), more"
                f" than --collision-threshold {threshold}; {len(crowded)} such minute(s) in the"
                f" next {COLLISION_DAYS} days",
                suggestion,
            )
        )
    return out


def lint(
    tasks: Sequence[DesiredTask],
    now: datetime,
    *,
    collision_threshold: int = DEFAULT_COLLISION_THRESHOLD,
) -> list[Problem]:
    """Every offline schedule warning for the declared tasks, in file order."""
    found: list[Problem] = []
    for task in tasks:
        try:
            found += check_task(task, now)
        except ScheduleError:
            continue
    found += collisions(tasks, now, collision_threshold)
    return sorted(found, key=lambda p: (p.file, p.line or 0))


def format_warning(problem: Problem) -> str:
    return f"schedule: {problem}"
