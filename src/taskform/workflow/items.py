"""Plan-time item checks: every declared ``item_id`` looked up through the portal's item API.

A real portal refuses a task for an item it does not know, an item of the wrong type and an
item the task's owner cannot use; these are found here, before anything is written, all in one
run, at the task's line. The lookups are batched (``search`` with ``id:(... OR ...)``, 100 ids
a request: the client's :meth:`~taskform.portal.client.PortalClient.search_items`), never one
per task.

When a notebook changes owner, the portal moves its tasks to the new owner, switched off. A
declared task that is missing from its owner's list, whose item now belongs to someone else who
has a task of that title on that item, has moved with it: it is reported and not created again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from taskform import tasktypes
from taskform.changes import Action, Plan
from taskform.errors import PortalError, Problem
from taskform.model import DesiredTask, LiveTask, Portal

#: Looks items up by id: the ones the portal (and the signed-in user) knows, by lower-case id.
ItemLookup = Callable[[Sequence[str]], Mapping[str, Mapping[str, object]]]

SHARED = frozenset({"org", "public"})


@dataclass(frozen=True)
class ItemCheck:
    problems: tuple[Problem, ...]
    #: Declared tasks whose item belongs to someone else now: task key -> the item's owner.
    elsewhere: Mapping[tuple[str, str], str]


def check_items(tasks: Sequence[DesiredTask], lookup: ItemLookup) -> ItemCheck:
    """Look every declared item up once; the problems, and the tasks whose item moved away
    (which are problems too unless :func:`moved_tasks` finds the task with its item)."""
    present = [t for t in tasks if t.item_id]
    ids = sorted({str(t.item_id).lower() for t in present})
    if not ids:
        return ItemCheck((), {})
    found = {k.lower(): v for k, v in lookup(ids).items()}
    problems: list[Problem] = []
    elsewhere: dict[tuple[str, str], str] = {}
    for task in present:
        item_id = str(task.item_id).lower()
        item = found.get(item_id)
        if item is None:
            problems.append(
                _problem(
                    task,
                    f"item_id {item_id}: the portal has no such item, or the signed-in user "
                    "cannot see it",
                    "check the id, which ends the item's page URL, and that the item is "
                    "shared with the signed-in user",
                )
            )
            continue
        kind = item.get("type")
        fits = tasktypes.get(task.type).item_types
        if isinstance(kind, str) and kind and fits and kind not in fits:
            problems.append(
                _problem(
                    task,
                    f"item_id {item_id} is {_a(kind)} ({_title(item)}); {_a(task.type or '')} "
                    f"task runs against {_a(fits[0])}",
                    "check item_id and type",
                )
            )
            continue
        owner = item.get("owner")
        # GPService: the web tool's owner or an administrator may schedule it; whether the
        # task's owner is an administrator is the portal's to say at apply time.
        gp = task.type == "GPService"
        if isinstance(owner, str) and owner and not gp and not _usable(item, owner, task.owner):
            elsewhere[task.key] = owner
    return ItemCheck(tuple(problems), elsewhere)


def moved_tasks(
    portal: Portal,
    tasks: Sequence[DesiredTask],
    check: ItemCheck,
    live: Mapping[str, Sequence[LiveTask]],
) -> tuple[dict[tuple[str, str], LiveTask], list[Problem]]:
    """Of the tasks whose item belongs to someone else: those that moved with it (found in the
    new owner's list: same title, type and item), and problems for the rest. One listing per
    new owner, only when there are such tasks."""
    by_key = {t.key: t for owned in live.values() for t in owned}
    waiting = [t for t in tasks if t.key in check.elsewhere]
    moved: dict[tuple[str, str], LiveTask] = {}
    problems: list[Problem] = []
    new_owners = sorted({check.elsewhere[t.key] for t in waiting if t.key not in by_key})
    theirs: dict[str, Sequence[LiveTask]] = {}
    unreadable: dict[str, str] = {}
    for owner in new_owners:
        try:
            theirs.update(portal.list_tasks([owner]))
        except PortalError as exc:
            unreadable[owner] = exc.message
    for task in waiting:
        owner = check.elsewhere[task.key]
        item_id = str(task.item_id).lower()
        match = next(
            (
                t
                for t in theirs.get(owner, ())
                if t.title == task.title
                and t.type == task.type
                and (t.item_id or "").lower() == item_id
            ),
            None,
        )
        if task.key not in by_key and match is not None:
            moved[task.key] = match
            continue
        hint = f"share the item with {task.owner}, or declare the task with owner: {owner}"
        if owner in unreadable:
            hint += f" (could not read {owner}'s tasks: {unreadable[owner]})"
        problems.append(
            _problem(
                task, f"item_id {item_id} belongs to {owner}; {task.owner} cannot use it", hint
            )
        )
    return moved, problems


def without_moved(plan: Plan, moved: Mapping[tuple[str, str], LiveTask]) -> Plan:
    """The plan without creating the tasks that moved with their item; a warning for each."""
    if not moved:
        return plan
    changes = tuple(
        c for c in plan.changes if not (c.action is Action.CREATE and (c.owner, c.title) in moved)
    )
    warnings = [
        f"{key[0]}/{key[1]} moved to {task.owner} with its item {task.item_id} (task "
        f"{task.id}, {'active' if task.active else 'switched off'}); not created again. "
        f"Declare it with owner: {task.owner}, or reassign the item back to {key[0]}"
        for key, task in sorted(moved.items())
    ]
    return dataclasses.replace(plan, changes=changes, warnings=plan.warnings + tuple(warnings))


def _usable(item: Mapping[str, object], item_owner: str, task_owner: str) -> bool:
    return item_owner.lower() == task_owner.lower() or item.get("access") in SHARED


def _title(item: Mapping[str, object]) -> str:
    title = item.get("title")
    return repr(title) if isinstance(title, str) and title else "untitled"


def _a(word: str) -> str:
    return ("an " if word[:1].upper() in "AEIOU" else "a ") + word


def _problem(task: DesiredTask, message: str, hint: str = "") -> Problem:
    position = task.position
    file = position.file if position is not None else f"{task.owner}/{task.title}"
    line = position.line if position is not None else None
    return Problem(file, line, f"{task.owner}/{task.title}: {message}", hint)
