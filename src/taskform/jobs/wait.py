"""Waiting for a job: poll until it ends, show progress, time out, cancel on Ctrl-C.

Pure: the clock, the sleep, the poll and the cancel are passed in, so the whole loop runs in
unit tests on a fake clock. The REST client already retries each poll under its retry policy
(connection errors, HTTP 5xx, 429); a poll that still fails counts as one *failed poll*, and
the loop gives up after ``max_failed_polls`` of them in a row, leaving the job running.

Poll period: ``interval`` for the first minute, then politely slower on long jobs (a twentieth
of the time waited so far, at most ``MAX_INTERVAL``), never past the timeout.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass

from taskform.errors import PortalError, TransientError
from taskform.jobs.model import JobStatus, State

MAX_INTERVAL = 30.0
BACKOFF_AFTER = 60.0


class Ending(str, enum.Enum):
    DONE = "done"  # the job reached a final state (succeeded, failed, ...)
    TIMED_OUT = "timed out"  # --timeout passed: the job was cancelled
    INTERRUPTED = "interrupted"  # Ctrl-C: the job was cancelled
    LOST = "lost"  # polls kept failing: the job may still be running


@dataclass(frozen=True)
class WaitResult:
    ending: Ending
    status: JobStatus | None  # the last status read
    elapsed: float
    error: str | None = None  # LOST: why; a failed cancel: why
    cancelled: bool = False  # a cancel was sent and accepted


def next_interval(interval: float, elapsed: float) -> float:
    """How long to sleep before the next poll."""
    if elapsed < BACKOFF_AFTER:
        return interval
    return max(interval, min(MAX_INTERVAL, elapsed / 20.0))


def wait(
    poll: Callable[[], JobStatus],
    cancel: Callable[[], None],
    *,
    interval: float = 2.0,
    timeout: float | None = None,
    on_status: Callable[[JobStatus, float], None] = lambda s, e: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    max_failed_polls: int = 3,
) -> WaitResult:
    """Poll ``poll`` until the job ends; ``on_status(status, elapsed)`` after every poll.

    ``timeout`` passing or Ctrl-C (KeyboardInterrupt) during the wait cancels the job through
    ``cancel`` and reads its status once more. A second Ctrl-C while cancelling propagates.
    """
    started = clock()
    last: JobStatus | None = None
    failed = 0
    try:
        while True:
            elapsed = clock() - started
            try:
                last = poll()
                failed = 0
            except TransientError as exc:
                failed += 1
                if failed >= max_failed_polls:
                    return WaitResult(Ending.LOST, last, clock() - started, error=exc.message)
            else:
                elapsed = clock() - started
                on_status(last, elapsed)
                if last.state.final:
                    return WaitResult(Ending.DONE, last, elapsed)
            elapsed = clock() - started
            if timeout is not None and elapsed >= timeout:
                return _cancel(poll, cancel, Ending.TIMED_OUT, last, started, clock, on_status)
            pause = next_interval(interval, elapsed)
            if timeout is not None:
                pause = min(pause, max(timeout - elapsed, 0.0))
            sleep(pause)
    except KeyboardInterrupt:
        return _cancel(poll, cancel, Ending.INTERRUPTED, last, started, clock, on_status)


def _cancel(
    poll: Callable[[], JobStatus],
    cancel: Callable[[], None],
    ending: Ending,
    last: JobStatus | None,
    started: float,
    clock: Callable[[], float],
    on_status: Callable[[JobStatus, float], None],
) -> WaitResult:
    """Cancel the job, then read its status once (best effort: errors are reported)."""
    try:
        cancel()
    except PortalError as exc:
        return WaitResult(ending, last, clock() - started, error=exc.message)
    try:
        last = poll()
        on_status(last, clock() - started)
    except PortalError:
        pass
    return WaitResult(ending, last, clock() - started, cancelled=True)


def final_state(result: WaitResult) -> State | None:
    return result.status.state if result.status is not None else None
