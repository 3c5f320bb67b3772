"""taskform: declarative management of ArcGIS portal scheduled tasks.

The Python API (:mod:`taskform.api`) is available from here: ``taskform.load``,
``taskform.plan``, ``taskform.apply``, ``taskform.drift``, ``taskform.Portal``, the
renderers, and the errors to catch (``taskform.TaskformError``, the base of them all;
``taskform.ConfigError``, every problem with file and line; ``taskform.PortalError``). They
are imported on first use, so ``import taskform`` (and ``taskform --version``) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

#: The one place the version is written (pyproject.toml reads it from here).
__version__ = "0.1.0"

_API = ("Portal", "apply", "drift", "load", "plan", "render_json", "render_markdown", "render_text")
_ERRORS = ("ConfigError", "PortalError", "TaskformError")

if TYPE_CHECKING:
    from taskform.api import (
        Portal,
        apply,
        drift,
        load,
        plan,
        render_json,
        render_markdown,
        render_text,
    )
    from taskform.errors import ConfigError, PortalError, TaskformError

__all__ = [
    "ConfigError",
    "Portal",
    "PortalError",
    "TaskformError",
    "__version__",
    "apply",
    "drift",
    "load",
    "plan",
    "render_json",
    "render_markdown",
    "render_text",
]


def __getattr__(name: str) -> Any:
    if name in _API:
        from taskform import api

        return getattr(api, name)
    if name in _ERRORS:
        from taskform import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'taskform' has no attribute {name!r}")
