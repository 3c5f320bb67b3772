"""``taskform show``: render a saved plan again, offline."""

from __future__ import annotations

import click

from taskform import redact
from taskform.cli.options import common_options, emit, format_option, out, paint
from taskform.plan import planfile
from taskform.render import views
from taskform.render.common import human_iso


@click.command()
@click.argument("plan_file", type=click.Path(dir_okay=False))
@format_option(*views.formats("show"))
@common_options
def show(plan_file: str, fmt: str) -> int:
    """Show a saved plan (from plan --out) as text, JSON or Markdown; offline.

    Nothing is read from the portal: this is the plan as it was made. apply PLANFILE checks
    it against the portal before it changes anything.
    """
    saved = planfile.read_plan(plan_file)
    the_plan = planfile.as_plan(saved)
    meta = dict(saved.meta)
    view = views.pick(views.PLAN, fmt)
    when, portal = meta.get("created_at"), meta.get("portal")
    if not view.data and (when or portal):
        made = human_iso(str(when)) if when else "?"
        out(f"Saved plan {plan_file}: made {made} against {portal or '?'}.\n")
    emit(view, the_plan, views.Context(paint=paint(), meta=meta, clean=redact.scrub_data))
    return 0
