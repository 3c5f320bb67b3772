"""The semantic schedule diff in the plan's views: text lines, the JSON object, and back.

One place decides how a :class:`~taskform.model.ScheduleSummary` reads, so the terminal, the
Markdown comment and ``taskform show`` say the same. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from taskform.changes import Change, ScheduleSummary
from taskform.epoch import iso_utc, moment
from taskform.render.common import human_utc, printable
from taskform.schedule.runs import format_rate


def _rate(value: float | None) -> str:
    return "0" if value is None else format_rate(value)


def _runs(values: tuple[int, ...], count: int) -> str:
    shown = ", ".join(human_utc(ms) for ms in values)
    more = count - len(values)
    return shown + (f" and {more} more" if more > 0 else "")


def local_time(epoch_ms: int, zone: str) -> str:
    """``2026-12-01 05:00 Europe/Oslo (04:00 UTC)``."""
    when = moment(epoch_ms)
    try:
        local = when.astimezone(ZoneInfo(zone))
    except (ValueError, OSError, KeyError):
        return human_utc(epoch_ms)
    return f"{local:%Y-%m-%d %H:%M} {zone} ({when:%H:%M} UTC)"


def next_runs_text(change: Change) -> str:
    zone = change.schedule.timezone if change.schedule else None
    if zone:
        return ", ".join(local_time(ms, zone) for ms in change.next_runs)
    return ", ".join(human_utc(ms) for ms in change.next_runs)


def lines(change: Change) -> list[str]:
    """``schedule:`` / ``runs per week:`` / ``next 14 days:`` / ``time zone:`` lines."""
    summary = change.schedule
    if summary is None:
        return []
    out = [f"schedule: {printable(summary.description)}"]
    if summary.description_before is not None:
        out[0] += f" (was: {printable(summary.description_before)})"
    before = _rate(summary.runs_per_week_before)
    after = _rate(summary.runs_per_week_after)
    if summary.paused:  # declared active: false: no run until someone enables it
        after += " once enabled (active: false)"
    out.append(f"runs per week: {before} -> {after}")
    if summary.description_before is not None:
        out.append(
            f"next 14 days: {summary.added_count} run(s) added, {summary.removed_count} removed"
        )
        if summary.added:
            out.append(f"  added:   {_runs(summary.added, summary.added_count)}")
        if summary.removed:
            out.append(f"  removed: {_runs(summary.removed, summary.removed_count)}")
    if summary.offset_note:
        out.append(f"time zone: {printable(summary.offset_note)}")
    return out


def document(summary: ScheduleSummary) -> dict[str, Any]:
    """The ``"schedule"`` object of a change in plan JSON (docs/design.md §10)."""

    def rate(value: float | None) -> float | None:
        return None if value is None else round(value, 2)

    return {
        "description": summary.description,
        "runs_per_week_before": rate(summary.runs_per_week_before),
        "runs_per_week_after": rate(summary.runs_per_week_after),
        "description_before": summary.description_before,
        "next_14_days": {
            "added": summary.added_count,
            "removed": summary.removed_count,
            "added_runs": [iso_utc(ms) for ms in summary.added],
            "removed_runs": [iso_utc(ms) for ms in summary.removed],
        },
        "timezone": summary.timezone,
        "offset_note": summary.offset_note,
        "paused": summary.paused,
    }


def _ms(text: Any) -> int:
    when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return int(when.astimezone(timezone.utc).timestamp() * 1000)


def from_document(data: Mapping[str, Any]) -> ScheduleSummary:
    """A summary read back from a plan file (``taskform show``); raises on bad shapes."""
    window = data.get("next_14_days") or {}
    before = data.get("runs_per_week_before")
    return ScheduleSummary(
        description=str(data["description"]),
        runs_per_week_before=None if before is None else float(before),
        runs_per_week_after=float(data["runs_per_week_after"]),
        description_before=data.get("description_before"),
        added=tuple(_ms(t) for t in window.get("added_runs") or ()),
        removed=tuple(_ms(t) for t in window.get("removed_runs") or ()),
        added_count=int(window.get("added", 0)),
        removed_count=int(window.get("removed", 0)),
        timezone=data.get("timezone"),
        offset_note=data.get("offset_note"),
        paused=data.get("paused") is True,
    )
