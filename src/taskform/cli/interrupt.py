"""Ctrl-C and SIGTERM, the same for every command: the first stops, the second exits at once.

- The first signal stops the run. While ``apply`` writes (:func:`graceful`), it sets the stop
  event: the writes in flight finish (each bounded by ``--request-timeout``), nothing new starts,
  and the report says what happened. Otherwise it raises :class:`KeyboardInterrupt` as Python
  would, and the command ends with ``Interrupted.`` and exit code 130, without waiting for reads
  still running in pool threads (:func:`exit_code`).
- A second signal exits at once with 130, after printing what is known (:func:`known`: for
  ``apply``, the outcome of every change so far).

Both are installed explicitly for SIGINT and SIGTERM (a cancelled CI job), because a process
started in the background inherits SIGINT ignored.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

from taskform import redact

SIGNALS = (signal.SIGINT, signal.SIGTERM)
EXIT_INTERRUPTED = 130


class _State:
    count = 0
    stop: threading.Event | None = None
    known: Callable[[], str] | None = None


_STATE = _State()


def _handle(signum: int, frame: FrameType | None) -> None:
    _STATE.count += 1
    if _STATE.count == 1:
        if _STATE.stop is not None:
            _STATE.stop.set()
            _write(
                "\nStopping: the writes in flight finish, nothing new starts. "
                "Press Ctrl-C again to exit at once.\n"
            )
            return
        raise KeyboardInterrupt
    text = "\nInterrupted again: exiting at once.\n"
    if _STATE.known is not None:
        with contextlib.suppress(Exception):
            text = "\n" + _STATE.known() + text
    _write(text)
    os._exit(EXIT_INTERRUPTED)


def _write(text: str) -> None:
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(Exception):
        sys.stderr.write(redact.scrub(text))
        sys.stderr.flush()


@contextlib.contextmanager
def handling() -> Iterator[None]:
    """Install the handlers for one command (in the main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    _STATE.count, _STATE.stop, _STATE.known = 0, None, None
    for sig in SIGNALS:
        signal.signal(sig, _handle)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _STATE.stop, _STATE.known = None, None


@contextlib.contextmanager
def graceful(stop: threading.Event) -> Iterator[None]:
    """While in this block, the first signal sets ``stop`` instead of raising."""
    _STATE.stop = stop
    if _STATE.count:
        stop.set()
    try:
        yield
    finally:
        _STATE.stop = None


@contextlib.contextmanager
def known(describe: Callable[[], str]) -> Iterator[None]:
    """What a second signal prints before exiting, while in this block."""
    _STATE.known = describe
    try:
        yield
    finally:
        _STATE.known = None


def exit_now_if_threads_remain(code: int) -> None:
    """Exit with ``code`` at once when threads other than this one still run (reads in pool
    threads, cut off later by their deadline): the interpreter would wait for them."""
    others = [
        t
        for t in threading.enumerate()
        if t is not threading.current_thread() and t.is_alive() and not t.daemon
    ]
    if others and threading.current_thread() is threading.main_thread():
        _write("")
        os._exit(code)
