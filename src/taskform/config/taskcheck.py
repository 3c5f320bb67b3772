"""The checks of one task that a JSON Schema cannot express (schedules, dates, time zones,
per-type parameter rules, titles), and the :class:`DesiredTask` or :class:`AbsentTask` it
becomes. Used by :mod:`.loader`, which collects every problem with its file and line."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

from taskform import tasktypes
from taskform.config.dates import DateError, parse_instant
from taskform.config.interpolate import describe
from taskform.config.yamlpos import YamlPath
from taskform.errors import ScheduleError
from taskform.model import (
    LIFECYCLE_CHOICES,
    LIFECYCLE_DEFAULTS,
    AbsentTask,
    DesiredTask,
    Position,
    made,
)
from taskform.schedule.zones import compile_schedule, is_utc, load_zone
from taskform.schemas import label, load_schema, suggest

if TYPE_CHECKING:
    from taskform.config.loader import _File, _Loader

TASK_KEYS: tuple[str, ...] = tuple(load_schema()["$defs"]["task"]["properties"])
ABSENT_KEYS = ("title", "owner", "absent", "description")


class TaskChecker:
    """The checks a schema cannot express, for one task; builds its :class:`DesiredTask`."""

    def __init__(self, loader: _Loader, file: _File, index: int, task: dict[str, Any]) -> None:
        self.loader = loader
        self.file = file
        self.base: YamlPath = ("tasks", index)
        self.index = index
        self.task = task
        self.ok = True
        # A key the user misspelt is reported once, as unknown, not again as missing.
        self.meant = {suggest(key, TASK_KEYS) for key in task if key not in TASK_KEYS}

    def add(self, keys: YamlPath, message: str, hint: str = "") -> None:
        if (*self.base, *keys) in self.file.deferred:
            return  # the value comes from the environment: plan checks it once resolved
        self.ok = False
        if (*self.base, *keys) not in self.file.failed:  # already reported, as unresolvable
            self.loader.add(self.file, (*self.base, *keys), message, hint)

    def missing(self, key: str) -> bool:
        return key not in self.task and key not in self.meant

    def check(self) -> None:
        """Check the task; add it to its file's tasks if it is valid."""
        task = self.task
        title = task.get("title")
        file_owner = self.file.data.get("owner")
        owner = task.get("owner", file_owner if isinstance(file_owner, str) else "")
        position = Position(self.file.name, self.file.doc.line((*self.base, "title")))
        named = (*self.base, "owner") if "owner" in task else ("owner",)
        owner_position = (
            Position(self.file.name, self.file.doc.line(named))
            if "owner" in task or isinstance(file_owner, str)
            else None
        )
        if not isinstance(title, str) or not title.strip() or not isinstance(owner, str):
            return
        identity = AbsentTask(owner=owner, title=title, position=position)
        self.file.identities.append(identity)
        self._check_title(title, "title")
        renamed = task.get("renamed_from")
        if isinstance(renamed, str) and renamed.strip():
            self._check_title(renamed, "renamed_from")
        if task.get("absent") is True:
            for key in task:
                if key in TASK_KEYS and key not in ABSENT_KEYS:
                    hint = "remove it, or remove 'absent: true'"
                    self.add((key,), f"'{key}' does not apply to an absent task", hint)
            if self.ok and not self._bad():
                self.file.tasks.append(identity)
            return
        kind = task.get("type")
        kind = kind if isinstance(kind, str) and kind in tasktypes.REGISTRY else None
        if self.missing("type"):
            self.add((), "missing 'type'", "one of: " + ", ".join(tasktypes.NAMES))
        if self.missing("schedule"):
            self.add((), "missing 'schedule'", 'e.g. schedule: "0 2 * * *", or absent: true')
        if kind and tasktypes.get(kind).needs_item and self.missing("item_id"):
            message = f"missing 'item_id': {_a(kind)} task needs the id of the item it runs"
            self.add((), message, "32 hexadecimal characters, from the item's URL")
        cron, schedule = None, task.get("schedule")
        zone = self._zone()
        if isinstance(schedule, str) and ("schedule",) not in self._bad() and zone != "":
            schedule = schedule.strip()
            try:
                cron = compile_schedule(
                    schedule, owner=owner, title=title, zone=zone, now=self.loader.now
                ).fields
            except ScheduleError as exc:
                message, template = str(exc), self.file.templates.get((*self.base, "schedule"))
                if template is not None:  # name a value from the environment, never show it
                    message = message.replace(f"'{schedule}'", describe(template))
                self.add(("schedule",), message)
        self._check_parameters(kind)
        start = self._date("start_date")
        end = self._date("end_date")
        if start is not None and end is not None and end <= start:
            line = self.file.doc.line((*self.base, "start_date"))
            self.add(
                ("end_date",), "end_date must be after start_date", f"start_date is at line {line}"
            )
        lifecycle = dict(LIFECYCLE_DEFAULTS)
        given = task.get("lifecycle")
        if isinstance(given, dict):
            lifecycle.update((k, v) for k, v in given.items() if v in LIFECYCLE_CHOICES.get(k, ()))
        if not self.ok or kind is None or self._bad():
            return
        if cron is None:  # the schedule comes from the environment, left unresolved offline
            self.file.unresolved += 1
            return
        renamed = task.get("renamed_from")
        item_id, max_occ = task.get("item_id"), task.get("max_occurrences")
        params, url = task.get("parameters"), task.get("task_url")
        # Every field, checked above: made without the frozen __init__ (taskform.model.made).
        desired = made(
            DesiredTask,
            {
                "owner": owner,
                "title": title,
                "type": kind,
                "cron": cron,
                "item_id": item_id.lower() if isinstance(item_id, str) else None,
                "schedule": schedule if isinstance(schedule, str) else None,
                "timezone": None if is_utc(zone) else zone,
                "max_occurrences": int(max_occ) if isinstance(max_occ, (int, float)) else None,
                "active": task.get("active", True) is not False,
                "start_date": start,
                "end_date": end,
                "parameters": dict(params) if isinstance(params, dict) else {},
                "task_url": url if isinstance(url, str) else None,
                "secrets": frozenset(self.file.secrets.get(self.index, ())),
                "lifecycle": lifecycle,
                "position": position,
                "owner_position": owner_position,
                "renamed_from": renamed if isinstance(renamed, str) else None,
            },
        )
        self.file.tasks.append(desired)

    def _zone(self) -> str | None:
        """The task's time zone name (None: UTC); ``""`` after reporting an unknown one."""
        given, path = self.task.get("timezone"), (*self.base, "timezone")
        if given is None:
            given, path = self.file.data.get("timezone"), ("timezone",)
        if not isinstance(given, str) or path in self.file.bad:
            return None
        try:
            load_zone(given)
        except ScheduleError as exc:
            if path == ("timezone",):
                if path not in self.file.failed:
                    self.file.failed.add(path)
                    self.loader.add(self.file, path, str(exc))
                self.ok = False
            else:
                self.add(("timezone",), str(exc))
            return ""
        return given

    def _check_title(self, title: str, key: str) -> None:
        """Refuse titles that look like another but are not: leading or trailing whitespace,
        control characters, zero-width and other invisible (format) characters."""
        if title != title.strip():
            where = "leading" if title[:1].isspace() else "trailing"
            shown = self.show((key,), title) if title.isprintable() else ""
            hint = "remove it: a title that differs only in spaces looks like another task"
            self.add((key,), f"{key} {shown} has {where} whitespace".replace("  ", " "), hint)
        if title.isascii() and title.isprintable():
            return  # printable ASCII has no control, invisible or unassigned character
        for ch in dict.fromkeys(title):
            category = unicodedata.category(ch)
            if category in ("Cc", "Cf", "Zl", "Zp", "Co", "Cn", "Cs"):
                kind = "a control" if category == "Cc" else "an invisible"
                name = unicodedata.name(ch, "")
                shown = f"U+{ord(ch):04X}" + (f" {name}" if name else "")
                self.add((key,), f"{key} has {kind} character ({shown})", "retype it without it")

    def _bad(self) -> set[YamlPath]:
        return {path[2:] for path in self.file.bad if path[:2] == self.base}

    def _check_parameters(self, kind: str | None) -> None:
        """The task type's own checks (:mod:`taskform.tasktypes`); ``task_url`` only where the
        type has one."""
        if kind is None:
            return
        rules = tasktypes.get(kind)
        rules.check(self.task, self)
        if not rules.needs_task_url and "task_url" in self.task:
            self.add(("task_url",), f"task_url does not apply to {kind} tasks", "remove it")

    def show(self, keys: YamlPath, value: Any) -> str:
        return self.file.show(value, (*self.base, *keys))

    def wrong(self, keys: YamlPath, value: Any, expected: str) -> None:
        self.add(
            keys,
            f"{label((*self.base, *keys))}: expected {expected}, got {self.show(keys, value)}",
        )

    def _date(self, key: str) -> int | None:
        """``key``'s value as epoch milliseconds (UTC), or None if absent or bad."""
        value = self.task.get(key)
        if not isinstance(value, str):
            return None
        try:
            return parse_instant(value)
        except DateError as exc:
            self.add((key,), f"{key}: {self.show((key,), value)} {exc.what}", exc.hint)
            return None


def _a(word: str) -> str:
    return ("an " if word[:1] in "AEIOU" else "a ") + word
