"""The portal side: a REST client for ArcGIS scheduled tasks (``PortalClient``) and its codec.

The names below load on first use (PEP 562), so importing one submodule (``portal.retry``)
does not load requests: ``taskform validate`` never needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from taskform.portal.client import PortalClient
    from taskform.portal.resources.codec import run_from_json, task_form, task_from_json
    from taskform.portal.transport.retry import RetryPolicy

__all__ = ["PortalClient", "RetryPolicy", "run_from_json", "task_form", "task_from_json"]

_WHERE = {
    "PortalClient": "client",
    "RetryPolicy": "transport.retry",
    "run_from_json": "resources.codec",
    "task_form": "resources.codec",
    "task_from_json": "resources.codec",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
