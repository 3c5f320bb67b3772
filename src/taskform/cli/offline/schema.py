"""``taskform schema``: print the configuration's JSON Schema."""

from __future__ import annotations

import click

from taskform.cli.options import common_options, data
from taskform.schemas import load_schema_text


@click.command()
@common_options
def schema() -> int:
    """Print the JSON Schema of the configuration."""
    data(load_schema_text(), nl=False)
    return 0
