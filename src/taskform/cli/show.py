"""``taskform show``: render a saved plan again, offline."""

from __future__ import annotations

import click

from taskform import redact, render
from taskform.cli.options import color, common_options, data, format_option, out
from taskform.plan import planfile
from taskform.render.common import human_iso


@click.command()
@click.argument("plan_file", type=click.Path(dir_okay=False))
@format_option("text", "json", "markdown")
@common_options
def show(plan_file: str, fmt: str) -> int:
    """Show a saved plan (from plan --out) as text, JSON or Markdown; offline.

    Nothing is read from the portal: this is the plan as it was made. apply PLANFILE checks
    it against the portal before it changes anything.
    """
    saved = planfile.read_plan(plan_file)
    the_plan = planfile.as_plan(saved)
    meta = dict(saved.meta)
    if fmt == "json":
        data(
            render.render_json(the_plan, meta=meta, clean=redact.scrub_data),
            nl=False,
            scrubbed=True,
        )
    elif fmt == "markdown":
        data(render.render_markdown(the_plan, meta=meta), nl=False)
    else:
        when, portal = meta.get("created_at"), meta.get("portal")
        if when or portal:
            made = human_iso(str(when)) if when else "?"
            out(f"Saved plan {plan_file}: made {made} against {portal or '?'}.\n")
        out(render.render_text(the_plan, color=color()), nl=False)
    return 0
