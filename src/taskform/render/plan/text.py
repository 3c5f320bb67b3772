"""Plain-text (terminal) rendering of plans and apply reports. Pure; no printing.

Colour is added only by a :class:`~taskform.render.style.Paint` passed in (``paint=``); the CLI
decides whether the terminal wants it. Layout of a plan::

    Symbols: + create  ~ update  - delete

    + gis_admin/Nightly parcels refresh
        + type     = "ExecuteNotebook"
        + schedule = "0 2 * * 1-5"
        next runs: 2026-12-01 02:00 UTC, 2026-12-02 02:00 UTC, 2026-12-03 02:00 UTC

    ~ gis_admin/Weekly cook (5837c7bc37ac404e8e3c16d9022b2b59)
        ~ active: false -> true
        note: paused in the portal; lifecycle.paused = enable

    Plan: 1 to create, 1 to update, 0 to delete, 7 unchanged.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from taskform.changes import Action, ApplyReport, Change, Outcome, Plan
from taskform.render.common import (
    SECRET_CHANGED,
    actions_used,
    change_label,
    field_value,
    format_summary,
    one_line,
    printable,
    secret_unchanged_looking,
    shows_next_runs,
    sorted_changes,
    task_label,
)
from taskform.render.plan import schedule as schedule_view
from taskform.render.style import Paint, plain

_ACTION_COLORS = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.DELETE: "red",
    Action.REPLACE: "magenta",
}
_OUTCOME_COLORS = {
    Outcome.APPLIED: "green",
    Outcome.FAILED: "red",
    Outcome.SKIPPED: "yellow",
    Outcome.CONVERGED: "cyan",
}
_INDENT = "    "


class _Style:
    """The given paint, never applied to empty text."""

    def __init__(self, paint: Paint) -> None:
        self.paint = paint

    def __call__(self, text: str, fg: str | None = None, bold: bool = False) -> str:
        return self.paint(text, fg=fg, bold=bold) if text else text

    def symbol(self, action: Action) -> str:
        return self(action.symbol, fg=_ACTION_COLORS[action], bold=True)


def render_text(plan: Plan, *, paint: Paint = plain) -> str:
    """The plan for a terminal, Terraform-style. Never truncates; ends with a newline."""
    style = _Style(paint)
    lines: list[str] = []
    changes = sorted_changes(plan)
    if changes:
        legend = "  ".join(f"{style.symbol(a)} {a.value}" for a in actions_used(changes))
        lines += [f"Symbols: {legend}", ""]
        for change in changes:
            lines += _change_block(change, style)
            lines.append("")
    if plan.blocked:
        lines.append(
            style("Blocked (left alone this run; the command exits 1):", fg="red", bold=True)
        )
        for block in plan.blocked:
            lines.append(
                f"  {task_label(block.owner, block.title)}: {printable(one_line(block.message))}"
            )
        lines.append("")
    if plan.unmanaged:
        lines.append("Unmanaged tasks (not in the configuration; left alone):")
        for task in sorted(plan.unmanaged, key=lambda t: (t.owner, t.title, t.id)):
            lines.append(f"  {task_label(task.owner, task.title)} ({printable(task.id)})")
        lines.append("")
    for warning in plan.warnings:
        first, *rest = warning.splitlines() or [""]
        lines.append(style("Warning:", fg="yellow", bold=True) + " " + printable(first))
        lines += [f"  {printable(line)}" for line in rest]
    if plan.warnings:
        lines.append("")
    lines.append(style(format_summary(plan), bold=True))
    return "\n".join(lines) + "\n"


def _change_block(change: Change, style: _Style) -> list[str]:
    lines = [f"{style.symbol(change.action)} {change_label(change)}"]
    if change.action is Action.CREATE:
        width = max((len(printable(name)) for name in change.fields), default=0)
        plus = style("+", fg="green")
        for name, fc in change.fields.items():
            shown = printable(name).ljust(width)
            lines.append(f"{_INDENT}{plus} {shown} = {field_value(fc, fc.after)}")
    elif change.action is Action.REPLACE:
        mark = style("-/+", fg="magenta")
        for name, fc in change.fields.items():
            diff = f"{field_value(fc, fc.before)} -> {field_value(fc, fc.after)}"
            lines.append(f"{_INDENT}{mark} {printable(name)}: {diff}")
    elif change.action is Action.UPDATE:
        tilde = style("~", fg="yellow")
        for name, fc in change.fields.items():
            if secret_unchanged_looking(fc):
                diff = SECRET_CHANGED
            else:
                diff = f"{field_value(fc, fc.before)} -> {field_value(fc, fc.after)}"
            lines.append(f"{_INDENT}{tilde} {printable(name)}: {diff}")
    if change.note:
        lines.append(f"{_INDENT}note: {printable(one_line(change.note))}")
    lines += [f"{_INDENT}{line}" for line in schedule_view.lines(change)]
    if shows_next_runs(change):
        lines.append(f"{_INDENT}next runs: {schedule_view.next_runs_text(change)}")
    return lines


# --- apply report -----------------------------------------------------------------------------

_HEADERS = ("result", "action", "owner/title", "task id", "message")


def format_apply_summary(report: ApplyReport) -> str:
    """``Apply: 3 applied, 1 failed, 2 skipped.``; after Ctrl-C it starts ``Apply interrupted:``
    and says how to see what is left."""
    counts = (
        f"{report.count(Outcome.APPLIED)} applied, {report.count(Outcome.FAILED)} failed, "
        f"{report.count(Outcome.SKIPPED)} skipped."
    )
    if report.count(Outcome.CONVERGED):
        counts = counts[:-1] + f", {report.count(Outcome.CONVERGED)} already done by another run."
    if report.interrupted:
        return f"Apply interrupted: {counts} Run plan again to see what is left to do."
    return f"Apply: {counts}"


def _result_action(change: Change) -> str:
    """``enable`` or ``disable`` for a change of ``active`` alone, else the action."""
    active = change.fields.get("active")
    if change.action is Action.UPDATE and active is not None and set(change.fields) == {"active"}:
        return "enable" if active.after is True else "disable"
    return change.action.value


def render_apply_report(report: ApplyReport, *, paint: Paint = plain) -> str:
    """A result table, one row per change in plan order, then the counts line."""
    style = _Style(paint)
    rows = [
        (
            result.outcome,
            (
                result.outcome.value,
                _result_action(result.change),
                task_label(result.change.owner, result.change.title),
                printable(result.task_id or result.change.task_id or "-"),
                printable(one_line(result.message)),
            ),
        )
        for result in report.results
    ]
    lines: list[str] = []
    if rows:
        widths = [
            max(_width(cells[i]) for cells in [_HEADERS, *(r for _, r in rows)])
            for i in range(len(_HEADERS))
        ]
        lines.append(_table_line(_HEADERS, widths, style, None))
        lines += [_table_line(cells, widths, style, outcome) for outcome, cells in rows]
        lines.append("")
    summary = format_apply_summary(report)
    ok = report.ok
    lines.append(style(summary, fg=None if ok else "red", bold=True))
    return "\n".join(lines) + "\n"


def _table_line(
    cells: Sequence[str], widths: Sequence[int], style: _Style, outcome: Outcome | None
) -> str:
    padded: list[str] = []
    for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
        shown = cell
        if outcome is None:
            shown = style(cell, bold=True)
        elif i == 0:
            shown = style(cell, fg=_OUTCOME_COLORS[outcome])
        padded.append(shown + " " * (width - _width(cell)))
    return "  ".join(padded).rstrip()


def _width(text: str) -> int:
    """Display width: East Asian wide characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
