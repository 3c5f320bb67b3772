"""``ExecuteReport``: an organisation report (docs/design.md §A6).

The one type whose ``itemId`` is optional; ``parameters`` are required, but their keys are not
documented, so only their presence is checked. Which item types fit is not documented either,
so items are not checked by type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from taskform.tasktypes.base import ParameterChecks, TaskType


def check(task: Mapping[str, Any], checks: ParameterChecks) -> None:
    if "parameters" not in task:
        message = "missing 'parameters': an ExecuteReport task needs them"
        checks.add((), message, "add the report's parameters mapping")


TYPE = TaskType(name="ExecuteReport", summary="runs a report", needs_item=False, check=check)
