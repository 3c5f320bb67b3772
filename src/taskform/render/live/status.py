"""``taskform status``: the rows (every managed task's state, next run and latest runs) and
their text and JSON views. Pure functions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from taskform.changes import Blocked
from taskform.epoch import iso_utc
from taskform.model import DesiredTask, LiveTask, Run, identity
from taskform.render import escape
from taskform.render.common import human_iso

#: Run statuses that count as a failure (docs/design.md §A5).
FAILING = frozenset({"failed", "submitfailed"})


def pending_renames(
    declared: Sequence[DesiredTask], live: Mapping[str, Sequence[LiveTask]]
) -> dict[str, str]:
    """The live tasks that are declared tasks under their old title, by task id, with the
    declared title: a task with ``renamed_from: OLD`` that has no live task under its own
    title yet, and a live task titled OLD (same owner), as the plan matches them (the oldest
    copy, when there are several). apply will rename it."""
    by_key: dict[tuple[str, str], list[LiveTask]] = {}
    for owned in live.values():
        for found in owned:
            by_key.setdefault(found.key, []).append(found)
    renamed: dict[str, str] = {}
    for task in declared:
        if task.renamed_from is None or task.key in by_key:
            continue
        old = by_key.get(identity(task.owner, task.renamed_from), [])
        if old:
            oldest = min(old, key=lambda t: (t.created or 0, t.id))
            renamed[oldest.id] = task.title
    return renamed


def status_rows(
    tasks: Sequence[LiveTask],
    runs: Mapping[str, Sequence[Run]],
    *,
    last: int = 3,
    renamed: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """One row per task, failing tasks (latest run failed) first, then by owner and title.
    A task in ``renamed`` (:func:`pending_renames`) is shown under its declared title, with
    ``renamed_from`` (its title in the portal) and a ``detail`` saying the rename is pending."""
    rows = []
    renamed = renamed or {}
    for task in tasks:
        recent = sorted(runs.get(task.id, ()), key=lambda r: r.created or 0, reverse=True)[:last]
        failing = bool(recent) and recent[0].status in FAILING
        pending: dict[str, Any] = {}
        if task.id in renamed:
            pending = {
                "renamed_from": task.title,
                "detail": f"rename pending: the portal still titles it {task.title!r}; "
                "apply renames it (same task id, run history kept)",
            }
        rows.append(
            {
                "owner": task.owner,
                "title": renamed.get(task.id, task.title),
                "task_id": task.id,
                "state": task.task_state or ("active" if task.active else "inactive"),
                "active": task.active,
                "failing": failing,
                "next_run": iso_utc(task.next_start),
                "last_run": iso_utc(task.last_start),
                "runs": [
                    {"status": r.status, "time": iso_utc(r.created), "result": r.result}
                    for r in recent
                ],
                **pending,
            }
        )
    rows.sort(key=lambda r: (not r["failing"], r["owner"], r["title"]))
    return rows


def not_live_rows(
    missing: Sequence[tuple[str, str]], blocked: Sequence[Blocked]
) -> list[dict[str, Any]]:
    """Rows for declared tasks status cannot show from the portal: ``missing`` (declared,
    not in the portal: apply would create them) and ``blocked`` (left alone, with why)."""
    empty: dict[str, Any] = {"task_id": None, "active": False, "failing": False}
    empty.update(next_run=None, last_run=None, runs=[])
    rows: list[dict[str, Any]] = [
        {"owner": o, "title": t, **empty, "state": "missing"}
        | {"detail": "declared, but not in the portal; apply creates it"}
        for o, t in missing
    ]
    rows += [
        {"owner": b.owner, "title": b.title, **empty, "state": "blocked", "detail": b.message}
        for b in blocked
    ]
    return rows


def render_status_text(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return "No managed tasks in the portal.\n"
    lines = []
    for row in rows:
        if row["task_id"] is None:  # declared, not live: missing or blocked
            lines.append(escape.text(f"{row['state'].upper()} {row['owner']}/{row['title']}"))
            lines.append(f"    {escape.text(escape.one_line(str(row['detail'])))}")
            continue
        mark = "FAILING " if row["failing"] else ""
        label = escape.text(f"{row['owner']}/{row['title']}")
        lines.append(f"{mark}{label} ({escape.text(str(row['task_id']))})")
        state = escape.text(str(row["state"]))
        lines.append(f"    state: {state}; next run: {human_iso(row['next_run']) or '-'}")
        if row.get("renamed_from") is not None:
            lines.append(f"    {escape.text(escape.one_line(str(row['detail'])))}")
        for run in row["runs"]:
            result = escape.text(escape.one_line(str(run["result"]))) if run["result"] else ""
            status = escape.text(str(run["status"]))
            when = human_iso(run["time"]) or "?"
            lines.append(f"    {when}  {status}{' - ' + result if result else ''}")
        if not row["runs"]:
            lines.append("    no runs yet")
        if row.get("last_error"):
            lines.append(f"    last error: {escape.text(escape.one_line(str(row['last_error'])))}")
    failing = sum(1 for r in rows if r["failing"])
    extra = ""
    for state in ("missing", "blocked"):
        count = sum(1 for r in rows if r["state"] == state and r["task_id"] is None)
        extra += f", {count} {state}" if count else ""
    lines.append("")
    lines.append(f"Status: {len(rows)} task(s), {failing} failing{extra}.")
    return "\n".join(lines) + "\n"


def render_status_json(rows: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({"format_version": "1", "tasks": list(rows)}, indent=2) + "\n"
