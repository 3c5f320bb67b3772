"""``taskform plan``: show what apply would change."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from pathlib import Path

import click

from taskform import redact, render
from taskform.cli import common
from taskform.cli.options import (
    common_options,
    config_option,
    emit,
    format_option,
    lint_options,
    out,
    paint,
    portal_options,
    write_atomic,
)
from taskform.cli.targets import target_option
from taskform.plan import planfile
from taskform.render import views
from taskform.workflow.connect import PortalOptions
from taskform.workflow.overlap import overlap_warnings


@click.command()
@config_option
@portal_options
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False),
    help="Save the plan (JSON) for 'apply PLANFILE'.",
)
@format_option(*views.formats("plan"))
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes.")
@target_option
@lint_options
@common_options
def plan(
    config_path: str,
    out_file: str | None,
    fmt: str,
    detailed_exitcode: bool,
    targets: tuple[str, ...],
    strict: bool,
    collision_threshold: int,
    portal: PortalOptions,
) -> int:
    """Show what apply would change (read-only).

    Schedule warnings (as in validate, plus tasks on the same item whose runs overlap, from
    the durations of their past runs) are listed with the plan; --strict makes them errors."""
    snap, url, client = common.take_snapshot(config_path, portal, targets)
    warnings = common.schedule_warnings(snap.config, collision_threshold=collision_threshold)
    warnings += overlap_warnings(client, snap.config.present, snap.live, datetime.now(timezone.utc))
    if strict and warnings:
        raise common.strict_failure(warnings)
    if warnings:
        shown = tuple(f"schedule: {w}" for w in warnings)
        snap = dataclasses.replace(
            snap, plan=dataclasses.replace(snap.plan, warnings=snap.plan.warnings + shown)
        )
    # The metadata (with the configuration's digest) only where it is shown or saved.
    meta = common.plan_meta(snap, url, config_path) if out_file or fmt != "text" else None
    if out_file:
        text = render.render_json(snap.plan, meta=meta, clean=redact.scrub_data)
        extra = planfile.file_meta(snap.config.present, list(snap.live))
        write_atomic(Path(out_file), planfile.seal(text, extra))
    view = views.pick(views.PLAN, fmt)
    emit(view, snap.plan, views.Context(paint=paint(), meta=meta, clean=redact.scrub_data))
    if out_file and not view.data:
        out(f"Saved the plan to {out_file}; apply it with: taskform apply {out_file}")
    return snap.plan.exit_code(detailed=detailed_exitcode)
