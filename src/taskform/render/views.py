"""The view registry: for each command, its output formats and the view that renders each.

A view is a pure function of the command's result and a :class:`Context` (styling, plan
``meta``, a scrubber) to text. The CLI picks one view, once, from the command and ``--format``
(:func:`pick`), and offers exactly the formats listed here. A new output format is a new
function in the view's module plus one entry below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from taskform.changes import ApplyReport, Plan
from taskform.plan.drift import DriftItem
from taskform.render import render_json as plan_json
from taskform.render.live import drift, status
from taskform.render.plan import markdown, text
from taskform.render.style import Paint, plain

T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    """What a view may use besides the result: ``paint`` styles terminal text, ``meta`` is
    the plan's ``meta`` object (JSON and Markdown plans), ``clean`` rewrites a JSON document's
    strings before it is written (the CLI passes ``redact.scrub_data``)."""

    paint: Paint = plain
    meta: Mapping[str, Any] | None = None
    clean: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class View(Generic[T]):
    """One format of one command. ``data``: output the user asked for as data (JSON,
    Markdown), written even with ``-q``; otherwise it is for a person and ``-q`` drops it.
    ``cleans``: the view applies :attr:`Context.clean` to its document itself, so its text is
    not scrubbed again as text (which could break its syntax)."""

    render: Callable[[T, Context], str]
    data: bool = True
    cleans: bool = False


PLAN: Mapping[str, View[Plan]] = {
    "text": View(lambda p, c: text.render_text(p, paint=c.paint), data=False),
    "json": View(lambda p, c: plan_json(p, meta=c.meta, clean=c.clean), cleans=True),
    "markdown": View(lambda p, c: markdown.render_markdown(p, meta=c.meta)),
}

DRIFT: Mapping[str, View[Sequence[DriftItem]]] = {
    "text": View(lambda items, c: drift.render_drift_text(items), data=False),
    "json": View(lambda items, c: drift.render_drift_json(items, clean=c.clean), cleans=True),
    "markdown": View(lambda items, c: drift.render_drift_markdown(items)),
}

STATUS: Mapping[str, View[Sequence[Mapping[str, Any]]]] = {
    "text": View(lambda rows, c: status.render_status_text(rows), data=False),
    "json": View(lambda rows, c: status.render_status_json(rows)),
}

APPLY: Mapping[str, View[ApplyReport]] = {
    "text": View(lambda r, c: text.render_apply_report(r, paint=c.paint), data=False),
}

#: Every command's views; ``show`` renders a saved plan with the plan views.
VIEWS: Mapping[str, Mapping[str, View[Any]]] = {
    "plan": PLAN,
    "show": PLAN,
    "drift": DRIFT,
    "status": STATUS,
    "apply": APPLY,
}


def formats(command: str) -> tuple[str, ...]:
    """The formats ``command`` offers, the default first."""
    return tuple(VIEWS[command])


def pick(views: Mapping[str, View[T]], fmt: str) -> View[T]:
    """The view for ``fmt`` (one of the registry's keys: click's choice has checked it)."""
    return views[fmt]
