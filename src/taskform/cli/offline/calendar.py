"""``taskform calendar``: every run of every declared task in the next N days, offline."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import click

from taskform.cli import common
from taskform.cli.options import common_options, config_option, data, format_option, write_atomic
from taskform.render import views
from taskform.schedule.calendar import build


@click.command()
@config_option
@click.option(
    "--days",
    default=7,
    show_default=True,
    type=click.IntRange(1, 366),
    help="How many days from now to show.",
)
@format_option(*views.formats("calendar"))
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False),
    help="Write to FILE instead of stdout.",
)
@click.option(
    "--owner",
    default=lambda: os.environ.get("ARCGIS_USERNAME", ""),
    help="Owner of the tasks that name none (default: $ARCGIS_USERNAME); H values depend on it.",
)
@click.option(
    "--collision-threshold",
    default=10,
    show_default=True,
    type=click.IntRange(1),
    help="Flag minutes where more than this many tasks of one owner start.",
)
@common_options
def calendar(
    config_path: str,
    days: int,
    fmt: str,
    output: str | None,
    owner: str,
    collision_threshold: int,
) -> int:
    """Every run of every declared task in the next N days, offline: an HTML page (heat map
    of starts per hour of the week, a timeline per task, collisions), an iCalendar file (one
    event per run, stable UIDs) or a Markdown heat map for pull requests. Times are UTC; a task
    with a timezone is shown as the portal runs it after an apply now."""
    config = common.load(config_path, resolve=False)
    if owner:
        config = config.resolve_owner(owner)
    cal = build(config.present, datetime.now(timezone.utc), days, threshold=collision_threshold)
    pieces = views.pick(views.CALENDAR, fmt).pieces(cal, views.Context())
    if output:
        write_atomic(Path(output), pieces)
    else:
        for piece in pieces:
            data(piece, nl=False)
    return 0
