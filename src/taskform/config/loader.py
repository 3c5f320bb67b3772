"""Load, check and resolve the configuration: YAML files in, :class:`Config` out.

Every problem in every file is collected into one :class:`~taskform.errors.ConfigError` whose
problems carry file and line; nothing here touches the network. Per file: read the YAML with
positions (:mod:`.yamlpos`), decode JSON-string ``notebookParameters``, replace
``${env:}``/``${secret:}`` (:mod:`.interpolate`), validate against the JSON Schema
(:mod:`taskform.schemas`), then check what a schema cannot (schedules, dates, per-type rules).
Across files: ``portal`` must agree and (owner, title) must be unique. ``prune`` is per file:
it applies to the owners of the file that sets it (:attr:`Config.prune_owners`).
"""

from __future__ import annotations

import math
import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from taskform import tasktypes
from taskform.config.dates import DateError, parse_instant
from taskform.config.files import find_files, read_file
from taskform.config.interpolate import describe, interpolate
from taskform.config.jsontext import JsonTextError, decode_object
from taskform.config.model import Config, duplicates
from taskform.config.yamlpos import Document, YamlError, YamlPath
from taskform.errors import ConfigError, Problem, ScheduleError
from taskform.model import (
    LIFECYCLE_CHOICES,
    LIFECYCLE_DEFAULTS,
    AbsentTask,
    Declared,
    DesiredTask,
    Position,
)
from taskform.schedule.zones import compile_schedule, is_utc, load_zone
from taskform.schemas import explain, fast, label, load_schema, suggest, validator

TOP_KEYS: tuple[str, ...] = tuple(load_schema()["properties"])
TASK_KEYS: tuple[str, ...] = tuple(load_schema()["$defs"]["task"]["properties"])
ABSENT_KEYS = ("title", "owner", "absent", "description")

__all__ = ["ABSENT_KEYS", "TASK_KEYS", "TOP_KEYS", "Config", "load_config"]


def load_config(
    path: str | os.PathLike[str],
    *,
    env: Mapping[str, str] | None = None,
    resolve: bool = True,
    now: datetime | None = None,
) -> Config:
    """Read the configuration at ``path``: a YAML file, or a directory whose ``*.yaml`` and
    ``*.yml`` files (recursively, sorted, hidden ones skipped) are merged.

    ``env`` (default ``os.environ``) resolves ``${env:NAME}`` and ``${secret:NAME}``. With
    ``resolve=False`` (offline ``validate``) references are checked for form and placement
    only, and the checks that depend on their values are left to ``plan``; the returned tasks
    then hold the references' text. ``now`` (default: the clock) picks the UTC offset that
    schedules with a ``timezone`` compile with. Raises :class:`ConfigError` listing every
    problem found in every file.
    """
    loader = _Loader(
        os.environ if env is None else env,
        resolve=resolve,
        now=now or datetime.now(timezone.utc),
    )
    names = loader.discover(os.fspath(path))
    for index, name in enumerate(names):
        loader.load(index, name)
    loader.check_across_files()
    if loader.problems:
        ordered = sorted(loader.problems, key=lambda p: (p[0], p[1].line or 0))
        raise ConfigError(problem for _, problem in ordered)
    return loader.config(names)


@dataclass
class _File:
    """One configuration file while it is being checked."""

    index: int
    name: str
    doc: Document
    data: dict[str, Any] = field(default_factory=dict)
    templates: dict[YamlPath, str] = field(default_factory=dict)  # path -> text before ${}
    secrets: dict[int, set[str]] = field(default_factory=dict)  # task index -> param paths
    bad: set[YamlPath] = field(default_factory=set)  # paths the schema complained about
    failed: set[YamlPath] = field(default_factory=set)  # values that could not be resolved
    deferred: set[YamlPath] = field(default_factory=set)  # values left unresolved (offline)
    tasks: list[Declared] = field(default_factory=list)  # the valid ones
    identities: list[AbsentTask] = field(default_factory=list)  # every titled one, as identity
    unresolved: int = 0  # valid ones whose schedule is left unresolved (offline)

    def show(self, value: Any, path: YamlPath) -> str:
        """How to name a value in a message; never a value that came from the environment."""
        if path in self.templates:
            return describe(self.templates[path])
        if isinstance(value, bool):
            return "true" if value else "false"
        if value is None:
            return "nothing"
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, str):
            text = value if len(value) <= 60 else value[:57] + "..."
            return "'" + text.replace("\n", "\\n") + "'"
        return "a mapping" if isinstance(value, dict) else "a list"


