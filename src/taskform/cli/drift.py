"""``taskform drift``: how the portal differs from the configuration."""

from __future__ import annotations

from typing import Any

import click

from taskform.cli import common
from taskform.cli.options import (
    common_options,
    config_option,
    data,
    format_option,
    out,
    portal_options,
)
from taskform.cli.targets import target_option, wanted
from taskform.plan.drift import classify
from taskform.render.drift import render_drift_json, render_drift_markdown, render_drift_text


@click.command()
@config_option
@portal_options
@format_option("text", "json", "markdown")
@target_option
@common_options
def drift(config_path: str, fmt: str, targets: tuple[str, ...], **opts: Any) -> int:
    """Report how the portal differs from the configuration, each difference classified.

    Exit 0 with no drift, 2 with drift, 1 on error. Never writes.
    """
    snap, _, _ = common.take_snapshot(config_path, opts, targets)
    items = classify(snap.plan, snap.config.tasks, snap.live, snap.states)
    items = [i for i in items if wanted(targets, i.owner, i.title)]
    renderers = {"json": render_drift_json, "markdown": render_drift_markdown}
    (data if fmt != "text" else out)(renderers.get(fmt, render_drift_text)(items), nl=False)
    return 2 if items else 0
