"""Rendering of drift reports and run status (text, JSON, Markdown). Pure functions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from taskform.epoch import iso_utc
from taskform.model import LiveTask, Run
from taskform.plan.drift import DriftItem
from taskform.render import escape
from taskform.render.common import human_iso


def _value(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def drift_document(items: Sequence[DriftItem]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.kind.value] = counts.get(item.kind.value, 0) + 1
    return {
        "format_version": "1",
        "drifted": len(items),
        "counts": counts,
        "tasks": [
            {
                "kind": i.kind.value,
                "owner": i.owner,
                "title": i.title,
                "task_id": i.task_id,
                "apply": i.apply,
                "detail": i.detail or i.kind.meaning,
                "fields": {k: {"before": f.before, "after": f.after} for k, f in i.fields.items()},
            }
            for i in items
        ],
    }


def render_drift_json(items: Sequence[DriftItem]) -> str:
    return json.dumps(drift_document(items), indent=2, default=str) + "\n"


def render_drift_text(items: Sequence[DriftItem]) -> str:
    if not items:
        return "No drift. The portal matches the configuration.\n"
    lines = []
    for item in items:
        ident = f" ({escape.text(item.task_id)})" if item.task_id else ""
        lines.append(f"[{item.kind.value}] {escape.text(f'{item.owner}/{item.title}')}{ident}")
        detail = escape.text(escape.one_line(item.detail or item.kind.meaning))
        lines.append(f"    {detail}; apply: {item.apply}")
        for name, change in item.fields.items():
            before, after = _value(change.before), _value(change.after)
            lines.append(f"    {escape.text(name)}: {before} -> {after}")
    counts = drift_document(items)["counts"]
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    lines.append("")
    lines.append(f"Drift: {len(items)} task(s): {summary}.")
    return "\n".join(lines) + "\n"


def render_drift_markdown(items: Sequence[DriftItem]) -> str:
    if not items:
        return "## taskform drift\n\nNo drift. The portal matches the configuration.\n"
    rows = ["| Kind | Owner | Title | Apply would | Fields |", "|---|---|---|---|---|"]
    for item in items:
        owner, title = escape.md_inline(item.owner), escape.md_inline(item.title)
        fields = ", ".join(escape.md_code(k, table=True) for k in item.fields) or "—"
        rows.append(f"| {item.kind.value} | {owner} | {title} | {item.apply} | {fields} |")
    return f"## taskform drift\n\n{len(items)} task(s) drifted.\n\n" + "\n".join(rows) + "\n"


FAILING = frozenset({"failed", "submitfailed"})


def status_rows(
    tasks: Sequence[LiveTask], runs: Mapping[str, Sequence[Run]], *, last: int = 3
) -> list[dict[str, Any]]:
    """One row per task, failing tasks (latest run failed) first, then by owner and title."""
    rows = []
    for task in tasks:
        recent = sorted(runs.get(task.id, ()), key=lambda r: r.created or 0, reverse=True)[:last]
        failing = bool(recent) and recent[0].status in FAILING
        rows.append(
            {
                "owner": task.owner,
                "title": task.title,
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
            }
        )
    rows.sort(key=lambda r: (not r["failing"], r["owner"], r["title"]))
    return rows


def render_status_text(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return "No managed tasks in the portal.\n"
    lines = []
    for row in rows:
        mark = "FAILING " if row["failing"] else ""
        label = escape.text(f"{row['owner']}/{row['title']}")
        lines.append(f"{mark}{label} ({escape.text(str(row['task_id']))})")
        state = escape.text(str(row["state"]))
        lines.append(f"    state: {state}; next run: {human_iso(row['next_run']) or '-'}")
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
    lines.append("")
    lines.append(f"Status: {len(rows)} task(s), {failing} failing.")
    return "\n".join(lines) + "\n"


def render_status_json(rows: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({"format_version": "1", "tasks": list(rows)}, indent=2) + "\n"
