"""The applier: carries out a plan through a :class:`~taskform.model.Portal`.

Writes run in a fixed order of phases, so a task is never live with half-applied config and
slots under the portal's active-task limit are freed before they are needed:

    disable -> delete -> create (+ disable of tasks declared inactive) -> update -> enable

Within a phase, writes run concurrently up to ``parallelism``. A failure stops the remaining
writes of that one task (they are reported as skipped) and nothing else: independent changes go
on, and the report lists every task's outcome. Setting ``stop`` (the CLI does on Ctrl-C) lets
in-flight writes finish and starts nothing new.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from taskform.errors import TaskformError
from taskform.model import (
    ApplyReport,
    Change,
    Op,
    Outcome,
    Plan,
    Portal,
    TaskResult,
)

PHASES: tuple[Op, ...] = (Op.DISABLE, Op.DELETE, Op.CREATE, Op.UPDATE, Op.ENABLE)

Progress = Callable[[TaskResult], None]


@dataclass
class _State:
    """Mutable per-change bookkeeping while applying (private to one apply run)."""

    change: Change
    pending: list[Op]
    task_id: str | None
    failed: str | None = None
    done: list[Op] = field(default_factory=list)
    running: Op | None = None  # the write in flight, if any


def apply_plan(
    plan: Plan,
    portal: Portal,
    *,
    parallelism: int = 4,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    known: Callable[[Callable[[], ApplyReport]], None] | None = None,
) -> ApplyReport:
    """Apply every change of ``plan``; never raises for a portal failure of one task.
    ``known``, if given, receives a function that tells the outcome of every change so far
    (what a second Ctrl-C prints before exiting)."""
    stop = stop or threading.Event()
    states = [_State(c, list(c.ops), c.task_id) for c in plan.changes]
    if known is not None:
        known(lambda: ApplyReport(tuple(_result(s, stop) for s in states), interrupted=True))
    interrupted = False
    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="apply") as pool:
        for phase in PHASES:
            batch = [s for s in states if s.pending and s.pending[0] is phase and not s.failed]
            if not batch or stop.is_set():
                continue
            futures = {pool.submit(_run, s, portal, stop): s for s in batch}
            interrupted = _wait(futures, stop) or interrupted
            for s in batch:
                if progress and (s.failed or not s.pending):
                    progress(_result(s, stop))
    interrupted = interrupted or stop.is_set()
    results = tuple(_result(s, stop) for s in states)
    return ApplyReport(results=results, interrupted=interrupted)


def _wait(futures: dict[Future[None], _State], stop: threading.Event) -> bool:
    """Wait for a phase; on Ctrl-C set ``stop`` and keep waiting for in-flight writes."""
    interrupted = False
    remaining = set(futures)
    while remaining:
        try:
            _, remaining = wait(remaining, timeout=0.2, return_when=FIRST_COMPLETED)
        except KeyboardInterrupt:
            stop.set()
            interrupted = True
    return interrupted


def _run(state: _State, portal: Portal, stop: threading.Event) -> None:
    """Run this change's writes of the current phase (a create may chain its disable)."""
    first = state.pending[0]
    while state.pending and not state.failed:
        op = state.pending[0]
        if op is not first and not (first is Op.CREATE and op is Op.DISABLE):
            return
        if stop.is_set():
            return
        state.running = op
        try:
            _write(op, state, portal)
        except TaskformError as exc:
            state.failed = f"{op.value}: {exc}"
            return
        except Exception as exc:  # a bug or an unexpected library error: report, don't hide
            state.failed = f"{op.value}: unexpected error: {type(exc).__name__}: {exc}"
            return
        finally:
            state.running = None
        state.pending.pop(0)
        state.done.append(op)


def _write(op: Op, state: _State, portal: Portal) -> None:
    change = state.change
    if op is Op.CREATE:
        assert change.desired is not None
        state.task_id = portal.create_task(change.desired)
        return
    assert state.task_id is not None, f"{op.value} needs a task id"
    if op is Op.DELETE:
        portal.delete_task(change.owner, state.task_id)
    elif op is Op.UPDATE:
        assert change.desired is not None and change.live is not None
        portal.update_task(state.task_id, change.desired, change.live)
    elif op is Op.ENABLE:
        portal.set_active(change.owner, state.task_id, True)
    elif op is Op.DISABLE:
        portal.set_active(change.owner, state.task_id, False)


def _result(state: _State, stop: threading.Event) -> TaskResult:
    if state.failed:
        outcome, message = Outcome.FAILED, state.failed
        if state.done:
            message += f" (done before the failure: {', '.join(o.value for o in state.done)})"
    elif state.running is not None:
        outcome = Outcome.SKIPPED
        message = f"{state.running.value} in flight: the portal may or may not have done it"
    elif state.pending:
        outcome = Outcome.SKIPPED
        message = "interrupted before it started" if stop.is_set() else "not run"
        if state.done:
            message += f" (done: {', '.join(o.value for o in state.done)})"
    else:
        outcome, message = Outcome.APPLIED, ""
    return TaskResult(state.change, outcome, message, state.task_id)
