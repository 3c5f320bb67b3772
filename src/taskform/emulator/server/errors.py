"""The portal's error envelope, and how a response body is encoded.

The Sharing API answers almost every failure with HTTP 200 and a body
``{"error": {"code": N, "message": "...", "details": [...]}}`` (docs/design.md §A8).
Handlers raise :class:`PortalError`; the WSGI layer turns it into that body.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from werkzeug.wrappers import Response

NO_PERMISSION = "You do not have permissions to access this resource or perform this operation."


class PortalError(Exception):
    """An error the emulator reports in the portal's JSON error envelope."""

    def __init__(self, code: int, message: str, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = list(details)

    def envelope(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


def encode(body: dict[str, Any], f: str) -> Response:
    """``body`` as sent for the request's ``f``: JSON, indented for ``pjson``, else HTML."""
    if f == "json":
        return Response(json.dumps(body), mimetype="application/json")
    if f == "pjson":
        return Response(json.dumps(body, indent=2), mimetype="application/json")
    page = f"<html><body><pre>{html.escape(json.dumps(body, indent=2))}</pre></body></html>"
    return Response(page, mimetype="text/html")


def bad_request(problems: Sequence[str]) -> PortalError:
    """A code-400 error whose message is the first problem and whose details list all of them."""
    return PortalError(400, problems[0], problems)


def token_required() -> PortalError:
    return PortalError(499, "Token Required.")


def invalid_token() -> PortalError:
    return PortalError(498, "Invalid token.")


def forbidden() -> PortalError:
    return PortalError(403, NO_PERMISSION)


def user_not_found(name: str) -> PortalError:
    return PortalError(
        400, "User not found.", [f"User '{name}' does not exist or is inaccessible."]
    )


def task_not_found(task_id: str) -> PortalError:
    return PortalError(
        404, "Task not found.", [f"Task '{task_id}' does not exist or is inaccessible."]
    )


def run_not_found(run_id: str) -> PortalError:
    return PortalError(
        404, "Run not found.", [f"Run '{run_id}' does not exist or is inaccessible."]
    )
