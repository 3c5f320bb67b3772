"""``taskform status``: every managed task's state, next run and latest runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import click

from taskform.cli import common
from taskform.cli.jobs.runs import failed_run_row
from taskform.cli.options import (
    common_options,
    config_option,
    emit,
    format_option,
    portal_options,
)
from taskform.cli.targets import target_option, wanted
from taskform.model import LiveTask, Run
from taskform.portal.resources.jobs import JobsClient
from taskform.render import views
from taskform.render.live.jobs import first_error
from taskform.render.live.status import FAILING, not_live_rows, pending_renames, status_rows
from taskform.workflow.connect import PortalOptions
from taskform.workflow.snapshot import read_runs


def add_last_errors(
    rows: list[dict[str, Any]],
    tasks: Sequence[LiveTask],
    runs: Mapping[str, Sequence[Run]],
    jobs: JobsClient,
) -> None:
    """``last_error`` on each row whose task has a failed run: the first error message of its
    newest failed run (its job's, where the run's result links one; else the result text).
    One job read per such task, at most ``MAX_ERROR_READS`` in parallel."""
    latest: dict[str, tuple[LiveTask, Run]] = {}
    for task in tasks:
        failed = [r for r in runs.get(task.id, ()) if r.status in FAILING]
        if failed:
            latest[task.id] = (task, max(failed, key=lambda r: r.created or 0))
    found: dict[str, str | None] = {}
    with ThreadPoolExecutor(max_workers=MAX_ERROR_READS, thread_name_prefix="errors") as pool:
        found = dict(
            zip(
                latest,
                pool.map(lambda pair: first_error(failed_run_row(jobs, *pair)), latest.values()),
                strict=True,
            )
        )
    for row in rows:
        row["last_error"] = found.get(str(row["task_id"]))


MAX_ERROR_READS = 4


@click.command()
@config_option
@portal_options
@format_option(*views.formats("status"))
@click.option(
    "--runs",
    "last",
    default=3,
    show_default=True,
    type=click.IntRange(1, 30),
    help="Latest runs shown per task.",
)
@target_option
@common_options
def status(
    config_path: str, fmt: str, last: int, targets: tuple[str, ...], portal: PortalOptions
) -> int:
    """Show every managed task's state, next run and latest runs; failing tasks first."""
    snap, _, client = common.take_snapshot(config_path, portal, targets)
    declared = {t.key for t in snap.config.present}
    held = {b.key for b in snap.plan.blocked}  # shown as blocked, with why
    renamed = pending_renames([t for t in snap.config.present if t.key not in held], snap.live)
    tasks = [t for ts in snap.live.values() for t in ts if t.key in declared or t.id in renamed]
    tasks = [t for t in tasks if wanted(targets, t.owner, renamed.get(t.id, t.title))]
    runs = read_runs(client, tasks)
    rows = status_rows(tasks, runs, last=last, renamed=renamed)
    add_last_errors(rows, tasks, runs, JobsClient(client))
    missing = [(o, t) for o, t in snap.plan.missing if wanted(targets, o, t)]
    blocked = [b for b in snap.plan.blocked if wanted(targets, b.owner, b.title)]
    rows += not_live_rows(missing, blocked)
    emit(views.pick(views.STATUS, fmt), rows)
    return 1 if blocked else 0
