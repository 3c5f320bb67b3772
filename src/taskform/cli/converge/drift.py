"""``taskform drift``: how the portal differs from the configuration."""

from __future__ import annotations

from pathlib import Path

import click

from taskform import redact
from taskform.cli import common
from taskform.cli.options import (
    common_options,
    config_option,
    emit,
    format_option,
    paint,
    portal_options,
    write_atomic,
)
from taskform.cli.targets import target_option, wanted
from taskform.plan.drift import DriftKind, classify, exit_code
from taskform.render import views
from taskform.render.live.drift import render_drift_json
from taskform.workflow.connect import PortalOptions

KIND_NAMES = [kind.value for kind in DriftKind]


def _kinds(ctx: click.Context, param: click.Parameter, value: str | None) -> frozenset[str] | None:
    if value is None:
        return None
    names = {name.strip() for name in value.split(",") if name.strip()}
    if "all" in names:
        return frozenset(KIND_NAMES)
    if "none" in names:
        return frozenset()
    unknown = sorted(names - set(KIND_NAMES))
    if unknown:
        raise click.BadParameter(
            f"unknown drift kind {', '.join(unknown)}; kinds: {', '.join(KIND_NAMES)}, "
            "or all, or none",
            ctx,
            param,
        )
    return frozenset(names)


@click.command()
@config_option
@portal_options
@format_option(*views.formats("drift"))
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False),
    help="Also write the report as JSON to FILE (the same read: one run gives both).",
)
@click.option(
    "--fail-on",
    "fail_on",
    metavar="KINDS",
    callback=_kinds,
    help="Comma-separated drift kinds that make the exit code 2, or all, or none. "
    "Default: the kinds apply would change (config_changed, missing, present_but_absent, "
    "and lifecycle kinds whose policy is enable).",
)
@target_option
@common_options
def drift(
    config_path: str,
    fmt: str,
    out_file: str | None,
    fail_on: frozenset[str] | None,
    targets: tuple[str, ...],
    portal: PortalOptions,
) -> int:
    """Report how the portal differs from the configuration, each difference classified.

    Every difference is reported; the exit code is 2 when one of the --fail-on kinds is
    among them, else 0; 1 on error. Never writes to the portal.
    """
    snap, _, _ = common.take_snapshot(config_path, portal, targets)
    items = classify(snap.plan, snap.config.tasks, snap.live, snap.states)
    items = [i for i in items if wanted(targets, i.owner, i.title)]
    if out_file:
        # Scrubbed as data, as every JSON taskform writes: no registered secret in the file.
        write_atomic(Path(out_file), render_drift_json(items, clean=redact.scrub_data))
    context = views.Context(paint=paint(), clean=redact.scrub_data)
    emit(views.pick(views.DRIFT, fmt), items, context)
    if snap.plan.blocked:
        return 1  # reported with the rest; exit 1 says some tasks could not be compared
    return exit_code(items, fail_on)
