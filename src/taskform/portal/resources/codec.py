"""Portal JSON ⇄ model values: task objects, run objects and the createTask/update form.

Decoding keeps what the portal returned (``parameters`` as an object, ``notebookParameters``
still a JSON string); normalising for comparison is the planner's job. Decoding errors raise
``ValueError`` with a readable message; the client turns them into ``BadResponse``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from taskform import tasktypes
from taskform.model import CronFields, DesiredTask, LiveTask, Run, made


def task_from_json(raw: Mapping[str, Any], owner: str | None = None) -> LiveTask:
    """A task object (docs/design.md §A4) as a :class:`LiveTask`.

    ``owner`` is used when the object has no ``userId``.
    """
    if type(raw) is not dict and not isinstance(raw, Mapping):
        raise ValueError(f"a task should be a JSON object, not {type(raw).__name__}")
    task_id = raw.get("id")
    if not isinstance(task_id, str) or not task_id:
        raise ValueError("a task has no 'id'")
    user = raw.get("userId")
    task_owner = user if isinstance(user, str) and user else owner
    if not task_owner:
        raise ValueError(f"task {task_id} has no 'userId'")
    task_type = raw.get("type")
    if not isinstance(task_type, str) or not task_type:
        raise ValueError(f"task {task_id} has no 'type'")
    cron = raw.get("cronSchedule")
    if type(cron) is not dict and not isinstance(cron, Mapping):
        raise ValueError(f"task {task_id} has no 'cronSchedule' object")
    get = raw.get
    # Every field, so the task is made without its __init__ (see taskform.model.made).
    return made(
        LiveTask,
        {
            "id": task_id,
            "owner": task_owner,
            "title": _text(get("title")) or "",
            "type": task_type,
            "cron": CronFields.from_portal(cron),
            "item_id": _text(get("itemId")) or None,
            "max_occurrences": _int(raw, "maxOccurrences", task_id),
            "active": _active(raw),
            "task_state": _text(get("taskState")),
            "start_date": _int(raw, "startDate", task_id),
            "end_date": _int(raw, "endDate", task_id),
            "parameters": _parameters(get("parameters"), task_id),
            "task_url": _text(get("taskUrl")) or _text(get("taskURL")) or None,
            "created": _int(raw, "created", task_id),
            "updated": _int(raw, "updated", task_id),
            "next_start": _int(raw, "nextStart", task_id),
            "last_start": _int(raw, "lastStart", task_id),
            "raw": dict(raw),
        },
    )


def run_from_json(raw: Mapping[str, Any]) -> Run:
    """A run object (docs/design.md §A5) as a :class:`Run`."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"a run should be a JSON object, not {type(raw).__name__}")
    run_id = raw.get("runId", raw.get("id"))
    if not isinstance(run_id, str) or not run_id:
        raise ValueError("a run has no 'runId'")
    result = raw.get("result")
    if result is not None and not isinstance(result, str):
        result = json.dumps(result, sort_keys=True)
    return Run(
        run_id=run_id,
        status=_text(raw.get("status")) or "",
        result=result,
        created=_int(raw, "created", run_id),
        modified=_int(raw, "modified", run_id),
    )


def task_form(task: DesiredTask, live: LiveTask | None = None) -> dict[str, str]:
    """The form fields of createTask (``live`` is None) or of a full-replacement update.

    ``maxOccurrences``, ``startDate`` and ``endDate`` not managed in the config keep the live
    value on update (never reset them, unlike the official client), so an update means the
    same whether the portal replaces or patches; ``isActive`` is never sent — activity goes
    through enable/disable. The GP task URL goes as ``taskURL`` on create and ``taskUrl`` on
    update, exactly as Esri's client sends them (arcgis 2.4.4 ``gis/tasks/_schedule.py``).
    """
    if not task.type:
        raise ValueError(f"task {task.title!r} has no type")
    form: dict[str, str] = {"title": task.title, "type": task.type}
    if task.item_id is not None:
        form["itemId"] = task.item_id
    form.update(task.cron.as_portal())
    form["parameters"] = json.dumps(encode_parameters(task.type, task.parameters))
    start, end = task.start_date, task.end_date
    if live is not None:
        start = start if start is not None else live.start_date
        end = end if end is not None else live.end_date
    if start is not None:
        form["startDate"] = str(int(start))
    if end is not None:
        form["endDate"] = str(int(end))
    occurrences = task.max_occurrences
    if occurrences is None and live is not None:
        occurrences = live.max_occurrences
    if occurrences is not None:
        form["maxOccurrences"] = str(int(occurrences))
    task_url = task.task_url or (live.task_url if live is not None else None)
    if task_url:
        form["taskURL" if live is None else "taskUrl"] = task_url
    form["f"] = "json"
    return form


def encode_parameters(task_type: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """``parameters`` as the portal stores them (for ExecuteNotebook, ``notebookParameters``
    is itself a JSON string; see :mod:`taskform.tasktypes`)."""
    return tasktypes.get(task_type).encode(parameters)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(raw: Mapping[str, Any], key: str, owner_id: str) -> int | None:
    value = raw.get(key)
    if type(value) is int:  # nearly always (checked first: 10,000 tasks have 7 each)
        return value
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{owner_id}: '{key}' should be a number, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise ValueError(f"{owner_id}: '{key}' should be a whole number, not {value!r}")


def _active(raw: Mapping[str, Any]) -> bool:
    active = raw.get("active")
    if isinstance(active, bool):
        return active
    state = raw.get("taskState")
    if isinstance(state, str):
        return state.lower() == "active"
    return True


def _parameters(value: Any, task_id: str) -> dict[str, Any]:
    if type(value) is dict:  # nearly always
        return dict(value)
    if value is None or value == "":
        return {}
    if isinstance(value, str):  # some portals return the JSON string as sent
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError(f"{task_id}: 'parameters' is not valid JSON") from None
    if not isinstance(value, Mapping):
        raise ValueError(f"{task_id}: 'parameters' should be an object")
    return dict(value)
