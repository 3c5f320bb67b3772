"""Markdown rendering of a plan, for pull-request comments. Pure; no I/O.

GitHub rejects comments over 65,536 characters, so the result always fits ``limit``
characters. The full form is tried first; when it is too long the per-change ``<details>``
are dropped (the table stays); when that is still too long, the table (and the unmanaged and
warning lists) keep only their first K rows and say how many more there are. The cuts happen
between whole blocks, never inside a code fence or a ``<details>`` element.

Text taken from tasks (owners, titles, field names, notes) is escaped, so a title with ``|``,
backticks, ``*`` or ``<b>`` cannot break the table or add formatting.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from taskform.changes import Action, Change, Delete, Plan
from taskform.plan.normalize import display_live
from taskform.render import escape
from taskform.render.common import (
    SECRET_CHANGED,
    change_label,
    field_value,
    format_summary,
    human_iso,
    printable,
    secret_unchanged_looking,
    shows_next_runs,
    sorted_changes,
    value_repr,
)
from taskform.render.plan import schedule as schedule_view

#: The first line of every comment, so a CI job can find and update its previous comment.
MARKER = "<!-- taskform:plan -->"

FULL_PLAN_HINT = "see the full plan in the job log / artifact"


@dataclass(frozen=True)
class _Cut:
    """How much of the plan to show: per-change details or not, and at most ``rows`` entries
    per list (``None``: all)."""

    details: bool = True
    rows: int | None = None


def render_markdown(
    plan: Plan,
    *,
    limit: int = 60000,
    title: str = "taskform plan",
    meta: Mapping[str, Any] | None = None,
) -> str:
    """The plan as a GitHub-flavoured Markdown comment of at most ``limit`` characters.

    ``meta`` (optional; e.g. ``portal``, ``config_digest``) is shown in a small footer so a
    reviewer can tie the comment to the plan file that will be applied.
    """
    full = _build(plan, title, meta, _Cut())
    if len(full) <= limit:
        return full
    text = _build(plan, title, meta, _Cut(details=False))
    if len(text) <= limit:
        return text
    longest = max(len(plan.changes), len(plan.unmanaged), len(plan.warnings), len(plan.blocked))
    low, high = 0, longest  # invariant: rows=high is too long; find the largest that fits
    best: str | None = None
    while low <= high:
        mid = (low + high) // 2
        candidate = _build(plan, title, meta, _Cut(details=False, rows=mid))
        if len(candidate) <= limit:
            best, low = candidate, mid + 1
        else:
            high = mid - 1
    if best is not None:
        return best
    return _hard_cut(_build(plan, title, meta, _Cut(details=False, rows=0)), limit)


def _build(plan: Plan, title: str, meta: Mapping[str, Any] | None, cut: _Cut) -> str:
    changes = sorted_changes(plan)
    blocks: list[str] = [f"{MARKER}\n## {_inline(title)}"]
    meta = dict(meta or {})
    portal, made = meta.pop("portal", None), meta.pop("created_at", None)
    config = meta.get("config")
    if isinstance(config, str) and PurePath(config).is_absolute():
        meta["config"] = PurePath(config).name  # the runner's checkout path means nothing here
    if portal or made:
        said = [f"Portal {_code(str(portal))}" if portal else "", _made(made)]
        blocks.append(" · ".join(part for part in said if part))
    blocks.append(f"**{format_summary(plan)}**")
    if changes:
        blocks.append(_table(changes, cut.rows))
        if cut.details:
            blocks += [_details(change) for change in changes]
        else:
            blocks.append(
                f"_Per-change details are left out to keep this comment short; {FULL_PLAN_HINT}._"
            )
    if plan.blocked:
        items = [f"- {_inline(f'{b.owner}/{b.title}')}: {_inline(b.message)}" for b in plan.blocked]
        blocks.append(
            "### Blocked\n\nLeft alone this run; apply exits 1 until this is resolved.\n\n"
            + _capped(items, cut.rows, "blocked tasks")
        )
    if plan.unmanaged:
        tasks = sorted(plan.unmanaged, key=lambda t: (t.owner, t.title, t.id))
        items = [f"- {_inline(f'{t.owner}/{t.title}')} ({_code(t.id)})" for t in tasks]
        blocks.append(
            "### Unmanaged tasks\n\nNot in the configuration; left alone.\n\n"
            + _capped(items, cut.rows, "unmanaged tasks")
        )
    if plan.warnings:
        items = [f"- {_inline(w)}" for w in plan.warnings]
        blocks.append("### Warnings\n\n" + _capped(items, cut.rows, "warnings"))
    if meta:
        pairs = " · ".join(f"{_inline(str(k))}: {_code(_meta_value(v))}" for k, v in meta.items())
        blocks.append(f"<sub>{pairs}</sub>")
    return "\n\n".join(blocks) + "\n"


def _made(created_at: Any) -> str:
    if not created_at:
        return ""
    return f"planned {_inline(human_iso(str(created_at)) or str(created_at))}"


def _what(change: Change) -> str:
    """The table's last column: for a create its type and schedule, for an update the fields
    that change, for a delete what it removes."""
    if change.action is Action.CREATE:
        kind, when = change.fields.get("type"), change.fields.get("schedule")
        parts = ["new"]
        if kind is not None:
            parts.append(_code(str(kind.after), table=True))
        if when is not None:
            parts.append(_code(str(when.after), table=True))
        return " ".join(parts) + " task"
    if change.action is Action.DELETE:
        if not isinstance(change, Delete):  # read back from a plan file: no live task
            return f"removes task {_code(change.task_id or '?', table=True)}"
        live = change.live
        shown = display_live(live)
        return (
            f"removes {_code(live.type, table=True)} task {_code(live.id, table=True)}, "
            f"{_code(str(shown['schedule']), table=True)}"
        )
    return ", ".join(_code(name, table=True) for name in change.fields) or "—"


def _table(changes: list[Change], rows: int | None) -> str:
    lines = ["| Action | Owner | Title | Changes |", "| --- | --- | --- | --- |"]
    for change in changes[:rows] if rows is not None else changes:
        fields = _what(change)
        action = f"{change.action.symbol} {change.action.value}"
        lines.append(f"| {action} | {_inline(change.owner)} | {_inline(change.title)} | {fields} |")
    text = "\n".join(lines)
    if rows is not None and len(changes) > rows:
        text += f"\n\n… and {len(changes) - rows} more changes ({FULL_PLAN_HINT})"
    return text


def _capped(items: list[str], rows: int | None, what: str) -> str:
    if rows is None or len(items) <= rows:
        return "\n".join(items)
    shown = "\n".join(items[:rows])
    more = f"… and {len(items) - rows} more {what} ({FULL_PLAN_HINT})"
    return f"{shown}\n\n{more}" if shown else more


def _details(change: Change) -> str:
    summary = html.escape(f"{change.action.symbol} {change.action.value} {change_label(change)}")
    diff = "\n".join(_diff_lines(change))
    longest = max((len(run) for run in escape.BACKTICK_RUN.findall(diff)), default=0)
    fence = "`" * max(3, longest + 1)
    parts = [f"<details><summary>{summary}</summary>", f"{fence}diff\n{diff}\n{fence}"]
    extra: list[str] = []
    if change.note:
        extra.append(f"Note: {_inline(change.note)}")
    extra += [_inline(line[:1].upper() + line[1:]) for line in schedule_view.lines(change)]
    if shows_next_runs(change):
        extra.append(f"Next runs: {schedule_view.next_runs_text(change)}")
    if extra:
        parts.append("  \n".join(extra))
    parts.append("</details>")
    return "\n\n".join(parts)


def _diff_lines(change: Change) -> list[str]:
    """The field diff, one ``diff`` line each: ``+`` new, ``-`` old, ``!`` secret changed."""
    lines: list[str] = []
    if change.action is Action.CREATE:
        width = max((len(printable(name)) for name in change.fields), default=0)
        for name, fc in change.fields.items():
            lines.append(f"+ {printable(name).ljust(width)} = {field_value(fc, fc.after)}")
    elif change.action in (Action.UPDATE, Action.REPLACE):
        for name, fc in change.fields.items():
            shown = printable(name)
            if secret_unchanged_looking(fc):
                lines.append(f"! {shown}: {SECRET_CHANGED}")
            else:
                lines.append(f"- {shown}: {field_value(fc, fc.before)}")
                lines.append(f"+ {shown}: {field_value(fc, fc.after)}")
    else:
        lines.append(f"- {change_label(change)}")
        if isinstance(change, Delete):  # what the delete removes, as it is live
            # Not its parameters: a task taskform does not manage may hold credentials there.
            live_values = {
                k: v
                for k, v in display_live(change.live).items()
                if v not in (None, {}) and k != "parameters"
            }
            width = max((len(name) for name in live_values), default=0)
            for name, value in live_values.items():
                lines.append(f"- {name.ljust(width)} = {printable(value_repr(value))}")
    return lines or [f"~ {change_label(change)}"]


_inline = escape.md_inline
_code = escape.md_code


def _meta_value(value: Any) -> str:
    return value if isinstance(value, str) else value_repr(value)


def _hard_cut(text: str, limit: int) -> str:
    """Last resort when even the shortest form is too long (a huge title or meta): cut at a
    line end. Only reached without details, so no code fence can be open."""
    notice = f"\n\n… (cut to fit; {FULL_PLAN_HINT})\n"
    if limit <= len(notice):
        return notice.strip()[: max(limit, 0)]
    head = text[: limit - len(notice)]
    head = head[: head.rindex("\n")] if "\n" in head else ""
    return head + notice if head else notice.strip() + "\n"
