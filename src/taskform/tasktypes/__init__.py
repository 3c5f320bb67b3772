"""The portal's task types: one module each, and the registry that lists them.

Each module defines ``TYPE``, a :class:`~taskform.tasktypes.base.TaskType` saying whether the
type needs an item and which item types fit, whether it has a ``task_url``, how its parameters
are checked, which defaults the portal fills in and how parameters are encoded and decoded.
To add a task type: write its module and add it to :data:`_MODULES` (and to the ``type`` enum of
``schemas/config.schema.json``; ``tests/tasktypes/test_registry.py`` checks both agree).
"""

from __future__ import annotations

from collections.abc import Mapping

from taskform.tasktypes import (
    datapipeline,
    gpservice,
    insights,
    notebook,
    report,
    scenecook,
    workflowmanager,
)
from taskform.tasktypes.base import TaskType

__all__ = ["NAMES", "REGISTRY", "RUNNABLE", "TaskType", "get"]

_MODULES = (notebook, insights, scenecook, workflowmanager, report, gpservice, datapipeline)

#: Every task type by its portal name, in the order messages and the schema list them.
REGISTRY: Mapping[str, TaskType] = {module.TYPE.name: module.TYPE for module in _MODULES}

#: The portal's task type names (case-sensitive, as the REST API spells them).
NAMES: tuple[str, ...] = tuple(REGISTRY)

#: The types ``taskform run`` can start now (:attr:`TaskType.runnable`), in registry order.
RUNNABLE: tuple[str, ...] = tuple(name for name, kind in REGISTRY.items() if kind.runnable)

#: Rules for a type taskform does not know (a live task made by a newer portal): no item
#: requirement, parameters passed through as they are.
UNKNOWN = TaskType(name="", summary="a task type taskform does not know", needs_item=False)


def get(name: object) -> TaskType:
    """The rules of task type ``name``, or :data:`UNKNOWN` (also for a name that is not text,
    as a hand-written configuration may hold)."""
    return REGISTRY.get(name, UNKNOWN) if isinstance(name, str) else UNKNOWN
