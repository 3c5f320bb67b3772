"""``taskform validate``: check the configuration offline."""

from __future__ import annotations

import click

from taskform.cli import common
from taskform.cli.options import common_options, config_option, out


@click.command()
@config_option
@common_options
def validate(config_path: str) -> int:
    """Check the configuration offline (no network)."""
    config = common.load(config_path)
    count = sum(1 for t in config.tasks if not t.absent)
    out(f"The configuration is valid: {count} task(s) in {len(config.files)} file(s).")
    return 0
