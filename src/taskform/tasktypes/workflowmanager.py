"""``ExecuteWorkflowManager``: Workflow Manager recurring jobs (docs/design.md §A6).

The item is the Workflow Manager's workflow item (portal item type ``Workflow``); the docs
describe no parameters, so none are checked.
"""

from __future__ import annotations

from taskform.tasktypes.base import TaskType

TYPE = TaskType(
    name="ExecuteWorkflowManager",
    summary="runs Workflow Manager recurring jobs",
    item_types=("Workflow",),
)
