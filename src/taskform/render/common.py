"""Formatting pieces shared by the plan renderers (text, Markdown, JSON).

Pure functions, no I/O. The public entry points live in :mod:`taskform.render`.

Conventions every renderer follows:

- changes are listed sorted by ``(owner, title)`` (then create, update, delete);
- values are shown JSON-style (strings quoted, ``null``, ``true``/``false``, mappings as
  one-line JSON) and never truncated;
- anything not printable (control characters, terminal escape sequences, line breaks inside a
  title) is shown escaped, so a task title can neither fake extra lines nor drive the terminal;
- secret fields arrive already masked; their masks are shown as they are, unquoted.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

from taskform.changes import Action, Change, FieldChange, Plan
from taskform.epoch import epoch_ms, moment
from taskform.render import escape

#: Order of the actions wherever they are listed (legend, ties in sorting).
ACTION_ORDER: tuple[Action, ...] = (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE)

#: The line shown instead of the counts when the plan has no changes.
NO_CHANGES = "No changes. The portal matches the configuration."

#: Fields whose change moves the next runs (they are shown for creates, enables and these).
SCHEDULE_FIELDS: frozenset[str] = frozenset({"schedule", "start_date", "end_date"})

#: Shown for a secret whose (masked) before and after look the same.
SECRET_CHANGED = "(secret value changed)"

#: The one escaping helper's functions, as the plan views call them.
printable = escape.text
one_line = escape.one_line


def format_summary(plan: Plan) -> str:
    """The one-line summary: ``Plan: 1 to create, 1 to update, 0 to delete, 7 unchanged.``,
    or ``No changes. The portal matches the configuration.`` when there is nothing to do."""
    if plan.empty and not plan.blocked:
        return NO_CHANGES
    counts = plan.summary
    replace = f"{counts['replace']} to replace, " if counts.get("replace") else ""
    blocked = f", {counts['blocked']} blocked" if counts.get("blocked") else ""
    return (
        f"Plan: {counts['create']} to create, {counts['update']} to update, {replace}"
        f"{counts['delete']} to delete, {counts['unchanged']} unchanged{blocked}."
    )


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types: mappings become dicts, sequences lists, enums their value,
    datetimes ISO 8601 strings; anything else unknown becomes its ``str``."""
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {_key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [jsonable(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _key(key: Any) -> str:
    """A mapping key as :func:`json.dumps` would write it (``1``, ``true``, ``null``)."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)
    return str(key)


def value_repr(value: Any) -> str:
    """One value, JSON-style on one line: ``"text"``, ``null``, ``true``, ``{"region": "west"}``."""
    return printable(json.dumps(jsonable(value), ensure_ascii=False))


def secret_repr(value: Any) -> str:
    """A masked secret value: the mask as it is (unquoted), ``null`` when unset."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return printable(value)
    return value_repr(value)


def field_value(fc: FieldChange, value: Any) -> str:
    return secret_repr(value) if fc.secret else value_repr(value)


def secret_unchanged_looking(fc: FieldChange) -> bool:
    """A secret whose masks are equal: showing ``mask -> mask`` would say nothing."""
    return fc.secret and fc.before is not None and fc.before == fc.after


def task_label(owner: str, title: str) -> str:
    """``owner/title``, escaped for display."""
    return printable(f"{owner}/{title}")


def change_label(change: Change) -> str:
    """``owner/title``, plus ``(task id)`` for updates and deletes."""
    label = task_label(change.owner, change.title)
    if change.action is not Action.CREATE and change.task_id:
        label += f" ({printable(change.task_id)})"
    return label


def sorted_changes(plan: Plan) -> list[Change]:
    return sorted(plan.changes, key=lambda c: (c.owner, c.title, ACTION_ORDER.index(c.action)))


def actions_used(changes: list[Change]) -> list[Action]:
    present = {c.action for c in changes}
    return [a for a in ACTION_ORDER if a in present]


def shows_next_runs(change: Change) -> bool:
    """Next runs are shown for creates, for changes that move the schedule and for enables;
    never for a task that ends up inactive (it will not run)."""
    if not change.next_runs or change.action is Action.DELETE:
        return False
    active = change.fields.get("active")
    if active is not None and active.after is False:
        return False
    if change.action is Action.CREATE or active is not None:
        return True
    return bool(SCHEDULE_FIELDS & set(change.fields))


def human_utc(epoch_ms: int) -> str:
    """``2026-12-01 02:00 UTC`` (seconds only when there are some)."""
    when = moment(epoch_ms)
    return when.strftime("%Y-%m-%d %H:%M:%S UTC" if when.second else "%Y-%m-%d %H:%M UTC")


def human_iso(text: str | None) -> str | None:
    """An ISO 8601 time (as plan files and JSON views hold them) in the human form of
    :func:`human_utc`; text that is not such a time is returned as it is."""
    if not text:
        return text
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return text
    if when.tzinfo is None:
        return text
    return human_utc(epoch_ms(when))


def next_runs_text(change: Change) -> str:
    return ", ".join(human_utc(ms) for ms in change.next_runs)
