"""Changes for tests that are about showing or applying them, not about planning: the tasks
a change type carries are filled in with stand-ins where the test does not give them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from taskform.changes import Action, Change, Create, Delete, FieldChange, Replace, Update
from taskform.model import CronFields, DesiredTask, LiveTask

CRON = CronFields("0", "2", "?", "*", "2")


def stand_in_desired(owner: str, title: str, **fields: Any) -> DesiredTask:
    fields.setdefault("type", "ExecuteNotebook")
    fields.setdefault("cron", CRON)
    return DesiredTask(owner=owner, title=title, **fields)


def stand_in_live(owner: str, title: str, task_id: str) -> LiveTask:
    return LiveTask(id=task_id, owner=owner, title=title, type="ExecuteNotebook", cron=CRON)


def make_change(
    action: Action,
    owner: str,
    title: str,
    *,
    task_id: str | None = None,
    fields: Mapping[str, FieldChange] | None = None,
    desired: DesiredTask | None = None,
    live: LiveTask | None = None,
    **rest: Any,
) -> Change:
    """The change of type ``action``; a task id is made up from the title where one is needed
    and not given."""
    fields = {} if fields is None else fields
    desired = desired or stand_in_desired(owner, title)
    if action is Action.CREATE:
        return Create(owner=owner, title=title, fields=fields, desired=desired, **rest)
    task_id = task_id if task_id is not None else f"{abs(hash(title)):032x}"
    live = live or stand_in_live(owner, title, task_id)
    common = {"owner": owner, "title": title, "task_id": task_id, "fields": fields, **rest}
    if action is Action.DELETE:
        return Delete(live=live, **common)
    if action is Action.UPDATE:
        return Update(desired=desired, live=live, **common)
    return Replace(desired=desired, live=live, **common)
