"""``RunDataPipeline``: runs a Data Pipelines item (listed by Esri's client, arcgis 2.4.4
``gis/tasks/_schedule.py``; its ``datapipelines`` module checks ``item.type == "Data Pipeline"``).
The parameters are not documented, so none are checked."""

from __future__ import annotations

from taskform.tasktypes.base import TaskType

TYPE = TaskType(
    name="RunDataPipeline",
    summary="runs a data pipeline",
    item_types=("Data Pipeline",),
)
