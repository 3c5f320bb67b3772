"""``taskform status``: every managed task's state, next run and latest runs."""

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
from taskform.cli.targets import target_option, wanted
from taskform.render import views
from taskform.render.drift import status_rows
from taskform.workflow.connect import PortalOptions
from taskform.workflow.snapshot import read_runs


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
    declared = {t.key for t in snap.config.tasks if not t.absent}
    tasks = [t for ts in snap.live.values() for t in ts if t.key in declared]
    tasks = [t for t in tasks if wanted(targets, t.owner, t.title)]
    rows = status_rows(tasks, read_runs(client, tasks), last=last)
    emit(views.pick(views.STATUS, fmt), rows)
    return 0
