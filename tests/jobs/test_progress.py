"""Progress display: a redrawn bar on a terminal, one plain line per state otherwise."""

from __future__ import annotations

import io

from taskform.jobs.model import JobStatus, State
from taskform.jobs.progress import Progress, clock_text


def test_plain_lines_only_on_state_changes() -> None:
    stream = io.StringIO()
    progress = Progress(stream, tty=False)
    progress(JobStatus(State.SUBMITTED, "esriJobSubmitted"), 0.2)
    progress(JobStatus(State.RUNNING, "esriJobExecuting"), 2.0)
    progress(JobStatus(State.RUNNING, "esriJobExecuting"), 4.0)
    progress(JobStatus(State.SUCCEEDED, "esriJobSucceeded"), 65.0)
    progress.close()
    assert stream.getvalue() == (
        "0:00  submitted (esriJobSubmitted)\n"
        "0:02  running (esriJobExecuting)\n"
        "1:05  succeeded (esriJobSucceeded)\n"
    )
    assert "\r" not in stream.getvalue()


def test_terminal_bar_with_percent_and_spinner_without() -> None:
    stream = io.StringIO()
    progress = Progress(stream, tty=True, width=120)
    progress(JobStatus(State.RUNNING, "PROCESSING", percent=50, progress_message="cells"), 7)
    assert (
        stream.getvalue() == "\r\x1b[K[" + "#" * 15 + "-" * 15 + "]  50%  PROCESSING  0:07  cells"
    )
    line = progress.line(JobStatus(State.RUNNING, "esriJobExecuting"), 3)
    assert line.startswith("[*") and "esriJobExecuting  0:03" in line
    assert progress.line(JobStatus(State.RUNNING, "esriJobExecuting"), 4).startswith("[ *")
    done = progress.line(JobStatus(State.SUCCEEDED, "esriJobSucceeded"), 9)
    assert done.startswith("[" + "=" * 30 + "]")
    progress.close()
    assert stream.getvalue().endswith("\n")


def test_foreign_text_is_escaped_and_cut_to_the_line() -> None:
    progress = Progress(io.StringIO(), tty=True, width=60)
    line = progress.line(JobStatus(State.RUNNING, "X\x1b[2J", progress_message="y" * 99), 1)
    assert "\x1b" not in line and "\\x1b" in line and len(line) == 59


def test_clock_text() -> None:
    assert [clock_text(s) for s in (0, 59.9, 61, 3600, 3725)] == [
        "0:00",
        "0:59",
        "1:01",
        "1:00:00",
        "1:02:05",
    ]
