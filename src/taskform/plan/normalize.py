"""One canonical form for desired and live tasks, so that comparing them means something.

The portal stores things differently from how people write them: cron fields in Quartz form
(``?``, 1 = Sunday, names), ``notebookParameters`` as a JSON string, defaults it fills in by
itself, dates as epoch milliseconds. Both sides are brought to the same form here; the planner
then compares plain values. Two forms, each a mapping of config field name to value:

- the *comparison* form (``compare_*``): what decides whether something changed;
- the *display* form (``display_*``): what the plan shows (Unix cron, ISO dates).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from taskform import tasktypes
from taskform.epoch import iso_utc
from taskform.model import DesiredTask, LiveTask
from taskform.schedule import translate as schedule
from taskform.schedule.hashing import uses_hash

#: Fields compared between desired and live, in display order. ``active`` is handled apart
#: because the portal changes it by itself (lifecycle).
FIELDS: tuple[str, ...] = (
    "type",
    "item_id",
    "schedule",
    "max_occurrences",
    "start_date",
    "end_date",
    "task_url",
    "parameters",
)


def parameters(task_type: str | None, params: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical parameters: JSON-text parameters decoded, the portal's defaults in (both
    per task type, :mod:`taskform.tasktypes`)."""
    return tasktypes.get(task_type).canonical(params)


def compare_desired(task: DesiredTask, *, key: Any = None) -> dict[str, Any]:
    """``key`` replaces the schedule key when the caller already knows both sides agree."""
    return {
        "type": task.type,
        "item_id": (task.item_id or "").lower() or None,
        "schedule": key if key is not None else schedule.schedule_key(task.cron),
        "max_occurrences": task.max_occurrences,
        "start_date": task.start_date,
        "end_date": task.end_date,
        "task_url": task.task_url or None,
        "parameters": parameters(task.type, task.parameters),
    }


def compare_live(
    task: LiveTask, desired: DesiredTask | None = None, *, key: Any = None
) -> dict[str, Any]:
    """The live side; fields the desired task leaves unmanaged take the desired (None) value.

    ``max_occurrences``, ``start_date`` and ``end_date`` left out of the configuration are
    unmanaged: the portal may fill them in by itself (a start date of "now", a default count),
    so an unset value is never planned as a change (see the emulator's FIDELITY.md)."""
    if key is None:
        try:
            key = schedule.schedule_key(task.cron)
        except ValueError:
            key = ("unparseable", task.cron)
    managed_max = desired is None or desired.max_occurrences is not None
    managed_start = desired is None or desired.start_date is not None
    managed_end = desired is None or desired.end_date is not None
    return {
        "type": task.type,
        "item_id": (task.item_id or "").lower() or None,
        "schedule": key,
        "max_occurrences": task.max_occurrences if managed_max else None,
        "start_date": task.start_date if managed_start else None,
        "end_date": task.end_date if managed_end else None,
        "task_url": task.task_url or None,
        "parameters": parameters(task.type, task.parameters),
    }


def shown_schedule(task: DesiredTask) -> str | None:
    """The schedule as written; with ``H`` or a ``timezone`` also the UTC fields it compiles
    to: ``0 5 * * 1-5 Europe/Oslo (0 4 * * 1-5 UTC)``, ``H 3 * * * (13 3 * * * UTC)``."""
    if task.schedule is None:
        return None
    text = task.schedule if task.timezone is None else f"{task.schedule} {task.timezone}"
    if task.timezone is None and not uses_hash(task.schedule):
        return text
    try:
        return f"{text} ({schedule.to_unix(task.cron)} UTC)"
    except ValueError:
        return text


def display_desired(task: DesiredTask) -> dict[str, Any]:
    values = compare_desired(task)
    values["schedule"] = shown_schedule(task)
    values["start_date"] = iso_utc(task.start_date)
    values["end_date"] = iso_utc(task.end_date)
    return values


def display_live(task: LiveTask, desired: DesiredTask | None = None) -> dict[str, Any]:
    values = compare_live(task, desired)
    try:
        values["schedule"] = schedule.to_unix(task.cron)
    except ValueError:
        values["schedule"] = " ".join(task.cron.as_portal().values())
    values["start_date"] = iso_utc(values["start_date"])
    values["end_date"] = iso_utc(values["end_date"])
    return values
