"""Rendering of drift reports (text, JSON, Markdown). Pure functions."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from taskform.plan.drift import DriftItem
from taskform.render import escape


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


def render_drift_json(
    items: Sequence[DriftItem], *, clean: Callable[[Any], Any] | None = None
) -> str:
    """The drift report as JSON; ``clean`` (``redact.scrub_data``) is applied to the document
    before it is written, so a secret is masked in every string, whatever its escaping."""
    document: Any = drift_document(items)
    if clean is not None:
        document = clean(json.loads(json.dumps(document, default=str)))
    return json.dumps(document, indent=2, default=str) + "\n"


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
