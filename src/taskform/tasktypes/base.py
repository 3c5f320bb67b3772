"""What every task type module says about its portal task type: :class:`TaskType`.

One value per portal task type (``ExecuteNotebook``, ``GPService``, ...), in one module each
(:mod:`taskform.tasktypes` lists them). The configuration loader asks it which fields a task
needs and how its parameters are checked; the normaliser asks it which defaults the portal fills
in; the portal codec asks it how parameters are encoded for the portal and decoded from it; and
item checks ask which item types fit. Pure: no I/O.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

#: A location inside one task of the configuration: ``("parameters", "layer")``.
TaskPath = tuple[str | int, ...]


class ParameterChecks(Protocol):
    """What a task type's parameter check reports to (the configuration loader, per task).

    Paths are relative to the task; every problem gets the file and line of its path.
    """

    def add(self, keys: TaskPath, message: str, hint: str = "") -> None:
        """Report a problem at ``keys``."""
        ...

    def wrong(self, keys: TaskPath, value: Any, expected: str) -> None:
        """Report that the value at ``keys`` is not ``expected`` (e.g. "true or false")."""
        ...

    def show(self, keys: TaskPath, value: Any) -> str:
        """``value`` as it may appear in a message (secrets and environment values hidden)."""
        ...

    def missing(self, key: str) -> bool:
        """Whether the task lacks ``key`` (and did not misspell it: that is reported apart)."""
        ...


#: Checks a task's ``parameters`` (and other type-specific fields) as written in the
#: configuration: ``check(task, checks)`` with the task's raw mapping.
Check = Callable[[Mapping[str, Any], ParameterChecks], None]


def no_check(task: Mapping[str, Any], checks: ParameterChecks) -> None:
    """For types whose parameters the portal documents no rules for."""


@dataclass(frozen=True)
class TaskType:
    """One portal task type and its rules.

    - ``name``: the portal's ``type`` value, case-sensitive.
    - ``needs_item``: whether ``item_id`` is required; ``item_types`` the portal item types
      (as the portal names them: ``"Notebook"``, ``"Scene Service"``) the item may have; empty
      means not known, so not checked.
    - ``needs_task_url``: whether the task has a ``task_url`` (GP services); for other types a
      ``task_url`` is an error.
    - ``defaults``: parameters the portal fills in when they are not sent, so a configuration
      that leaves them out equals a live task that has them.
    - ``json_parameters``: parameters the portal stores as JSON text inside ``parameters``
      (``notebookParameters``); they are mappings everywhere in taskform and encoded only on the
      way to the portal.
    - ``check``: the configuration checks of the type's parameters (:data:`Check`).
    - ``runnable``: whether ``taskform run`` can start the task's work now through a public
      API (a notebook's ``executeNotebook``, a GP service's ``submitJob``); other types are
      started only by the portal's scheduler.
    """

    name: str
    summary: str
    needs_item: bool = True
    item_types: tuple[str, ...] = ()
    needs_task_url: bool = False
    defaults: Mapping[str, Any] = field(default_factory=dict)
    json_parameters: tuple[str, ...] = ()
    check: Check = no_check
    runnable: bool = False

    def encode(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        """``parameters`` as the portal stores them (JSON-text parameters as text)."""
        encoded = dict(parameters)
        for key in self.json_parameters:
            value = encoded.get(key)
            if value is not None and not isinstance(value, str):
                encoded[key] = json.dumps(value)
        return encoded

    def decode(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        """``parameters`` as the portal returned them, JSON-text parameters decoded (an empty
        text is an empty mapping; text that is not JSON is kept as it is, so it shows)."""
        decoded = dict(parameters)
        for key in self.json_parameters:
            value = decoded.get(key)
            if isinstance(value, str):
                with contextlib.suppress(ValueError):
                    decoded[key] = json.loads(value) if value.strip() else {}
        return decoded

    def canonical(self, parameters: Mapping[str, Any]) -> dict[str, Any]:
        """The form parameters are compared in: decoded, with the portal's defaults in."""
        result = self.decode(parameters)
        for key, value in self.defaults.items():
            result.setdefault(key, value)
        return result
