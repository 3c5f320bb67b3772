"""``taskform runs``: a declared task's run history (the portal's runs resource), newest
first, with the job messages of failed runs where the run's result links to its job."""

from __future__ import annotations

import click

from taskform.cli import common
from taskform.cli.options import (
    common_options,
    config_option,
    emit,
    format_option,
    portal_options,
)
from taskform.errors import PortalError
from taskform.jobs.target import pick
from taskform.model import LiveTask, Run
from taskform.portal.resources.jobs import JobsClient
from taskform.render import views
from taskform.render.live.jobs import RunRow
from taskform.workflow.connect import PortalOptions

#: The portal keeps at most this many runs per task (Enterprise's TaskRunHistoryCount).
RUN_HISTORY = 30
FAILED = frozenset({"failed", "submitfailed"})


@click.command()
@click.argument("name", metavar="TITLE|OWNER/TITLE")
@config_option
@portal_options
@click.option(
    "--limit",
    default=10,
    show_default=True,
    type=click.IntRange(1, RUN_HISTORY),
    help="Newest runs shown.",
)
@format_option(*views.formats("runs"))
@common_options
def runs(name: str, config_path: str, limit: int, fmt: str, portal: PortalOptions) -> int:
    """Show a task's run history, newest first, with the messages of failed runs."""
    snap, _, client = common.take_snapshot(config_path, portal)
    _, task = pick(name, snap.config.tasks, snap.live, config_path=config_path)
    history = client.list_runs(task.owner, task.id)[:limit]
    jobs = JobsClient(client)
    rows = [failed_run_row(jobs, task, run) for run in history]
    emit(views.pick(views.RUNS, fmt), (task, rows, RUN_HISTORY))
    return 0


def failed_run_row(jobs: JobsClient, task: LiveTask, run: Run) -> RunRow:
    """The run, its job (when its result links one) and, for a failed run, the job's status
    (its messages); a job that cannot be read is said, not fatal."""
    try:
        ref = jobs.job_of_run(task, run.result)
    except PortalError as exc:
        return RunRow(run, job_error=exc.message)
    if ref is None or run.status not in FAILED:
        return RunRow(run, job=ref)
    try:
        return RunRow(run, job=ref, job_status=jobs.poll(ref))
    except PortalError as exc:
        return RunRow(run, job=ref, job_error=exc.message)
