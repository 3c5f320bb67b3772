"""Rendering: the only place that turns plans and apply reports into text.

Every function here is pure: it takes engine values (:mod:`taskform.model`) and returns
a string or a JSON-ready dict. Nothing prints, reads or writes files; the CLI does that.

Formats:

- :func:`render_text` — Terraform-style plan for a terminal (colour on request);
- :func:`render_json` / :func:`plan_document` — the plan JSON of docs/design.md §6 (also the
  file ``plan --out`` writes), with a few additive extensions listed in :func:`plan_document`;
- :func:`render_markdown` — a pull-request comment that always fits GitHub's size limit;
- :func:`render_apply_report` — the per-task result table after ``apply``;
- :func:`format_summary` / :func:`format_apply_summary` — the one-line summaries.

Secret field values reach this module already masked (see :class:`~taskform.model.
FieldChange`); they are shown as they are and never unmasked.

Tests: ``tests/render/test_render.py`` compares the output for hand-built plans with golden
files in ``tests/fixtures/render/``. After an intended change of output, regenerate them with
``UPDATE_GOLDEN=1 .venv/bin/pytest tests/render/test_render.py`` and review the diff.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from taskform.epoch import iso_utc

if TYPE_CHECKING:
    from taskform.changes import Change, Plan
    from taskform.render.common import format_summary
    from taskform.render.plan.markdown import render_markdown
    from taskform.render.plan.text import format_apply_summary, render_apply_report, render_text

#: What loads on first use: the views import the schedule and task-type code, and the plan
#: model (``taskform.changes``) comes with them, none of which ``validate`` and the error path
#: of every command (through :mod:`taskform.render.escape`) need: name -> module.
_LAZY = {
    "format_summary": "taskform.render.common",
    "render_markdown": "taskform.render.plan.markdown",
    "format_apply_summary": "taskform.render.plan.text",
    "render_apply_report": "taskform.render.plan.text",
    "render_text": "taskform.render.plan.text",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FORMAT_VERSION",
    "format_apply_summary",
    "format_summary",
    "plan_document",
    "render_apply_report",
    "render_json",
    "render_markdown",
    "render_text",
]


def _jsonable(value: Any) -> Any:
    from taskform.render.common import jsonable

    return jsonable(value)


#: ``format_version`` of the plan JSON (docs/design.md §6).
FORMAT_VERSION = "1"


def plan_document(plan: Plan, *, meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The plan as the JSON object of docs/design.md §6.

    Fixed keys: ``format_version`` (``"1"``), ``summary`` ``{create, update, delete,
    unchanged}`` and ``changes``, each ``{action, owner, title, task_id, fields}`` with
    ``fields`` mapping a field name to ``{before, after}``. Changes keep plan order (the order
    apply runs them in); field values are passed through as JSON values (secrets masked).

    Extensions (additive): per change ``fingerprint`` (string or null: the live task as
    planned, for the stale-plan check), ``next_runs`` (ISO 8601 UTC strings), ``note`` (string
    or null) and ``ops`` (the portal writes, in order: ``disable``, ``delete``, ``create``,
    ``update``, ``enable``); ``schedule`` on creates and reschedules (docs/design.md §10:
    ``description``, ``runs_per_week_before`` (null for a create), ``runs_per_week_after``; and
    ``description_before``, ``next_14_days`` ``{added, removed, added_runs, removed_runs}``,
    ``timezone``, ``offset_note``); top-level ``unmanaged`` ``[{owner, title, task_id}]`` and
    ``warnings`` ``[string]``; ``action`` ``replace`` (delete then create: a type change),
    with ``summary.replace``; when tasks are blocked, ``blocked`` ``[{owner, title,
    task_ids, message}]`` and ``summary.blocked``; and, when given, ``meta``: an object
    holding the given mapping
    (the CLI puts ``config_digest``, ``portal``, ``created_at``, ``taskform_version`` there;
    :mod:`taskform.plan.planfile` reads it back from ``meta``).
    """
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "summary": dict(plan.summary),
        "changes": [_change_document(change) for change in plan.changes],
        "unmanaged": [
            {"owner": task.owner, "title": task.title, "task_id": task.id}
            for task in plan.unmanaged
        ],
        "warnings": list(plan.warnings),
    }
    if plan.blocked:
        document["blocked"] = [
            {"owner": b.owner, "title": b.title, "task_ids": list(b.task_ids), "message": b.message}
            for b in plan.blocked
        ]
    if meta is not None:
        document["meta"] = _jsonable(meta)
    return document


def _change_document(change: Change) -> dict[str, Any]:
    return {
        "action": change.action.value,
        "owner": change.owner,
        "title": change.title,
        "task_id": change.task_id,
        "fields": {
            name: {"before": _jsonable(fc.before), "after": _jsonable(fc.after)}
            for name, fc in change.fields.items()
        },
        "fingerprint": change.fingerprint,
        "next_runs": [iso_utc(ms) for ms in change.next_runs],
        "note": change.note,
        "ops": [op.value for op in change.ops],
        **({"schedule": _schedule_document(change)} if change.schedule else {}),
    }


def _schedule_document(change: Change) -> dict[str, Any]:
    from taskform.render.plan import schedule as schedule_view

    assert change.schedule is not None
    return schedule_view.document(change.schedule)


def render_json(
    plan: Plan,
    *,
    meta: Mapping[str, Any] | None = None,
    clean: Callable[[Any], Any] | None = None,
) -> str:
    """:func:`plan_document` as indented JSON text, ending with a newline. The same plan and
    meta always give the same bytes (key order is fixed, not sorted). ``clean`` may rewrite the
    document's strings first (the CLI passes ``redact.scrub_data``), never its JSON syntax."""
    document = plan_document(plan, meta=meta)
    if clean is not None:
        document = clean(document)
    return json.dumps(document, indent=2, sort_keys=False) + "\n"