class _Loader:
    """The problems and results of one :func:`load_config` call."""

    def __init__(self, env: Mapping[str, str], *, resolve: bool = True, now: datetime) -> None:
        self.env = env
        self.resolve = resolve
        self.now = now
        self.problems: list[tuple[int, Problem]] = []
        self.files: list[_File] = []

    def add(self, file: _File, path: YamlPath, message: str, hint: str = "") -> None:
        line = file.doc.line(path)
        self.problems.append((file.index, Problem(file.name, line, message, hint)))

    # -- which files ---------------------------------------------------------------------

    def discover(self, given: str) -> list[str]:
        names, issues = find_files(given)
        for name, issue in issues:
            self.problems.append((-1, Problem(name, issue.line, issue.message, issue.hint)))
        return names

    # -- one file ------------------------------------------------------------------------

    def load(self, index: int, name: str) -> None:
        try:
            doc = read_file(name)
        except YamlError as exc:
            for issue in exc.issues:
                self.problems.append((index, Problem(name, issue.line, issue.message, issue.hint)))
            return
        file = _File(index, name, doc)
        if isinstance(doc.data, dict):
            self._decode_json_parameters(file, doc.data)
            file.data = self._interpolate(file, doc.data, ())
            self.files.append(file)
        checked = file.data or doc.data
        for error in () if fast.valid(checked) else validator().iter_errors(checked):
            for found in explain(error, file.show):
                if found.path in file.deferred and error.validator != "type":
                    continue  # depends on a value plan will resolve; a string stays a string
                file.bad.add(found.path)
                if found.path not in file.failed:  # already reported, as unresolvable
                    self.add(file, found.path, found.message, found.hint)
        tasks = file.data.get("tasks")
        for i, task in enumerate(tasks if isinstance(tasks, list) else []):
            if isinstance(task, dict):
                _TaskChecker(self, file, i, task).check()

    def _decode_json_parameters(self, file: _File, data: dict[str, Any]) -> None:
        """Replace a JSON-text parameter (``notebookParameters``, per task type) by the
        mapping it encodes."""
        tasks = data.get("tasks")
        for i, task in enumerate(tasks if isinstance(tasks, list) else []):
            if not isinstance(task, dict):
                continue
            params = task.get("parameters")
            if not isinstance(params, dict):
                continue
            for key in tasktypes.get(task.get("type")).json_parameters:
                if isinstance(params.get(key), str):
                    self._decode_json_parameter(file, ("tasks", i, "parameters", key), params)

    def _decode_json_parameter(self, file: _File, path: YamlPath, params: dict[str, Any]) -> None:
        key = str(path[-1])
        try:
            params[key] = decode_object(params[key])
        except JsonTextError as exc:
            file.failed.add(path)  # reported here, not again by the schema
            hint = f"write it as a YAML mapping instead, e.g. {key}: {{region: west}}"
            self.add(file, path, f"parameters.{key} {exc.what}", hint)

    def _interpolate(self, file: _File, value: Any, path: YamlPath) -> Any:
        """``value`` with every reference replaced; problems are recorded, not raised."""
        unknown_top = len(path) == 1 and path[0] not in TOP_KEYS
        unknown_task = len(path) == 3 and path[0] == "tasks" and path[2] not in TASK_KEYS
        if unknown_top or unknown_task:
            return value  # reported as an unknown key: what it holds does not matter
        if isinstance(value, dict):
            return {k: self._interpolate(file, v, (*path, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._interpolate(file, v, (*path, i)) for i, v in enumerate(value)]
        if isinstance(value, float) and not math.isfinite(value):
            shown = ".nan" if math.isnan(value) else ".inf" if value > 0 else "-.inf"
            self.add(file, path, f"{label(path)}: {shown} is not a finite number", "use a number")
        if not isinstance(value, str) or "${" not in value:
            return value
        in_parameters = len(path) > 3 and path[0] == "tasks" and path[2] == "parameters"
        result = interpolate(value, self.env, secrets_allowed=in_parameters, resolve=self.resolve)
        if result.deferred:
            file.deferred.add(path)
        for failure in result.failures:
            self.add(file, path, f"{label(path)}: {failure.message}", failure.hint)
        if result.failures:
            file.failed.add(path)
        if result.env or result.secrets or result.failures:
            file.templates[path] = value
        if result.secrets:
            task = path[1]
            assert isinstance(task, int)
            file.secrets.setdefault(task, set()).add(".".join(str(p) for p in path[3:]))
        return result.value

    # -- all files -----------------------------------------------------------------------

    def check_across_files(self) -> None:
        first: dict[str, tuple[_File, Any]] = {}
        for file in self.files:
            for key, kind in (("portal", str),):
                value = file.data.get(key)
                if not isinstance(value, kind) or (key,) in file.bad:
                    continue
                value = value.rstrip("/") if isinstance(value, str) else value
                if key not in first:
                    first[key] = (file, value)
                    continue
                other, other_value = first[key]
                if value != other_value:
                    shown = file.show(file.data[key], (key,))
                    other_shown = other.show(other.data[key], (key,))
                    where = f"{other.name}:{other.doc.line((key,))}"
                    message = f"{key} {shown} differs from {other_shown} in {where}"
                    self.add(file, (key,), message, f"{key} must be the same in every file")
        index = {file.name: file.index for file in self.files}
        tasks = [task for file in self.files for task in file.identities]
        for name, problem in duplicates(tasks):
            self.problems.append((index.get(name, -1), problem))

    def config(self, names: list[str]) -> Config:
        portal = next((f.data["portal"] for f in self.files if "portal" in f.data), None)
        owners = {f.data.get("owner") for f in self.files}
        named = (f.data.get("owner") for f in self.files)
        pruning = [f for f in self.files if f.data.get("prune") is True]
        return Config(
            portal=portal.rstrip("/") if isinstance(portal, str) else None,
            owner=owners.pop() if len(owners) == 1 else None,
            prune=bool(pruning),
            tasks=tuple(task for file in self.files for task in file.tasks),
            files=tuple(names),
            file_owners=tuple(dict.fromkeys(o for o in named if isinstance(o, str) and o)),
            prune_owners=tuple(dict.fromkeys(o for f in pruning for o in _file_owners(f))),
            compiled_at=self.now,
            unresolved=sum(file.unresolved for file in self.files),
        )


def _file_owners(file: _File) -> list[str]:
    """The owners one file manages (``""``: the signed-in user): its top-level ``owner`` and
    every owner its tasks name; a file that declares nothing and names no owner manages the
    signed-in user's tasks (``tasks: []`` with ``prune: true`` means "none of mine")."""
    owner = file.data.get("owner")
    owners = [owner] if isinstance(owner, str) and owner else []
    owners += [t.owner for t in file.identities]
    if not owners:
        owners.append("")
    return list(dict.fromkeys(owners))


class _TaskChecker:
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
        desired = DesiredTask(
            owner=owner,
            title=title,
            type=kind,
            item_id=item_id.lower() if isinstance(item_id, str) else None,
            schedule=schedule if isinstance(schedule, str) else None,
            cron=cron,
            timezone=None if is_utc(zone) else zone,
            max_occurrences=int(max_occ) if isinstance(max_occ, (int, float)) else None,
            active=task.get("active", True) is not False,
            start_date=start,
            end_date=end,
            parameters=dict(params) if isinstance(params, dict) else {},
            task_url=url if isinstance(url, str) else None,
            secrets=frozenset(self.file.secrets.get(self.index, ())),
            lifecycle=lifecycle,
            position=position,
            owner_position=owner_position,
            renamed_from=renamed if isinstance(renamed, str) else None,
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
