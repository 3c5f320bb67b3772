"""``taskform export``: write the live tasks as a configuration."""

from __future__ import annotations

from pathlib import Path

import click

from taskform import redact
from taskform.cli.options import common_options, data, out, portal_options, write_atomic
from taskform.config.export import duplicates, export_yaml
from taskform.errors import TaskformError
from taskform.render import escape
from taskform.workflow.connect import PortalOptions, connect


@click.command()
@portal_options
@click.option(
    "--owner",
    "owners",
    multiple=True,
    help="Export this user's tasks (repeatable; default: the signed-in user).",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False),
    help="Write to FILE instead of stdout.",
)
@click.option("--force", is_flag=True, help="Overwrite the --output file if it exists.")
@common_options
def export(owners: tuple[str, ...], output: str | None, force: bool, portal: PortalOptions) -> int:
    """Write the live tasks as a configuration that plan then finds equal."""
    if output and Path(output).exists() and not force:
        raise TaskformError(
            f"{output} exists; export does not overwrite it. Choose another -o FILE, "
            "or pass --force to replace it"
        )
    client, _ = connect(portal, None)
    user = client.signed_in_user()
    chosen = tuple(dict.fromkeys(owners)) or (user,)
    live = client.list_tasks(chosen)
    default = chosen[0] if len(chosen) == 1 else None
    for owner, title in duplicates([t for tasks in live.values() for t in tasks]):
        out(
            f"Warning: {escape.text(owner)} has several tasks titled {escape.text(repr(title))}; "
            "taskform identifies tasks "
            "by owner and title, so rename or delete the extra ones before planning.",
            err=True,
        )
    secrets: dict[str, str] = {}
    text = export_yaml(live, default_owner=default, secrets=secrets, clean=redact.scrub_data)
    for where, name in sorted(secrets.items()):
        out(
            f"Note: {escape.text(where)} looks like a credential; "
            f"it is written as ${{secret:{name}}}. "
            f"Set {name} in the environment before planning.",
            err=True,
        )
    if secrets:
        names = ", ".join(sorted(set(secrets.values())))
        out(f"Set these variables before planning: {names}", err=True)
    if output:
        write_atomic(Path(output), text)
        count = sum(len(t) for t in live.values())
        out(f"Wrote {count} task(s) of {', '.join(chosen)} to {output}.", err=True)
    else:
        data(text, nl=False, scrubbed=True)  # scrubbed as data by export_yaml
    return 0
