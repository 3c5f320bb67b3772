"""Live tasks to configuration: what ``taskform export`` writes.

The output is canonical: Unix-form schedules, ``notebookParameters`` as a mapping, ISO 8601
dates, and every field the planner compares, so that ``plan`` with the exported file against
the same portal shows no changes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml

from taskform import tasktypes
from taskform.epoch import iso_utc
from taskform.model import LiveTask
from taskform.plan import normalize
from taskform.schedule import translate as schedule
from taskform.secrets import mask_named, withhold_values

HEADER = (
    "# yaml-language-server: $schema=https://raw.githubusercontent.com/taskform/taskform/main/"
    "src/taskform/schemas/config.schema.json\n"
    "# Written by 'taskform export'. Review it, commit it, then 'taskform plan' shows no changes.\n"
)


def secret_reference(task: LiveTask, path: str) -> str:
    """The environment variable name suggested for a secret parameter of a task."""
    raw = f"{task.title}_{path.rsplit('.', 1)[-1]}"
    return re.sub(r"[^A-Z0-9]+", "_", raw.upper()).strip("_") or "SECRET"


def _escape(value: Any) -> Any:
    """Live text written so the configuration reads it back as it is: ``${`` becomes ``$${``."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, Mapping):
        return {_escape(k): _escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape(v) for v in value]
    return value


#: Unicode categories of characters that do not show what they are: controls, format
#: characters (zero-width, joiners, bidi overrides and isolates), line and paragraph
#: separators, private use, unassigned and surrogates (as validate refuses them in titles).
HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"})


def hidden(text: str) -> bool:
    """Whether ``text`` holds a character that does not show what it is (tab and newline
    aside, which show as layout)."""
    if text.isprintable():  # no character of those categories is printable: the usual case
        return False
    return any(unicodedata.category(ch) in HIDDEN_CATEGORIES for ch in text if ch not in "\t\n")


class _Dumper(yaml.SafeDumper):
    """Writes strings containing ``*`` or starting with ``@`` (schedules) in double quotes, and
    strings holding hidden characters (:func:`hidden`: a bidi override in a portal title)
    double-quoted with every non-ASCII character escaped (``"Sync \\u202Eevil"``): the file
    then shows exactly what the portal holds, and reads back as the same text."""

    def write_double_quoted(self, text: str, split: bool = True) -> None:
        if not hidden(text):
            super().write_double_quoted(text, split)
            return
        allow, self.allow_unicode = self.allow_unicode, False  # escape all but ASCII
        try:
            super().write_double_quoted(text, split)
        finally:
            self.allow_unicode = allow


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = '"' if "*" in data or data.startswith("@") or hidden(data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


#: What a portal fills in for ``maxOccurrences`` when a create sends none. The documentation
#: does not say (reference Q6): the emulator's reading is -1 (unlimited); Esri's client always
#: sends 10 and one quirk of the emulator (``max_occurrences_default_10``) fills in 10. A value
#: equal to either is left out: left out, it is unmanaged, so plan keeps the live value and the
#: round trip stays empty under both readings. ``--keep-defaults`` writes it (a config meant to
#: re-create the tasks on another portal should pin it).
MAX_OCCURRENCES_DEFAULTS = frozenset({-1, 10})


def task_entry(
    task: LiveTask,
    *,
    default_owner: str | None,
    secrets: dict[str, str] | None = None,
    keep_defaults: bool = False,
) -> dict[str, Any]:
    """One task as a config mapping (keys in the order people read them). Parameters whose
    names look like credentials become ``${secret:NAME}``, and so do credentials recognised by
    their value (:func:`taskform.secrets.withhold_values`); ``secrets`` collects where -> NAME.
    Values equal to what the portal fills in by itself are left out unless ``keep_defaults``."""
    entry: dict[str, Any] = {"title": _escape(task.title), "type": task.type}
    if task.owner != default_owner:
        entry["owner"] = task.owner
    if task.item_id:
        entry["item_id"] = task.item_id.lower()
    try:
        entry["schedule"] = schedule.to_unix(task.cron)
    except ValueError as exc:
        fields = " ".join(task.cron.as_portal().values())
        raise Unexportable(
            f"its schedule ({fields}) has no Unix cron form that validate accepts ({exc})"
        ) from None
    if task.max_occurrences is not None and (
        keep_defaults or task.max_occurrences not in MAX_OCCURRENCES_DEFAULTS
    ):
        entry["max_occurrences"] = task.max_occurrences
    if not task.active:
        entry["active"] = False
    if task.start_date is not None and not _filled_in(task.start_date, task.created):
        entry["start_date"] = iso_utc(task.start_date)
    if task.end_date is not None:
        entry["end_date"] = iso_utc(task.end_date)
    if task.task_url:
        entry["task_url"] = _escape(task.task_url)
    params = normalize.parameters(task.type, task.parameters)
    if not keep_defaults:
        params = _without_defaults(task.type, params)
    if params:
        entry["parameters"], found = mask_named(
            _escape(params), lambda path: secret_reference(task, path)
        )
        entry["parameters"], by_value = withhold_values(
            entry["parameters"], lambda path: secret_reference(task, path)
        )
        if secrets is not None:
            secrets.update(found)
            secrets.update(by_value)
    return entry


class Unexportable(ValueError):
    """A live task export cannot write as a configuration validate accepts."""


#: A start date this close to the task's creation is the portal's own "now" (it fills one in
#: when none is sent); left out, the start date is unmanaged, so the round trip stays empty.
_FILLED_IN_MS = 60_000


def _filled_in(start: int, created: int | None) -> bool:
    return created is not None and abs(start - created) <= _FILLED_IN_MS


def _without_defaults(task_type: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters equal to what the portal fills in for the type are left out: a configuration
    without them plans equal (the normaliser puts the defaults in on both sides)."""
    defaults = tasktypes.get(task_type).defaults
    return {k: v for k, v in params.items() if k not in defaults or defaults[k] != v}


def duplicates(tasks: Sequence[LiveTask]) -> list[tuple[str, str]]:
    """(owner, title) pairs held by more than one live task: the planner cannot tell them
    apart, so the user has to rename or delete one."""
    seen: dict[tuple[str, str], int] = {}
    for task in tasks:
        seen[task.key] = seen.get(task.key, 0) + 1
    return sorted(key for key, count in seen.items() if count > 1)


def export_yaml(
    live: Mapping[str, Sequence[LiveTask]],
    *,
    default_owner: str | None = None,
    secrets: dict[str, str] | None = None,
    clean: Callable[[Any], Any] | None = None,
    skipped: list[str] | None = None,
    keep_defaults: bool = False,
) -> str:
    """The YAML text of a config declaring every given live task. ``secrets``, if given,
    receives the names of the ``${secret:NAME}`` references written in place of values.
    ``clean`` may rewrite the document's strings before it is written (the CLI passes
    ``redact.scrub_data``). A task it cannot write so that validate accepts it (a Quartz
    calendar schedule such as ``5C``) raises :class:`Unexportable`, or, with ``skipped``, is
    left out and described there. ``keep_defaults`` writes values equal to the portal's own
    defaults too (:data:`MAX_OCCURRENCES_DEFAULTS`, the task type's parameter defaults)."""
    tasks = [t for owner in sorted(live) for t in sorted(live[owner], key=_order)]
    document: dict[str, Any] = {"version": 1}
    if default_owner:
        document["owner"] = default_owner
    found: dict[str, str] = {}
    entries = []
    for task in tasks:
        mine: dict[str, str] = {}
        try:
            entries.append(
                task_entry(
                    task, default_owner=default_owner, secrets=mine, keep_defaults=keep_defaults
                )
            )
        except Unexportable as exc:
            if skipped is None:
                raise
            skipped.append(f"{task.owner}/{task.title} ({task.id}): {exc}")
            continue
        found.update({f"{task.owner}/{task.title}: {path}": name for path, name in mine.items()})
    document["tasks"] = entries
    if secrets is not None:
        secrets.update(found)
    body = yaml.dump(
        clean(document) if clean is not None else document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return HEADER + body


def _order(task: LiveTask) -> tuple[str, int, str]:
    return (task.title, task.created or 0, task.id)
