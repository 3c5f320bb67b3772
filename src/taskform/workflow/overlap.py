"""Plan-time lint: two declared tasks on the same item whose runs overlap.

Offline, taskform knows when runs start but not how long they last; the portal's runs resource
does (``created`` to ``modified`` of finished runs), one request per task, and the task list
carries no durations. So this check runs in ``plan`` only, and reads runs only for live tasks
that share an item with another declared task, for at most :data:`MAX_RUN_READS` of them per
plan: items are taken whole, those with the fewest tasks first. An item left over (or whose
runs could not be read) is checked by start minute only, and the plan says so in a warning
naming the item and how many tasks share it. A task's typical duration is the median of its
finished runs. Without any duration (tasks not yet created, or never run), runs overlap only
when they start in the same minute. Runs are compared over the next 7 days. Scenario folders:
``tests/scenarios/lint-overlap`` and ``lint-overlap-limited`` (the bound).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from itertools import combinations

from taskform.errors import PortalError, Problem, ScheduleError
from taskform.model import DesiredTask, LiveTask, Portal, Position, Run
from taskform.schedule import runs as schedule_runs
from taskform.workflow.snapshot import read_runs

DAYS = 7
#: At most this many runs resources are read per plan (one request each); the tasks of items
#: beyond it are compared by start minute only, with a warning per item.
MAX_RUN_READS = 10
_MINUTE_MS = 60_000
_FINISHED = frozenset({"succeeded", "failed", "completed", "success"})


def typical_duration(found: Sequence[Run]) -> int | None:
    """Median duration (ms) of the finished runs that carry both times, or None."""
    spans = [
        r.modified - r.created
        for r in found
        if r.created is not None
        and r.modified is not None
        and r.modified > r.created
        and r.status.lower() in _FINISHED
    ]
    return int(statistics.median(spans)) if spans else None


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _minutes(ms: int) -> str:
    minutes = max(1, round(ms / _MINUTE_MS))
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def find_overlaps(
    tasks: Sequence[DesiredTask],
    durations: Mapping[tuple[str, str], int],
    now: datetime,
) -> list[Problem]:
    """Pairs of active tasks on one item whose runs overlap in the next :data:`DAYS` days.
    ``durations`` holds the typical run duration (ms) by task key where known."""
    by_item = shared_items(tasks)
    end = now + timedelta(days=DAYS)
    out: list[Problem] = []
    for item, group in by_item.items():
        starts: dict[tuple[str, str], list[int]] = {}
        for task in group:
            try:
                starts[task.key] = schedule_runs.runs_between(task.cron, now, end)
            except ScheduleError:
                starts[task.key] = []
        pairs: list[tuple[DesiredTask, DesiredTask, int, str]] = []
        for a, b in combinations(group, 2):
            hit = _first_overlap(starts[a.key], starts[b.key], durations, a.key, b.key)
            if hit is not None:
                pairs.append((a, b, *hit))
        if not pairs:
            continue
        keys = {t.key for a, b, _, _ in pairs for t in (a, b)}
        involved = [t for t in group if t.key in keys]
        a, b, when, known = min(pairs, key=lambda p: p[2])
        how = f"; {known}" if known else "; both start in the same minute"
        names = ", ".join(f"{t.owner}/{t.title}" for t in involved[:4])
        more = f" and {len(involved) - 4} more" if len(involved) > 4 else ""
        where = involved[0].position or Position("(configuration)")
        out.append(
            Problem(
                where.file,
                where.line,
                f"{len(involved)} tasks run item {item} with overlapping runs ({names}{more}):"
                f" first {a.owner}/{a.title} and {b.owner}/{b.title} at {_when(when)}{how}",
                "start one after the other's typical duration, or use H to spread them",
            )
        )
    return out


def shared_items(tasks: Sequence[DesiredTask]) -> dict[str, list[DesiredTask]]:
    """The active scheduled tasks by item id (lower case), for items two or more of them run."""
    by_item: dict[str, list[DesiredTask]] = defaultdict(list)
    for task in tasks:
        if task.item_id and task.active:
            by_item[task.item_id.lower()].append(task)
    return {item: group for item, group in by_item.items() if len(group) > 1}


def _first_overlap(
    a_runs: list[int],
    b_runs: list[int],
    durations: Mapping[tuple[str, str], int],
    a_key: tuple[str, str],
    b_key: tuple[str, str],
) -> tuple[int, str] | None:
    a_len = durations.get(a_key, _MINUTE_MS)
    b_len = durations.get(b_key, _MINUTE_MS)
    i = j = 0
    while i < len(a_runs) and j < len(b_runs):
        a0, b0 = a_runs[i], b_runs[j]
        if a0 < b0 + b_len and b0 < a0 + a_len:
            known = []
            if a_key in durations:
                known.append(f"{a_key[1]} typically runs {_minutes(a_len)}")
            if b_key in durations:
                known.append(f"{b_key[1]} typically runs {_minutes(b_len)}")
            return max(a0, b0), ", ".join(known)
        if a0 + a_len <= b0 + b_len:
            i += 1
        else:
            j += 1
    return None


def overlap_warnings(
    portal: Portal,
    tasks: Sequence[DesiredTask],
    live: Mapping[str, Sequence[LiveTask]],
    now: datetime,
) -> list[Problem]:
    """:func:`find_overlaps` with durations from the runs of the live tasks concerned, read
    for at most :data:`MAX_RUN_READS` tasks (whole items, the smallest first), and a warning
    for each item whose durations were not read."""
    groups = shared_items(tasks)
    live_by_key = {t.key: t for owned in live.values() for t in owned}
    read: dict[str, list[LiveTask]] = {}
    unread: dict[str, str] = {}  # item -> why its durations were not read
    budget = MAX_RUN_READS
    for item, group in sorted(groups.items(), key=lambda kv: (len(kv[1]), kv[0])):
        here = [live_by_key[t.key] for t in group if t.key in live_by_key]
        if len(here) <= budget:
            read[item] = here
            budget -= len(here)
        else:
            unread[item] = f"plan reads the runs of at most {MAX_RUN_READS} tasks sharing items"
    wanted = [t for here in read.values() for t in here]
    try:
        found = read_runs(portal, wanted)
    except PortalError as exc:
        found = {}
        unread.update(
            {item: f"they could not be read: {exc}" for item, here in read.items() if here}
        )
    durations: dict[tuple[str, str], int] = {}
    for live_task in wanted:
        duration = typical_duration(found.get(live_task.id, ()))
        if duration is not None:
            durations[live_task.key] = duration
    limits = []
    for item in sorted(unread):
        group = groups[item]
        live_count = sum(t.key in live_by_key for t in group)
        where = group[0].position or Position("(configuration)")
        limits.append(
            Problem(
                where.file,
                where.line,
                f"{len(group)} tasks run item {item}; overlaps were checked by start minute"
                f" only: the run durations of its {live_count} live tasks were not read"
                f" ({unread[item]})",
                "runs that start in different minutes may still overlap",
            )
        )
    return find_overlaps(tasks, durations, now) + limits
