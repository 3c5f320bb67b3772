"""``taskform run``: run a declared task's work now and follow its job (``kubectl create job
--from=cronjob/NAME``). The waiting loop is :mod:`taskform.jobs.wait`, the REST calls
:mod:`taskform.portal.resources.jobs`, the output :mod:`taskform.render.live.jobs`."""

from __future__ import annotations

import shutil
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import click

from taskform import tasktypes
from taskform.cli import common
from taskform.cli.options import (
    OUTPUT,
    common_options,
    config_option,
    data,
    emit,
    format_option,
    out,
    portal_options,
)
from taskform.errors import ForeignHostError, PortalError, TaskformError
from taskform.jobs.model import State
from taskform.jobs.progress import Progress
from taskform.jobs.target import pick
from taskform.jobs.wait import Ending, wait
from taskform.model import LiveTask
from taskform.portal.resources.jobs import JobsClient
from taskform.render import views
from taskform.render.escape import text as esc
from taskform.workflow.connect import PortalOptions

WHY_NOT = (
    "taskform run can start {types} tasks now: the Notebook Server's executeNotebook and a GP "
    "service's submitJob are public APIs that run the same work. {kind} tasks are started only "
    "by the portal's scheduler (the Sharing API has no operation that runs them on demand)"
)


@click.command()
@click.argument("name", metavar="TITLE|OWNER/TITLE")
@config_option
@portal_options
@click.option(
    "--wait/--no-wait",
    "waiting",
    default=True,
    show_default=True,
    help="Follow the job until it ends (--no-wait: print its id and URL).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds to wait; then the job is cancelled and the exit code is 1.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05),
    default=2.0,
    show_default=True,
    help="Seconds between polls (slower on jobs that run longer than a minute).",
)
@format_option(*views.formats("run"))
@common_options
def run(
    name: str,
    config_path: str,
    waiting: bool,
    timeout: float | None,
    interval: float,
    fmt: str,
    portal: PortalOptions,
) -> int:
    """Run a declared task now (ExecuteNotebook, GPService) and follow its job.

    Exit 0 when the job succeeded, 1 when it failed, timed out or could not be followed, 130
    when interrupted (the job is cancelled first)."""
    snap, _, client = common.take_snapshot(config_path, portal)
    _, task = pick(name, snap.config.tasks, snap.live, config_path=config_path)
    if not tasktypes.get(task.type).runnable:
        types = " and ".join(tasktypes.RUNNABLE)
        raise TaskformError(
            f"{esc(task.owner)}/{esc(task.title)} is a task of type {task.type}; "
            + WHY_NOT.format(types=types, kind=task.type)
        )
    jobs = JobsClient(client)
    ref = _start(jobs, task)
    started = views.pick(views.RUN_STARTED, fmt)
    if not started.data:  # for a person: shown while the job runs (on stderr when following)
        out(started.render((task, ref), views.Context()), nl=False, err=waiting)
    if not waiting:
        if started.data:
            data(started.render((task, ref), views.Context()), nl=False)
        return 0
    tty = sys.stderr.isatty()
    progress = Progress(sys.stderr, tty=tty, width=shutil.get_terminal_size().columns)
    with _signals_interrupt():
        result = wait(
            lambda: jobs.poll(ref),
            lambda: jobs.cancel(ref),
            interval=interval,
            timeout=timeout,
            on_status=(lambda s, e: None) if OUTPUT.quiet else progress,
        )
    progress.close()
    emit(views.pick(views.RUN, fmt), (task, ref, result))
    if result.ending is Ending.INTERRUPTED:
        return 130
    ok = result.ending is Ending.DONE and result.status is not None
    return 0 if ok and result.status is not None and result.status.state is State.SUCCEEDED else 1


def _start(jobs: JobsClient, task: LiveTask) -> Any:
    """Start the job; an unreachable or untrusted server is one clear error naming its URL."""
    if task.type == "ExecuteNotebook":
        where = "the notebook server"
        url = jobs.notebook_admin_url() + "/notebooks/executeNotebook"
    else:
        where = "the GP service"
        url = (task.task_url or "").rstrip("/") + "/submitJob"
    try:
        return jobs.start(task)
    except ForeignHostError as exc:
        raise TaskformError(
            f"{where} at {esc(url)} is not on the portal's host ({exc.allowed}) nor on a server "
            "the portal lists as its own (portals/self/servers); taskform sends the portal's "
            "token nowhere else, so the task cannot run from here"
        ) from None
    except PortalError as exc:
        reason = exc.message.removeprefix("could not reach the portal: ")
        raise TaskformError(f"cannot start the job: {where} at {esc(url)}: {esc(reason)}") from None


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """While waiting, Ctrl-C (even if inherited ignored) and SIGTERM raise KeyboardInterrupt,
    so the job is cancelled; a second one while cancelling exits at once (130)."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for sig in before:
        signal.signal(sig, interrupt)
    try:
        yield
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)
