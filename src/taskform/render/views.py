"""The view registry: for each command, its output formats and the view that renders each.

A view is a pure function of the command's result and a :class:`Context` (styling, plan
``meta``, a scrubber) to text. The CLI picks one view, once, from the command and ``--format``
(:func:`pick`), and offers exactly the formats listed here. A new output format is a new
function in the view's module plus one entry below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from taskform.render.style import Paint, plain

if TYPE_CHECKING:  # the renderers load with the view that uses them (validate loads no plan view)
    from taskform.changes import ApplyReport, Plan
    from taskform.jobs.model import JobRef
    from taskform.jobs.wait import WaitResult
    from taskform.model import LiveTask
    from taskform.plan.drift import DriftItem
    from taskform.render.live.jobs import RunRow
    from taskform.render.validation import Validation
    from taskform.schedule.calendar import Calendar

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
    #: For a large output: the text in pieces, written as they come (default: ``render``'s).
    chunks: Callable[[T, Context], Iterable[str]] | None = None
    #: The text goes to stderr (diagnostics beside the command's own output).
    stderr: bool = False
    #: The output is one document: the command writes nothing else to stdout.
    whole: bool = False

    def pieces(self, value: T, context: Context) -> Iterable[str]:
        """The text, in pieces."""
        if self.chunks is not None:
            return self.chunks(value, context)
        return [self.render(value, context)]


# Each view imports its renderer when it renders, so that a command loads only its own.


def _plan_text(plan: Plan, c: Context) -> str:
    from taskform.render.plan import text

    return text.render_text(plan, paint=c.paint)


def _plan_json(plan: Plan, c: Context) -> str:
    from taskform.render import render_json

    return render_json(plan, meta=c.meta, clean=c.clean)


def _plan_markdown(plan: Plan, c: Context) -> str:
    from taskform.render.plan import markdown

    return markdown.render_markdown(plan, meta=c.meta)


def _apply_text(report: ApplyReport, c: Context) -> str:
    from taskform.render.plan import text

    return text.render_apply_report(report, paint=c.paint)


def _drift_text(items: Sequence[DriftItem], c: Context) -> str:
    from taskform.render.live import drift

    return drift.render_drift_text(items)


def _drift_json(items: Sequence[DriftItem], c: Context) -> str:
    from taskform.render.live import drift

    return drift.render_drift_json(items, clean=c.clean)


def _drift_markdown(items: Sequence[DriftItem], c: Context) -> str:
    from taskform.render.live import drift

    return drift.render_drift_markdown(items)


def _status_text(rows: Sequence[Mapping[str, Any]], c: Context) -> str:
    from taskform.render.live import status

    return status.render_status_text(rows)


def _status_json(rows: Sequence[Mapping[str, Any]], c: Context) -> str:
    from taskform.render.live import status

    return status.render_status_json(rows)


def _validation_text(found: Validation, c: Context) -> str:
    from taskform.render import validation

    return validation.render_text(found)


def _validation_json(found: Validation, c: Context) -> str:
    from taskform.render import validation

    return validation.render_json(found)


def _validation_github(found: Validation, c: Context) -> str:
    from taskform.render import validation

    return validation.render_github(found)


def _calendar_html(cal: Calendar, c: Context) -> str:
    from taskform.render.calendar.html import render_html

    return render_html(cal)


def _calendar_ics(cal: Calendar, c: Context) -> str:
    from taskform.render.calendar.text import render_ics

    return render_ics(cal)


def _calendar_markdown(cal: Calendar, c: Context) -> str:
    from taskform.render.calendar.text import render_markdown

    return render_markdown(cal)


def _ics_chunks(cal: Calendar, c: Context) -> Iterable[str]:
    from taskform.render.calendar.text import ics_chunks

    return ics_chunks(cal)  # hundreds of MB for a large calendar: written as they come


#: ``taskform run``: the job started (task, job) ...
Started = tuple["LiveTask", "JobRef"]
#: ... and how it ended (task, job, the wait's result).
Ended = tuple["LiveTask", "JobRef", "WaitResult"]
#: ``taskform runs``: the task, its runs, and how many runs the portal keeps.
History = tuple["LiveTask", Sequence["RunRow"], int]


def _started(name: str) -> Callable[[Started, Context], str]:
    def render(value: Started, c: Context) -> str:
        from taskform.render.live import jobs

        return jobs.started_json(*value) if name == "json" else jobs.started_text(*value)

    return render


def _ended(name: str) -> Callable[[Ended, Context], str]:
    def render(value: Ended, c: Context) -> str:
        from taskform.render.live import jobs

        task, ref, result = value
        return (
            jobs.result_json(task, ref, result) if name == "json" else jobs.result_text(ref, result)
        )

    return render


def _history(name: str) -> Callable[[History, Context], str]:
    def render(value: History, c: Context) -> str:
        from taskform.render.live import jobs

        task, rows, kept = value
        return (
            jobs.runs_json(task, rows) if name == "json" else jobs.runs_text(task, rows, kept=kept)
        )

    return render


PLAN: Mapping[str, View[Plan]] = {
    "text": View(_plan_text, data=False),
    "json": View(_plan_json, cleans=True),
    "markdown": View(_plan_markdown),
}

DRIFT: Mapping[str, View[Sequence[DriftItem]]] = {
    "text": View(_drift_text, data=False),
    "json": View(_drift_json, cleans=True),
    "markdown": View(_drift_markdown),
}

STATUS: Mapping[str, View[Sequence[Mapping[str, Any]]]] = {
    "text": View(_status_text, data=False),
    "json": View(_status_json),
}

APPLY: Mapping[str, View[ApplyReport]] = {
    "text": View(_apply_text, data=False),
}

#: ``validate``: the text view is the lint warnings, on stderr; the valid/invalid line follows
#: unless the view is the whole output.
VALIDATE: Mapping[str, View[Validation]] = {
    "text": View(_validation_text, data=False, stderr=True),
    "json": View(_validation_json, whole=True),
    "github": View(_validation_github),
}

CALENDAR: Mapping[str, View[Calendar]] = {
    "html": View(_calendar_html),
    "ics": View(_calendar_ics, chunks=_ics_chunks),
    "markdown": View(_calendar_markdown),
}

#: ``run``: a text view is also shown while the job runs; a JSON one is the whole output.
RUN_STARTED: Mapping[str, View[Started]] = {
    "text": View(_started("text"), data=False),
    "json": View(_started("json")),
}
RUN: Mapping[str, View[Ended]] = {
    "text": View(_ended("text"), data=False),
    "json": View(_ended("json")),
}

RUNS: Mapping[str, View[History]] = {
    "text": View(_history("text"), data=False),
    "json": View(_history("json")),
}

#: Every command's views; ``show`` renders a saved plan with the plan views.
VIEWS: Mapping[str, Mapping[str, View[Any]]] = {
    "plan": PLAN,
    "show": PLAN,
    "drift": DRIFT,
    "status": STATUS,
    "apply": APPLY,
    "validate": VALIDATE,
    "calendar": CALENDAR,
    "run": RUN,
    "runs": RUNS,
}


def formats(command: str) -> tuple[str, ...]:
    """The formats ``command`` offers, the default first."""
    return tuple(VIEWS[command])


def pick(views: Mapping[str, View[T]], fmt: str) -> View[T]:
    """The view for ``fmt`` (one of the registry's keys: click's choice has checked it)."""
    return views[fmt]
