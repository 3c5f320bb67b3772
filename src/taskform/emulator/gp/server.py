"""GP task descriptions, as a federated ArcGIS Server serves them, for GPService tasks.

``GET <anything>/GPServer/<task>?f=json`` answers the description registered for that path.
Descriptions are registered by tests and demos through control endpoints (no auth)::

    POST /__emulator/gp   {"path": "/server/rest/services/Utilities/Trace/GPServer/Trace",
                           "description": {...GP task JSON...}, "secured"?: false}
                          registers (or replaces) it; "description": null removes it
    GET  /__emulator/gp   {"tasks": [{"path", "secured", "reads"}, ...]}

They live in memory only: not in the state file, and ``POST /__emulator/reset`` keeps them.
The description is served as given, valid or not, so clients can be tested against bad ones.

A token is accepted in the same places as on the Sharing API and checked when sent (498 when
unknown or expired); without one the description is served, unless it was registered with
``"secured": true`` (then 499, like a secured service). Errors use ArcGIS Server's envelope
with HTTP 200: an unknown service is 404 ``Service <folder/name>/GPServer not found``; an
unknown task of a known service is 400 ``Unable to complete operation.``. GP requests are not
counted in ``/__emulator/stats`` and not subject to faults.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from ..server.errors import PortalError, encode, token_required
from ..server.faults import Faults
from ..server.store import Store
from ..sharing import auth

CONTROL_PATH = "/__emulator/gp"
_TASK_PATH = re.compile(r"^(?P<service>/.+/GPServer)/(?P<task>[^/]+)$")


def is_task_path(path: str) -> bool:
    """True for ``/<anything>/GPServer/<task>`` (after the app collapsed slashes)."""
    return _TASK_PATH.match(path) is not None


class GPServer:
    """Registered GP task descriptions by normalised path, with how often each was read."""

    def __init__(self, store: Store, accounts: auth.Accounts, faults: Faults) -> None:
        self.store = store
        self.accounts = accounts
        self.faults = faults
        self._lock = threading.Lock()
        self._tasks: dict[str, dict[str, Any]] = {}  # path -> {description, secured, reads}

    # -- GET <anything>/GPServer/<task> ------------------------------------------------------

    def describe(self, request: Request, path: str) -> Response:
        f = request.values.get("f") or ""
        try:
            if request.method not in ("GET", "POST"):
                raise PortalError(405, "Method not supported.")
            token = auth.bearer(request.headers, request.values)
            if token is not None:
                ttl = int(self.faults.settings()["token_ttl_requests"])
                auth.resolve(self.store, self.accounts, token, ttl)
            body = self._lookup(path, authenticated=token is not None)
        except PortalError as exc:
            body = exc.envelope()
        return encode(body, f)

    def _lookup(self, path: str, *, authenticated: bool) -> dict[str, Any]:
        match = _TASK_PATH.match(path)
        service = match.group("service") if match else path
        with self._lock:
            entry = self._tasks.get(path)
            if entry is None:
                if any(p.startswith(service + "/") for p in self._tasks):
                    raise PortalError(400, "Unable to complete operation.")
                name = service.split("/services/", 1)[-1]
                raise PortalError(404, f"Service {name} not found")
            if entry["secured"] and not authenticated:
                raise token_required()
            entry["reads"] += 1
            description: dict[str, Any] = entry["description"]
            return description

    def registered(self, path: str, *, authenticated: bool) -> dict[str, Any]:
        """The description registered for a task path (for its jobs); errors as describe's,
        without counting a read."""
        with self._lock:
            entry = self._tasks.get(path)
            secured = entry is not None and entry["secured"]
        if entry is None or (secured and not authenticated):
            self._lookup(path, authenticated=authenticated)  # raises the right error
        assert entry is not None
        description: dict[str, Any] = entry["description"]
        return description

    # -- /__emulator/gp ----------------------------------------------------------------------

    def control(self, request: Request) -> Response:
        if request.method == "GET":
            with self._lock:
                listed = [
                    {"path": p, "secured": e["secured"], "reads": e["reads"]}
                    for p, e in self._tasks.items()
                ]
            return _json(200, {"tasks": listed})
        if request.method != "POST":
            return _json(405, {"error": f"no control endpoint {request.method} {CONTROL_PATH}"})
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
        except json.JSONDecodeError as exc:
            return _json(400, {"error": f"body is not JSON: {exc.msg}"})
        if not isinstance(body, dict):
            return _json(400, {"error": "body must be a JSON object"})
        path, description, secured = body.get("path"), body.get("description"), body.get("secured")
        if not isinstance(path, str):
            return _json(400, {"error": "path (string) is required"})
        path = re.sub(r"/{2,}", "/", "/" + unquote(path.strip())).rstrip("/")
        if not is_task_path(path):
            return _json(400, {"error": "path must look like /<anything>/GPServer/<task>"})
        if description is not None and not isinstance(description, dict):
            return _json(400, {"error": "description must be a JSON object, or null to remove"})
        if secured is not None and not isinstance(secured, bool):
            return _json(400, {"error": "secured must be true or false"})
        with self._lock:
            if description is None:
                removed = self._tasks.pop(path, None) is not None
                return _json(200, {"path": path, "removed": removed})
            self._tasks[path] = {"description": description, "secured": bool(secured), "reads": 0}
        return _json(200, {"path": path, "secured": bool(secured), "reads": 0})


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
