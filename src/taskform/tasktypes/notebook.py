"""``ExecuteNotebook``: runs an ArcGIS Notebook item.

Parameters (docs/design.md §A6): ``updatePortalItem`` and ``saveInjectedParameters`` (booleans)
and ``notebookParameters``, a mapping of names to values injected into the notebook's
``injected-parameters`` cell, which the portal stores as a JSON string. The portal fills in the
three when they are not sent (see the emulator's FIDELITY.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from taskform.schemas import suggest
from taskform.tasktypes.base import ParameterChecks, TaskType

#: The parameters a notebook task may have, and the Python type of each.
PARAMETERS: Mapping[str, type] = {
    "updatePortalItem": bool,
    "saveInjectedParameters": bool,
    "notebookParameters": dict,
}


def check(task: Mapping[str, Any], checks: ParameterChecks) -> None:
    params = task.get("parameters")
    if not isinstance(params, dict):
        return
    for key, value in params.items():
        expected = PARAMETERS.get(key)
        if expected is None:
            close = suggest(key, list(PARAMETERS))
            hint = f"did you mean '{close}'?" if close else "allowed: " + ", ".join(PARAMETERS)
            checks.add(("parameters", key), f"unknown notebook parameter '{key}'", hint)
        elif not isinstance(value, expected):
            words = "true or false" if expected is bool else "a mapping of names to values"
            checks.wrong(("parameters", key), value, words)


TYPE = TaskType(
    name="ExecuteNotebook",
    summary="runs a notebook",
    item_types=("Notebook",),
    defaults={"updatePortalItem": False, "saveInjectedParameters": False, "notebookParameters": {}},
    json_parameters=("notebookParameters",),
    check=check,
    runnable=True,
)
