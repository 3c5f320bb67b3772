"""``ExecuteSceneCook``: cooks (rebuilds the caches of) a scene layer (docs/design.md §A6).

``parameters`` are required: ``service_url`` (the scene service), ``num_of_caching_service_
instances`` (the docs say 2 are required), ``layer`` (``"{}"`` = all layers) and
``update_mode``, one of :data:`UPDATE_MODES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from taskform.schemas import suggest
from taskform.tasktypes.base import ParameterChecks, TaskType

PARAMETERS = ("service_url", "num_of_caching_service_instances", "layer", "update_mode")
UPDATE_MODES = (
    "RECREATE_ALL_NODES",
    "PARTIAL_UPDATE_NODES",
    "PARTIAL_UPDATE_ATTRIBUTES",
)
_HINTS = {
    "service_url": "the URL of the scene service: https://.../SceneServer",
    "num_of_caching_service_instances": "how many caching service instances to use, e.g. 2",
    "layer": "write layer: '{}' to cook all layers",
    "update_mode": "one of " + ", ".join(UPDATE_MODES),
}


def check(task: Mapping[str, Any], checks: ParameterChecks) -> None:
    params = task.get("parameters")
    if not isinstance(params, dict):
        if "parameters" not in task:
            needs = ", ".join(PARAMETERS[:-1]) + " and " + PARAMETERS[-1]
            checks.add((), f"missing 'parameters': an ExecuteSceneCook task needs {needs}")
        return
    for key in PARAMETERS:
        if key not in params:
            message = f"parameters: missing '{key}', which an ExecuteSceneCook task needs"
            checks.add(("parameters",), message, _HINTS[key])
    _check_values(params, checks)


def _check_values(params: Mapping[str, Any], checks: ParameterChecks) -> None:
    url, count = params.get("service_url"), params.get("num_of_caching_service_instances")
    if "service_url" in params and not (
        isinstance(url, str) and url.startswith(("http://", "https://"))
    ):
        checks.wrong(("parameters", "service_url"), url, "the scene service's URL")
    if "num_of_caching_service_instances" in params and (
        not isinstance(count, int) or isinstance(count, bool) or count < 1
    ):
        checks.wrong(
            ("parameters", "num_of_caching_service_instances"),
            count,
            "a whole number of 1 or more",
        )
    if "layer" in params and not isinstance(params["layer"], str):
        checks.wrong(("parameters", "layer"), params["layer"], 'text ("{}" for all layers)')
    mode = params.get("update_mode")
    if "update_mode" in params and mode not in UPDATE_MODES:
        close = suggest(mode, UPDATE_MODES) if isinstance(mode, str) else None
        shown = checks.show(("parameters", "update_mode"), mode)
        modes = ", ".join(UPDATE_MODES)
        message = f"parameters.update_mode must be one of {modes}, got {shown}"
        checks.add(
            ("parameters", "update_mode"), message, f"did you mean '{close}'?" if close else ""
        )


TYPE = TaskType(
    name="ExecuteSceneCook",
    summary="cooks a scene layer",
    item_types=("Scene Service",),
    check=check,
)
