"""``taskform plan``: show what apply would change."""

from __future__ import annotations

from pathlib import Path

import click

from taskform import redact, render
from taskform.cli import common
from taskform.cli.options import (
    color,
    common_options,
    config_option,
    data,
    format_option,
    out,
    portal_options,
    write_atomic,
)
from taskform.cli.targets import target_option
from taskform.workflow.connect import PortalOptions


@click.command()
@config_option
@portal_options
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False),
    help="Save the plan (JSON) for 'apply PLANFILE'.",
)
@format_option("text", "json", "markdown")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 with no changes, 2 with changes.")
@target_option
@common_options
def plan(
    config_path: str,
    out_file: str | None,
    fmt: str,
    detailed_exitcode: bool,
    targets: tuple[str, ...],
    portal: PortalOptions,
) -> int:
    """Show what apply would change (read-only)."""
    snap, url, _ = common.take_snapshot(config_path, portal, targets)
    meta = common.plan_meta(snap, url, config_path)
    if out_file:
        write_atomic(
            Path(out_file), render.render_json(snap.plan, meta=meta, clean=redact.scrub_data)
        )
    if fmt == "json":
        data(
            render.render_json(snap.plan, meta=meta, clean=redact.scrub_data),
            nl=False,
            scrubbed=True,
        )
    elif fmt == "markdown":
        data(render.render_markdown(snap.plan, meta=meta), nl=False)
    else:
        out(render.render_text(snap.plan, color=color()), nl=False)
        if out_file:
            out(f"Saved the plan to {out_file}; apply it with: taskform apply {out_file}")
    return snap.plan.exit_code(detailed=detailed_exitcode)
