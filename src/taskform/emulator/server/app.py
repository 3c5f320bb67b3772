"""The emulator's WSGI application: routing, authentication, faults, statistics, encoding.

``/sharing/rest/...``   the Sharing API (handlers in sharing.py), portal JSON conventions:
                        errors are HTTP 200 bodies ``{"error": {...}}``, ``f=json``/``pjson``
                        select JSON, anything else gets an HTML page (as the portal's default
                        ``f=html`` does).
``/__emulator/...``     control endpoints for tests (control.py), plain JSON with real HTTP
                        status codes, no auth, never counted in stats, never faulted.
``.../GPServer/<task>`` GP task descriptions as ArcGIS Server serves them, registered with
                        ``POST /__emulator/gp`` (gpserver.py); their ``submitJob`` and
                        ``jobs/<id>`` (gp/jobs.py).
``/notebookserver/...`` the Notebook Server admin API: executeNotebook and its jobs
                        (notebook/server.py).

Before anything else every request lets the scheduler (jobs/scheduler.py) record the runs
that are due on the emulator clock; that costs a version check when nothing is due.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import time
from collections.abc import Iterable, Mapping
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from ..gp import jobs as gp_jobs
from ..gp.server import CONTROL_PATH, GPServer, is_task_path
from ..items import CONTROL_PATH as ITEMS_CONTROL_PATH
from ..items import Items
from ..jobs import control as jobs_control
from ..jobs.board import JobBoard
from ..jobs.scheduler import Scheduler
from ..notebook import server as notebook
from ..oauth import OAuth
from ..sharing import auth
from ..sharing.handlers import Ctx, SharingApi
from ..sharing.limits import Limits
from .control import Control
from .errors import PortalError, encode
from .faults import Faults, Stats
from .quirks import Quirks
from .store import Store

log = logging.getLogger("taskform.emulator")

_TASK = "/community/users/<user>/tasks/<task_id>"
_RUN = _TASK + "/runs/<run_id>"
SHARING_ROUTES = {
    "": "root",
    "/info": "info",
    "/generateToken": "generate_token",
    "/portals/self": "portal_self",
    "/portals/self/allScheduledTasks": "all_tasks",
    "/portals/<portal_id>": "portal_by_id",
    "/portals/<portal_id>/allScheduledTasks": "all_tasks_by_id",
    "/portals/self/servers": "servers",
    "/portals/self/users": "org_users",
    "/portals/<portal_id>/users": "org_users_by_id",
    "/portals/<portal_id>/servers": "servers_by_id",
    "/community/self": "community_self",
    "/community/users/<user>": "user",
    "/community/users/<user>/tasks": "list_tasks",
    "/community/users/<user>/tasks/createTask": "create_task",
    _TASK: "get_task",
    _TASK + "/update": "update_task",
    _TASK + "/enable": "enable_task",
    _TASK + "/disable": "disable_task",
    _TASK + "/delete": "delete_task",
    _TASK + "/runs": "runs",
    _RUN: "run",
    _RUN + "/update": "update_run",
    _RUN + "/delete": "delete_run",
    "/content/items/<item_id>": "item",
    "/search": "search",
    "/content/users/<user>/items/<item_id>/reassign": "reassign_item",
}
WRITE_ENDPOINTS = frozenset(
    {"create_task", "update_task", "enable_task", "disable_task", "delete_task"}
    | {"update_run", "delete_run", "reassign_item"}
)
POST_ONLY = WRITE_ENDPOINTS | {"generate_token"}
SHARING_PREFIX = "/sharing/rest"
ADMIN_LIMITS_PATH = "/portaladmin/system/limits"
OAUTH_PREFIX = SHARING_PREFIX + "/oauth2/"
OAUTH_ENDPOINTS = frozenset({"authorize", "signin", "token", "revokeToken"})
_MAP = Map(
    [Rule(SHARING_PREFIX + path or "/", endpoint=name) for path, name in SHARING_ROUTES.items()]
)
_TEMPLATES = {
    name: (re.sub(r"<(\w+)>", r"{\1}", path).lstrip("/") or "/")
    for path, name in SHARING_ROUTES.items()
}


class EmulatorApp:
    """The WSGI callable. Shared state: one Store (with its lock), Faults and Stats."""

    def __init__(
        self,
        store: Store,
        accounts: auth.Accounts,
        faults: Faults,
        active_task_limit: int | Limits,
        quirks: Quirks | None = None,
        items: Items | None = None,
        oauth: OAuth | None = None,
    ) -> None:
        self.store = store
        self.accounts = accounts
        self.faults = faults
        self.stats = Stats()
        self.items = items or Items()
        self.oauth = oauth or OAuth(store, accounts)
        self.api = SharingApi(store, accounts, active_task_limit, quirks, self.items)
        self.control = Control(store, faults, self.stats)
        self.gp = GPServer(store, accounts, faults)
        self.board = JobBoard()
        self.scheduler = Scheduler(store, self.board)
        self.api.servers = lambda: (self.board.notebook_server, self.board.federated)
        self.notebook = notebook.NotebookServer(store, accounts, faults, self.board)
        self.gp_jobs = gp_jobs.GPJobs(store, accounts, faults, self.board, self.gp)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        path = re.sub(r"/{2,}", "/", request.path).rstrip("/") or "/"
        self.scheduler.tick(request.host_url.rstrip("/"))
        if path == CONTROL_PATH:
            response = self.gp.control(request)
        elif path == ITEMS_CONTROL_PATH:
            response = self.items.control(request)
        elif path.startswith(OAUTH_PREFIX) and path[len(OAUTH_PREFIX) :] in OAUTH_ENDPOINTS:
            response = self.oauth.handle(request, path[len(OAUTH_PREFIX) :])
        elif path == ADMIN_LIMITS_PATH:
            response = self._admin_limits(request)
        elif path in jobs_control.PATHS:
            response = jobs_control.dispatch(request, path, self.board, self.store)
        elif path == "/__emulator/reset" and request.method == "POST":
            self.board.clear()
            response = self.control.dispatch(request, path)
        elif path.startswith("/__emulator"):
            response = self.control.dispatch(request, path)
        elif path == SHARING_PREFIX or path.startswith(SHARING_PREFIX + "/"):
            response = self._sharing(request, path, environ)
        elif is_task_path(path):
            response = self.gp.describe(request, path)
        elif gp_jobs.is_path(path):
            response = self.gp_jobs.dispatch(request, path)
        elif notebook.is_path(path):
            response = self.notebook.dispatch(request, path)
        else:
            response = Response("Not found. The portal lives under /sharing/rest\n", status=404)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    # -- /sharing/rest ---------------------------------------------------------------------------

    def _sharing(self, request: Request, path: str, environ: dict[str, Any]) -> Response:
        adapter = _MAP.bind("emulator")
        try:
            endpoint, args = adapter.match(path, method="GET")
        except (NotFound, MethodNotAllowed):
            endpoint, args = "", {}
        method = request.method
        is_write = method == "POST" and endpoint in WRITE_ENDPOINTS
        route = _TEMPLATES.get(endpoint, "(unknown)")
        self.stats.count(f"{method} {route}", write=is_write)
        if endpoint != "generate_token":
            latency, unavailable, limited = self.faults.draw_request()
            if latency:
                time.sleep(latency)
            if unavailable:
                return _plain_status(503, "Service Unavailable")
            if limited:
                response = _plain_status(429, "Too Many Requests")
                response.headers["Retry-After"] = "1"
                return response
        ctx = Ctx(values=request.values, base_url=request.host_url.rstrip("/"))
        try:
            body = self._handle(request, ctx, endpoint, args)
        except PortalError as exc:
            body = exc.envelope()
        except Exception:  # a bug: answer like the portal does, and say so on stderr
            log.exception("internal error handling %s %s", method, route)
            body = PortalError(500, "Internal server error.").envelope()
        if ctx.committed:
            self.stats.count_commit()
            if self.faults.draw_drop():
                _drop_connection(environ)
        return encode(body, request.values.get("f") or "")

    def _admin_limits(self, request: Request) -> Response:
        """The portal admin API's limits resource (another root than /sharing/rest; its
        errors use the same envelope here, which is what taskform reads)."""
        ctx = Ctx(values=request.values, base_url=request.host_url.rstrip("/"))
        try:
            token = auth.bearer(request.headers, request.values)
            if token is not None:
                ctx.account = auth.resolve(self.store, self.accounts, token, 0)
            body = self.api.do_admin_limits(ctx)
        except PortalError as exc:
            body = exc.envelope()
        return encode(body, request.values.get("f") or "")

    def _handle(
        self, request: Request, ctx: Ctx, endpoint: str, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        if not endpoint:
            raise PortalError(400, "Invalid URL", ["Invalid URL"])
        if request.method not in ("GET", "POST") or (
            endpoint in POST_ONLY and request.method != "POST"
        ):
            raise PortalError(
                405, "Method not supported.", [f"Use HTTP POST for this operation ({endpoint})."]
            )
        if endpoint != "generate_token":
            token = auth.bearer(request.headers, request.values)
            if token is not None:
                ttl = int(self.faults.settings()["token_ttl_requests"])
                ctx.account = auth.resolve(self.store, self.accounts, token, ttl)
        return self.api.handler(endpoint)(ctx, **args)


def _plain_status(code: int, reason: str) -> Response:
    """What a web adaptor or gateway sends: an HTML page, not a portal JSON envelope."""
    page = f"<html><head><title>{code} {reason}</title></head><body><h1>{reason}</h1></body></html>"
    return Response(page, status=code, mimetype="text/html")


def _drop_connection(environ: dict[str, Any]) -> None:
    """Close the client connection without a response (the change is already on disk).

    werkzeug hands the connection to the app as ``werkzeug.socket``; once it is shut down,
    the attempt to write the response fails with a broken pipe, which the request handler
    (:mod:`.handler`, or werkzeug's) treats as a connection the client dropped, so nothing at
    all reaches the client, and the connection is not kept.
    """
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
