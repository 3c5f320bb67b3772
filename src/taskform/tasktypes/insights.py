"""``UpdateInsightsWorkbook``: refreshes an ArcGIS Insights workbook (docs/design.md §A6)."""

from __future__ import annotations

from taskform.tasktypes.base import TaskType

TYPE = TaskType(
    name="UpdateInsightsWorkbook",
    summary="refreshes an Insights workbook",
    item_types=("Insights Workbook",),
)
