"""``taskform probe``: check how this portal behaves where the documentation is silent."""

from __future__ import annotations

import itertools
import json
import textwrap
from pathlib import Path

import click

from taskform import redact
from taskform.cli.options import common_options, data, out, portal_options, write_atomic
from taskform.render import escape
from taskform.workflow.connect import PortalOptions, connect
from taskform.workflow.probe import probe as run_probe


@click.command()
@portal_options
@click.option(
    "--write",
    is_flag=True,
    help="Also create one disposable task (far-future start, switched off, deleted at the end) "
    "to settle what createTask and update do.",
)
@click.option("--item", "item", metavar="ID", help="The item the disposable task runs against.")
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False),
    help="Write the findings as JSON: a profile for 'taskform emulator --profile FILE'.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@common_options
def probe(
    write: bool, item: str | None, out_file: str | None, as_json: bool, portal: PortalOptions
) -> int:
    """Check each behaviour taskform relies on that the portal's docs leave open (read-only
    unless --write). Run it before the first apply on a new portal."""
    client, _ = connect(portal, None)
    with client:
        profile = run_probe(client, write=write, item=item)
    document = redact.scrub_data(profile.as_json())
    text = json.dumps(document, indent=2) + "\n"
    if out_file:
        write_atomic(Path(out_file), text)
    if as_json:
        data(text, nl=False, scrubbed=True)
        return 0
    rows = [("behaviour", "this portal", "taskform assumes")]
    rows += [(f.behaviour, f.observed, f.assumes) for f in profile.findings]
    widths = (34, 44, 44)
    for row in rows:
        cells = [textwrap.wrap(escape.text(c), w) or [""] for c, w in zip(row, widths, strict=True)]
        for line in itertools.zip_longest(*cells, fillvalue=""):
            out("  ".join(part.ljust(w) for part, w in zip(line, widths, strict=True)).rstrip())
    quirks = ", ".join(profile.quirks) or "none"
    out(f"\nQuirks this portal showed: {quirks}.")
    if not write:
        out("Read-only run: add --write --item ID to settle createTask/update semantics.")
    if out_file:
        out(f"Wrote {out_file}: 'taskform emulator --profile {out_file}' behaves like this portal.")
    return 0
