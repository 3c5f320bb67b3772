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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from taskform import tasktypes
from taskform.config.files import find_files, read_file
from taskform.config.interpolate import describe, interpolate
from taskform.config.jsontext import JsonTextError, decode_object
from taskform.config.model import Config, duplicates
from taskform.config.taskcheck import ABSENT_KEYS, TASK_KEYS, TaskChecker
from taskform.config.yamlpos import Document, YamlError, YamlPath
from taskform.errors import ConfigError, Problem
from taskform.model import (
    AbsentTask,
    Declared,
)
from taskform.schemas import explain, fast, label, load_schema, validator

TOP_KEYS: tuple[str, ...] = tuple(load_schema()["properties"])

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


def _untouched(value: Any) -> bool:
    """Whether :meth:`_Loader._interpolate` returns ``value`` unchanged without recording
    anything, wherever it stands: a scalar that is neither text with a reference nor a
    non-finite number."""
    if isinstance(value, str):
        return "${" not in value
    if isinstance(value, float):
        return math.isfinite(value)
    return not isinstance(value, (dict, list))


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
                TaskChecker(self, file, i, task).check()

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
        # A value _untouched() tells apart is returned as it is wherever it stands, so it is
        # not walked into (most values of a large file: the walk's cost was their calls).
        if isinstance(value, dict):
            return {
                k: v if _untouched(v) else self._interpolate(file, v, (*path, k))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [
                v if _untouched(v) else self._interpolate(file, v, (*path, i))
                for i, v in enumerate(value)
            ]
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
