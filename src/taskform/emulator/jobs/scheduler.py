"""The emulator's own scheduler: an active task runs when its ``nextStart`` passes.

Lazy and cheap: nothing runs in the background. Every request first calls :meth:`tick`, which
costs a version check and a look at the top of two heaps when nothing is due, so the hot
listing path pays nothing measurable. When the emulator clock has passed fire times (real
time going by, or a fixed clock moved with ``POST /__emulator/clock``), ``tick`` catches up
in time order, at most ``MAX_EVENTS_PER_TICK`` events per request (the rest on the next):

- a **fire** records a run (``executing``, ``created`` = the fire time, ``result`` = the URL of
  the job it started), starts a job on the job board (a Notebook Server job for
  ExecuteNotebook, a GP job at ``taskUrl`` for GPService, a generic job for other types),
  counts toward ``maxOccurrences`` (completed after the last one) and moves ``lastStart``;
- a **finish** (the job's end: ``duration_s`` of its outcome later) sets the run to
  ``succeeded`` or ``failed`` (``modified`` = the end) and applies the failure lifecycle:
  ``FAILED_RUNS_TO_DISABLE_TASK`` consecutive failed runs switch the task to ``disabled``, a
  succeeded run resets the count.

The store's ``version`` (bumped by every save) tells when tasks may have changed; only then
are the tasks re-read, and only tasks whose ``updated`` or ``state`` changed get a new fire
time (computed after their last run, their last update, and not before ``startDate``).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from typing import Any

from ..server.store import Store
from ..sharing import tasks
from . import quartz
from .board import JobBoard, item_key, task_key

MAX_EVENTS_PER_TICK = 5000
NOTEBOOK_ADMIN = "/notebookserver/admin"


class Scheduler:
    def __init__(self, store: Store, board: JobBoard) -> None:
        self.store = store
        self.board = board
        self._seen_version = -1
        self._stamps: dict[str, tuple[Any, ...]] = {}
        self._fires: list[tuple[int, str, tuple[Any, ...]]] = []  # (due, task id, stamp)
        self._finishes: list[tuple[int, str, str, str]] = []  # (end, task id, run id, job id)

    def tick(self, base_url: str) -> None:
        """Record every run and run end that is due on the emulator clock (bounded)."""
        store = self.store
        with store.lock:
            now = store.now_ms()
            if store.version != self._seen_version:
                self._refresh()
            if not self._due(now):
                return
            for _ in range(MAX_EVENTS_PER_TICK):
                fire = self._fires[0][0] if self._fires else None
                finish = self._finishes[0][0] if self._finishes else None
                if finish is not None and finish <= now and (fire is None or finish <= fire):
                    self._finish(*heapq.heappop(self._finishes))
                elif fire is not None and fire <= now:
                    self._fire(heapq.heappop(self._fires), now, base_url)
                else:
                    break
            store.save()
            self._seen_version = store.version

    def _due(self, now: int) -> bool:
        return bool(
            (self._fires and self._fires[0][0] <= now)
            or (self._finishes and self._finishes[0][0] <= now)
        )

    # -- which tasks fire when --------------------------------------------------------------

    def _refresh(self) -> None:
        records = self.store.tasks
        for task_id in [t for t in self._stamps if t not in records]:
            del self._stamps[task_id]
        for task_id, record in records.items():
            stamp = _stamp(record)
            if self._stamps.get(task_id) != stamp:
                self._stamps[task_id] = stamp
                self._schedule(record, _cursor(record), stamp)
        self._seen_version = self.store.version

    def _schedule(self, record: Mapping[str, Any], after: int, stamp: tuple[Any, ...]) -> None:
        if record["state"] != "active":
            return
        if record.get("startDate") is not None:
            after = max(after, record["startDate"] - 1)
        try:
            due = quartz.parse(record["cronSchedule"]).next_after(after)
        except quartz.QuartzError:
            return
        end = record.get("endDate")
        if due is None or (end is not None and due >= end):
            return
        heapq.heappush(self._fires, (due, record["id"], stamp))

    # -- events -----------------------------------------------------------------------------

    def _fire(self, entry: tuple[int, str, tuple[Any, ...]], now: int, base_url: str) -> None:
        due, task_id, stamp = entry
        record = self.store.tasks.get(task_id)
        if record is None or _stamp(record) != stamp or not tasks.is_active(record, due):
            return  # deleted, changed (a fresh entry was pushed) or no longer active
        job, job_url = self._start_job(record, due, base_url)
        run_url = (
            f"{base_url}/sharing/rest/community/users/{record['owner']}/tasks/{task_id}"
            "/runs/{runId}"
        )
        runs = self.store.runs.setdefault(task_id, [])
        run = tasks.record_run(record, runs, "executing", job_url, run_url, now, created=due)
        heapq.heappush(self._finishes, (job.finished_at(), task_id, run["runId"], job.id))
        new_stamp = _stamp(record)  # completed after the last occurrence: no further fire
        self._stamps[task_id] = new_stamp
        self._schedule(record, due, new_stamp)

    def _start_job(self, record: Mapping[str, Any], due: int, base_url: str) -> tuple[Any, str]:
        owner, params = record["owner"], record.get("parameters") or {}
        if record["type"] == "ExecuteNotebook":
            item = record.get("itemId") or ""
            inputs = {"itemId": item, **{k: params[k] for k in params}}
            job = self.board.start("notebook", item_key(item), owner, due, inputs=inputs)
            return job, f"{base_url}{NOTEBOOK_ADMIN}/system/jobs/{job.id}"
        if record["type"] == "GPService" and record.get("taskUrl"):
            url = str(record["taskUrl"]).rstrip("/")
            job = self.board.start("gp", task_key(url), owner, due, inputs=dict(params))
            return job, f"{url}/jobs/{job.id}"
        key = item_key(record.get("itemId") or record["id"])
        job = self.board.start("task", key, owner, due)
        return job, ""

    def _finish(self, end: int, task_id: str, run_id: str, job_id: str) -> None:
        job = self.board.get(job_id)
        status = "succeeded" if job is not None and job.phase(end) == "succeeded" else "failed"
        record = self.store.tasks.get(task_id)
        for run in self.store.runs.get(task_id, []):
            if run["runId"] == run_id:
                run.update(status=status, modified=end)
                break
        if record is None:
            return
        if status == "succeeded":
            record["consecutiveFailures"] = 0
            return
        record["consecutiveFailures"] += 1
        if (
            record["consecutiveFailures"] >= tasks.FAILED_RUNS_TO_DISABLE_TASK
            and record["state"] == "active"
        ):
            record["state"] = "disabled"
            self._stamps[task_id] = _stamp(record)


def _stamp(record: Mapping[str, Any]) -> tuple[Any, ...]:
    return (record["updated"], record["state"])


def _cursor(record: Mapping[str, Any]) -> int:
    """Fire times after this are still to come: the last run, the last change, or the last
    enable (which leaves ``updated`` alone, FIDELITY.md)."""
    last = record.get("lastStart")
    enabled = record.get("enabled")
    return max(
        int(record["updated"]),
        int(last) if last is not None else 0,
        int(enabled) if enabled is not None else 0,
    )
