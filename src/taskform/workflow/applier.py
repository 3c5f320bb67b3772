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

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from taskform.changes import (
    ApplyReport,
    Change,
    Create,
    Delete,
    Op,
    Outcome,
    Plan,
    Replace,
    TaskResult,
    Update,
)
from taskform.errors import TaskformError
from taskform.model import Portal

PHASES: tuple[Op, ...] = (Op.DISABLE, Op.DELETE, Op.CREATE, Op.UPDATE, Op.ENABLE)

Progress = Callable[[TaskResult], None]

#: Writes at once by default (``--parallelism``). Terraform uses 10. Measured with
#: benchmarks/bench.py (1,000 updates, 20 ms latency, 2 cores): see the README's table.
DEFAULT_PARALLELISM = 10


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
    parallelism: int = DEFAULT_PARALLELISM,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    known: Callable[[Callable[[], ApplyReport]], None] | None = None,
    advance: Callable[[int], None] | None = None,
) -> ApplyReport:
    """Apply every change of ``plan``; never raises for a portal failure of one task.
    ``progress`` receives each change's result as soon as it is finished; ``advance`` the
    number of writes each time some complete (for a progress bar of :func:`count_writes`).
    ``known``, if given, receives a function that tells the outcome of every change so far
    (what a second Ctrl-C prints before exiting)."""
    stop = stop or threading.Event()
    states = [_State(c, list(c.ops), c.task_id) for c in plan.changes]
    if known is not None:
        known(lambda: ApplyReport(tuple(_result(s, stop) for s in states), interrupted=True))
    interrupted = False

    def finished(state: _State, writes: int) -> None:
        if advance and writes:
            advance(writes)
        if progress and (state.failed or not state.pending):
            progress(_result(state, stop))

    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="apply") as pool:
        for phase in PHASES:
            batch = [s for s in states if s.pending and s.pending[0] is phase and not s.failed]
            if not batch or stop.is_set():
                continue
            interrupted = _run_phase(pool, batch, portal, stop, finished) or interrupted
    interrupted = interrupted or stop.is_set()
    results = tuple(_result(s, stop) for s in states)
    return ApplyReport(results=results, interrupted=interrupted)


def count_writes(plan: Plan) -> int:
    """How many writes applying ``plan`` takes at most (the length of a progress bar)."""
    return sum(len(change.ops) for change in plan.changes)


def _run_phase(
    pool: ThreadPoolExecutor,
    batch: list[_State],
    portal: Portal,
    stop: threading.Event,
    finished: Callable[[_State, int], None],
) -> bool:
    """Run one phase and wait for it, handing each change to ``finished`` (in this thread) as
    it completes: each write's completion is one queue item, so waiting is O(1) per write,
    not a scan of everything still running. On Ctrl-C (KeyboardInterrupt) set ``stop`` and
    keep waiting for the writes in flight. Returns whether it was interrupted."""
    done: queue.SimpleQueue[tuple[_State, int]] = queue.SimpleQueue()
    futures: list[Future[int]] = []

    def report_to(state: _State) -> Callable[[Future[int]], None]:
        return lambda future: done.put((state, _writes(future)))

    for state in batch:
        future = pool.submit(_run, state, portal, stop)
        future.add_done_callback(report_to(state))
        futures.append(future)
    interrupted = False
    left = len(futures)
    while left:
        try:
            state, writes = done.get(timeout=0.2)
        except queue.Empty:
            # A Ctrl-C that struck between get() and the assignment loses one item; the
            # futures themselves still say when the phase is over.
            if all(f.done() for f in futures) and done.empty():
                break
            continue
        except KeyboardInterrupt:
            stop.set()
            interrupted = True
            continue
        left -= 1
        finished(state, writes)
    return interrupted


def _writes(future: Future[int]) -> int:
    return 0 if future.cancelled() or future.exception() is not None else future.result()


def _run(state: _State, portal: Portal, stop: threading.Event) -> int:
    """Run this change's writes of the current phase (a create may chain its disable);
    returns how many writes it sent."""
    first = state.pending[0]
    sent = 0
    while state.pending and not state.failed:
        op = state.pending[0]
        if op is not first and not (first is Op.CREATE and op is Op.DISABLE):
            break
        if stop.is_set():
            break
        state.running = op
        sent += 1
        try:
            _write(op, state, portal)
        except TaskformError as exc:
            state.failed = f"{op.value}: {exc}"
            break
        except Exception as exc:  # a bug or an unexpected library error: report, don't hide
            state.failed = f"{op.value}: unexpected error: {type(exc).__name__}: {exc}"
            break
        finally:
            state.running = None
        state.pending.pop(0)
        state.done.append(op)
    return sent


def _write(op: Op, state: _State, portal: Portal) -> None:
    """One write. A change's type says what it carries (a create the desired task, a delete
    the task id, ...); enable and disable use the id after the writes so far (a create's)."""
    change = state.change
    if op is Op.CREATE and isinstance(change, (Create, Replace)):
        state.task_id = portal.create_task(change.desired)
    elif op is Op.DELETE and isinstance(change, (Delete, Replace)):
        portal.delete_task(change.owner, change.task_id)
    elif op is Op.UPDATE and isinstance(change, Update):
        portal.update_task(change.task_id, change.desired, change.live)
    elif op in (Op.ENABLE, Op.DISABLE) and state.task_id is not None:
        portal.set_active(change.owner, state.task_id, op is Op.ENABLE)
    else:  # a change read back from a plan file, or a write before its create
        raise TypeError(f"{change.action.value} {change.owner}/{change.title}: no {op.value}")


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
