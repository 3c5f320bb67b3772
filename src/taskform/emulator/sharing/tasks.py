"""Scheduled-task records: request validation, the defaults the portal fills in, rendering
and the run lifecycle.

Defaults the emulator fills in (the README links this table via FIDELITY.md):

=========================================  ===============================================
request                                    stored / returned
=========================================  ===============================================
``maxOccurrences`` omitted or empty        ``-1`` (unlimited)
``title`` omitted                          ``""``
``parameters`` omitted                     ``{}`` (ExecuteNotebook: the three keys below)
ExecuteNotebook ``updatePortalItem``       ``false`` when missing
ExecuteNotebook ``saveInjectedParameters`` ``false`` when missing
ExecuteNotebook ``notebookParameters``     ``"{}"`` when missing; an object is stored and
                                           returned as its JSON string (``json.dumps``);
                                           a string is kept exactly as sent
``startDate`` / ``endDate`` omitted        not stored; omitted from the task object
``itemId`` omitted (ExecuteReport only)    omitted from the task object
``taskUrl`` / ``taskURL``                  stored as ``taskUrl`` for GPService only
update (full replacement)                  every optional field not sent is reset as above
=========================================  ===============================================

A record (what the store persists) has the request fields plus ``id``, ``owner``,
``created``, ``updated``, ``runIntervalSeconds`` (fixed at write time), ``state``
(active | paused | completed | disabled), ``lastStart``, ``occurrences`` and
``consecutiveFailures``. ``nextStart``, ``active`` and the effective ``taskState``
are derived when the task is read: an active or paused task whose ``endDate`` has passed
on the emulator clock reads as completed.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from ..jobs import quartz
from ..server.errors import bad_request
from ..server.quirks import Quirks

TASK_TYPES = (
    "ExecuteNotebook",
    "UpdateInsightsWorkbook",
    "ExecuteSceneCook",
    "ExecuteWorkflowManager",
    "ExecuteReport",
    "GPService",
    "RunDataPipeline",
)
RUN_STATUSES = ("scheduled", "executing", "succeeded", "skipped", "failed", "submitfailed")
SCENE_UPDATE_MODES = ("RECREATE_ALL_NODES", "PARTIAL_UPDATE_NODES", "PARTIAL_UPDATE_ATTRIBUTES")
FAILED_RUNS_TO_DISABLE_TASK = 5  # Enterprise limit FailedRunsToDisableTask, default 5
TASK_RUN_HISTORY_COUNT = 30  # Enterprise limit TaskRunHistoryCount, default 30

_ITEM_ID = re.compile(r"[0-9a-fA-F]{32}")
_GP_TASK_URL = re.compile(r"https?://[^\s/]+(?:/[^\s/?#]+)*/GPServer/[^\s/?#]+/?")
_HTTP_URL = re.compile(r"https?://[^\s/]+(?:/\S*)?")


def parse_task_form(
    values: Mapping[str, str], *, current_type: str | None, quirks: Quirks | None = None
) -> dict[str, Any]:
    """Validate a createTask (current_type None) or update request; return the stored spec.

    ``quirks`` decides which task URL parameter is read (both by default).

    Raises PortalError 400 whose message is the first problem and details list them all.
    """
    problems: list[str] = []
    task_type = values.get("type") or ""
    if not task_type:
        problems.append("Missing required parameter 'type'.")
    elif task_type not in TASK_TYPES:
        problems.append(f"Invalid task type '{task_type}': must be one of {', '.join(TASK_TYPES)}.")
    elif current_type is not None and task_type != current_type:
        # Stricter reading (not documented either way): a task keeps its type.
        problems.append(f"The type of a task cannot be changed (task is {current_type}).")

    item_id = values.get("itemId") or None
    if item_id is None and task_type != "ExecuteReport":
        problems.append("Missing required parameter 'itemId'.")
    elif item_id is not None and not _ITEM_ID.fullmatch(item_id):
        problems.append(f"Invalid itemId '{item_id}': must be a 32-character hexadecimal item id.")

    cron = {field: values.get(field) or "" for field in quartz.FIELDS}
    try:
        quartz.parse(cron)
    except quartz.QuartzError as exc:
        problems.extend(exc.problems)

    parameters = _parameters(values.get("parameters") or "", task_type, problems)
    start, end = _epoch(values, "startDate", problems), _epoch(values, "endDate", problems)
    # startDate == endDate is accepted: the documentation's own sample request sends it.
    if start is not None and end is not None and start > end:
        problems.append("startDate must not be after endDate.")
    max_occurrences = _max_occurrences(values.get("maxOccurrences") or "", problems)

    creating = current_type is None
    task_url = (quirks or Quirks()).task_url_form(values, creating=creating)
    if task_type == "GPService":
        if task_url is None:
            problems.append("Missing required parameter 'taskUrl' for a GPService task.")
        elif not _GP_TASK_URL.fullmatch(task_url):
            problems.append(
                f"Invalid taskUrl '{task_url}': must be the http(s) URL of a geoprocessing "
                "task, like https://host/server/rest/services/Name/GPServer/TaskName."
            )
    else:
        task_url = None
    if problems:
        raise bad_request(problems)
    return {
        "type": task_type,
        "title": values.get("title") or "",
        "itemId": item_id,
        "cronSchedule": cron,
        "parameters": parameters,
        "maxOccurrences": max_occurrences,
        "startDate": start,
        "endDate": end,
        "taskUrl": task_url,
    }


def _parameters(text: str, task_type: str, problems: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if text:
        try:
            decoded = json.loads(text)
        except json.JSONDecodeError as exc:
            problems.append(f"Invalid parameters: not valid JSON ({exc.msg}).")
            return {}
        if not isinstance(decoded, dict):
            problems.append("Invalid parameters: must be a JSON object.")
            return {}
        params = decoded
    if task_type == "ExecuteNotebook":
        _notebook_parameters(params, problems)
    elif task_type == "ExecuteSceneCook":
        _scene_cook_parameters(params, bool(text), problems)
    elif task_type == "ExecuteReport" and not params:
        problems.append("Missing required parameter 'parameters' for an ExecuteReport task.")
    return params


def _notebook_parameters(params: dict[str, Any], problems: list[str]) -> None:
    for key in ("updatePortalItem", "saveInjectedParameters"):
        params.setdefault(key, False)
        if not isinstance(params[key], bool):
            problems.append(f"Invalid parameters: '{key}' must be true or false.")
    injected = params.setdefault("notebookParameters", "{}")
    if isinstance(injected, dict):
        params["notebookParameters"] = json.dumps(injected)  # the portal stores a JSON string
    elif isinstance(injected, str):
        try:
            ok = isinstance(json.loads(injected), dict)
        except json.JSONDecodeError:
            ok = False
        if not ok:
            problems.append("Invalid parameters: 'notebookParameters' must be a JSON object.")
    else:
        problems.append("Invalid parameters: 'notebookParameters' must be a JSON object.")


def _scene_cook_parameters(params: dict[str, Any], given: bool, problems: list[str]) -> None:
    if not given:
        problems.append("Missing required parameter 'parameters' for an ExecuteSceneCook task.")
        return
    missing = [
        key
        for key in ("service_url", "num_of_caching_service_instances", "layer", "update_mode")
        if key not in params
    ]
    if missing:
        problems.append(f"Invalid parameters: ExecuteSceneCook needs {', '.join(missing)}.")
    url = params.get("service_url")
    if "service_url" in params and not (isinstance(url, str) and _HTTP_URL.fullmatch(url)):
        problems.append("Invalid parameters: 'service_url' must be an http(s) URL.")
    count = params.get("num_of_caching_service_instances")
    if "num_of_caching_service_instances" in params and (
        isinstance(count, bool) or not isinstance(count, int) or count < 1
    ):
        problems.append(
            "Invalid parameters: 'num_of_caching_service_instances' must be an integer >= 1."
        )
    if "layer" in params and not isinstance(params["layer"], str):
        problems.append("Invalid parameters: 'layer' must be a string (\"{}\" = all layers).")
    mode = params.get("update_mode")
    if "update_mode" in params and mode not in SCENE_UPDATE_MODES:
        problems.append(
            f"Invalid parameters: 'update_mode' must be one of {', '.join(SCENE_UPDATE_MODES)}."
        )


def _epoch(values: Mapping[str, str], name: str, problems: list[str]) -> int | None:
    text = values.get(name) or ""
    if not text:
        return None
    if not text.isdigit():
        problems.append(f"Invalid {name} '{text}': must be epoch milliseconds.")
        return None
    return int(text)


def _max_occurrences(text: str, problems: list[str]) -> int:
    if not text:
        return -1  # the portal's "unlimited"; chosen default for an omitted value
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1 and number != -1:
        problems.append(f"Invalid maxOccurrences '{text}': must be an integer >= 1, or -1.")
    return number


# -- records ------------------------------------------------------------------------------------


def new_record(spec: dict[str, Any], owner: str, now_ms: int) -> dict[str, Any]:
    record: dict[str, Any] = {"id": uuid.uuid4().hex, "owner": owner, "created": now_ms}
    record.update(lastStart=None, occurrences=0, consecutiveFailures=0, state="active")
    replace_spec(record, spec, now_ms)
    return record


def replace_spec(record: dict[str, Any], spec: dict[str, Any], now_ms: int) -> None:
    """Full replacement of the user-settable fields (update keeps id, owner, state, history)."""
    record.update(copy.deepcopy(spec))
    record["updated"] = now_ms
    record["runIntervalSeconds"] = quartz.interval_seconds(
        quartz.parse(spec["cronSchedule"]), now_ms
    )


def effective_state(record: Mapping[str, Any], now_ms: int) -> str:
    state: str = record["state"]
    end = record.get("endDate")
    if state in ("active", "paused") and end is not None and now_ms >= end:
        return "completed"
    return state


def is_active(record: Mapping[str, Any], now_ms: int) -> bool:
    return effective_state(record, now_ms) == "active"


def enable_problem(record: Mapping[str, Any], now_ms: int) -> str | None:
    """Why the task cannot be enabled (stricter reading: finished tasks stay finished)."""
    limit = record["maxOccurrences"]
    if limit != -1 and record["occurrences"] >= limit:
        return (
            f"Unable to enable task: it has completed all {limit} of its occurrences; "
            "update maxOccurrences first."
        )
    end = record.get("endDate")
    if end is not None and now_ms >= end:
        return "Unable to enable task: its endDate has passed; update endDate first."
    return None


def render(record: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
    """The task object as the portal returns it (list items and single GET alike)."""
    state = effective_state(record, now_ms)
    out: dict[str, Any] = {"id": record["id"]}
    if record.get("itemId") is not None:
        out["itemId"] = record["itemId"]
    out.update(type=record["type"], title=record["title"], userId=record["owner"])
    out["cronSchedule"] = dict(record["cronSchedule"])
    out["runIntervalSeconds"] = record["runIntervalSeconds"]
    next_start = _next_start(record, state, now_ms)
    if next_start is not None:
        out["nextStart"] = next_start
    if record.get("lastStart") is not None:
        out["lastStart"] = record["lastStart"]
    out["maxOccurrences"] = record["maxOccurrences"]
    out["parameters"] = copy.deepcopy(record["parameters"])
    out.update(created=record["created"], updated=record["updated"])
    for key in ("startDate", "endDate"):
        if record.get(key) is not None:
            out[key] = record[key]
    out.update(active=state == "active", taskState=state)
    if record.get("taskUrl") is not None:
        out["taskUrl"] = record["taskUrl"]
    return out


def _next_start(record: Mapping[str, Any], state: str, now_ms: int) -> int | None:
    if state != "active":
        return None
    after = now_ms
    if record.get("startDate") is not None:
        after = max(after, record["startDate"] - 1)
    fire = quartz.parse(record["cronSchedule"]).next_after(after)
    end = record.get("endDate")
    if fire is None or (end is not None and fire >= end):
        return None
    return fire


def record_run(
    record: dict[str, Any],
    runs: list[dict[str, Any]],
    status: str,
    result: str,
    url: str,
    now_ms: int,
    created: int | None = None,
) -> dict[str, Any]:
    """Record one run of the task (what the portal's scheduler does) and apply the lifecycle:
    completed after maxOccurrences runs, disabled after 5 consecutive failed runs.

    Without an explicit ``created`` the run starts now, or 1 ms after the previous run, so
    runs recorded on a fixed clock still have distinct, increasing start times."""
    if created is None:
        created = max(now_ms, runs[-1]["created"] + 1) if runs else now_ms
    record["lastStart"] = created
    record["occurrences"] += 1
    if status in ("failed", "submitfailed"):
        record["consecutiveFailures"] += 1
    elif status == "succeeded":
        record["consecutiveFailures"] = 0
    run_id = uuid.uuid4().hex
    run = {
        "runId": run_id,
        "status": status,
        "result": result,
        "created": created,
        "modified": created,
        "url": url.replace("{runId}", run_id),
        "task": render(record, now_ms),
    }
    limit = record["maxOccurrences"]
    if limit != -1 and record["occurrences"] >= limit:
        record["state"] = "completed"
    elif record["consecutiveFailures"] >= FAILED_RUNS_TO_DISABLE_TASK:
        record["state"] = "disabled"
    runs.append(run)
    del runs[:-TASK_RUN_HISTORY_COUNT]
    return run
