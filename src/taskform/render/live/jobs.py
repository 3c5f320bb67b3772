"""Rendering of ``taskform run`` results and ``taskform runs`` histories (text and JSON).

Pure functions. Foreign text (messages, states, URLs, titles) is escaped for the terminal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from taskform.epoch import iso_utc
from taskform.jobs.model import JobRef, JobStatus, Message
from taskform.jobs.progress import clock_text
from taskform.jobs.wait import Ending, WaitResult
from taskform.model import LiveTask, Run
from taskform.render.common import human_utc
from taskform.render.escape import text as esc

FORMAT_VERSION = "1"


def _task(task: LiveTask) -> dict[str, Any]:
    return {"owner": task.owner, "title": task.title, "task_id": task.id, "type": task.type}


def _job(ref: JobRef) -> dict[str, Any]:
    return {"kind": ref.kind, "job_id": ref.job_id, "url": ref.url}


def started_text(task: LiveTask, ref: JobRef) -> str:
    what = "notebook job" if ref.kind == "notebook" else "GP job"
    return (
        f"Started {what} {esc(ref.job_id)} for {esc(task.owner)}/{esc(task.title)}\n"
        f"  {esc(ref.url)}\n"
    )


def started_json(task: LiveTask, ref: JobRef) -> str:
    body = {"format_version": FORMAT_VERSION, "task": _task(task), "job": _job(ref)}
    return json.dumps({**body, "state": "submitted", "waited": False}, indent=2) + "\n"


def outcome_word(result: WaitResult) -> str:
    if result.ending is Ending.TIMED_OUT:
        return "timed out (taskform's --timeout)"
    if result.ending is Ending.INTERRUPTED:
        return "interrupted"
    if result.ending is Ending.LOST:
        return "unknown (its status could not be read)"
    return result.status.state.value if result.status is not None else "unknown"


def duration_s(result: WaitResult) -> float:
    status = result.status
    if status is not None and status.started is not None and status.ended is not None:
        return max(status.ended - status.started, 0) / 1000.0
    return result.elapsed


def _message_lines(messages: Sequence[Message], typed: bool) -> list[str]:
    width = max((len(m.type) for m in messages), default=0)
    if typed:
        return [f"  {m.type:<{width}}  {esc(m.text)}" for m in messages]
    return [f"  {esc(m.text)}" for m in messages]


def result_text(ref: JobRef, result: WaitResult) -> str:
    status = result.status
    raw = f" ({esc(status.raw)})" if status is not None else ""
    lines = [
        f"Job {esc(ref.job_id)} {outcome_word(result)}{raw} after {clock_text(duration_s(result))}."
    ]
    if result.ending in (Ending.TIMED_OUT, Ending.INTERRUPTED):
        lines.append(
            "The job was cancelled."
            if result.cancelled
            else f"Cancelling the job failed: {esc(result.error or '?')}; check {esc(ref.url)}"
        )
    if result.ending is Ending.LOST:
        lines.append(
            f"Polling failed: {esc(result.error or '?')}; the job may still run: {esc(ref.url)}"
        )
    if status is not None and status.messages:
        lines.append("Messages:")
        lines.extend(_message_lines(status.messages, typed=ref.kind == "gp"))
    if status is not None and status.results:
        lines.append("Results:")
        lines.extend(f"  {esc(name)}  {esc(url)}" for name, url in status.results)
    return "\n".join(lines) + "\n"


def result_json(task: LiveTask, ref: JobRef, result: WaitResult) -> str:
    status = result.status
    body: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "task": _task(task),
        "job": _job(ref),
        "waited": True,
        "ending": result.ending.value,
        "state": status.state.value if status is not None else None,
        "server_status": status.raw if status is not None else None,
        "cancelled": result.cancelled,
        "duration_s": round(duration_s(result), 3),
        "messages": [{"type": m.type, "text": m.text} for m in (status.messages if status else ())],
        "results": [{"name": n, "url": u} for n, u in (status.results if status else ())],
    }
    if result.error:
        body["error"] = result.error
    return json.dumps(body, indent=2) + "\n"


# -- runs -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunRow:
    run: Run
    job: JobRef | None = None
    job_status: JobStatus | None = None
    job_error: str | None = None  # why the job's messages could not be read


def _when(ms: int | None) -> str:
    """A run's start in the one human form every text view uses (``2026-12-03 01:30 UTC``)."""
    return human_utc(ms) if ms is not None else "?"


def _duration(run: Run) -> float | None:
    if run.created is None or run.modified is None or run.status in ("executing", "scheduled"):
        return None
    return max(run.modified - run.created, 0) / 1000.0


def first_error(row: RunRow) -> str | None:
    """The first error message of a failed run: its job's, else its result text."""
    if row.job_status is not None:
        errors = row.job_status.errors or row.job_status.messages
        if errors:
            return errors[0].text
    if row.job is None and row.run.result:
        return row.run.result
    return None


def runs_text(task: LiveTask, rows: Sequence[RunRow], *, kept: int) -> str:
    head = f"Runs of {esc(task.owner)}/{esc(task.title)} ({esc(task.id)}), newest first"
    if not rows:
        return head + ":\n  no runs yet\n"
    lines = [head + ":"]
    for row in rows:
        run = row.run
        took = _duration(run)
        took_text = clock_text(took) if took is not None else "-"
        line = f"  {_when(run.created)}  {esc(run.status):<12} {took_text:>7}"
        if row.job is not None:
            line += f"  job {esc(row.job.job_id)}"
        elif run.result:
            line += f"  {esc(run.result)}"
        lines.append(line)
        if row.job_status is not None and run.status in ("failed", "submitfailed"):
            lines.extend("    " + s for s in _message_lines(row.job_status.messages, typed=True))
        if row.job_error:
            lines.append(f"    (job messages not read: {esc(row.job_error)})")
    lines.append(f"{len(rows)} run(s) shown; the portal keeps at most the last {kept}.")
    return "\n".join(lines) + "\n"


def runs_json(task: LiveTask, rows: Sequence[RunRow]) -> str:
    items: list[Mapping[str, Any]] = []
    for row in rows:
        run = row.run
        item: dict[str, Any] = {
            "run_id": run.run_id,
            "status": run.status,
            "start": iso_utc(run.created) if run.created is not None else None,
            "duration_s": _duration(run),
            "result": run.result,
            "job": _job(row.job) if row.job is not None else None,
        }
        if row.job_status is not None:
            item["job_status"] = row.job_status.raw
            item["messages"] = [{"type": m.type, "text": m.text} for m in row.job_status.messages]
        if row.job_error:
            item["job_error"] = row.job_error
        items.append(item)
    body = {"format_version": FORMAT_VERSION, "task": _task(task), "runs": items}
    return json.dumps(body, indent=2) + "\n"
