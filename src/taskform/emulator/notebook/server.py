"""ArcGIS Notebook Server's admin API, as much as running a notebook now needs.

The emulator is its own notebook server: ``portals/self/servers`` lists it (serverFunction
``NotebookServer``) at ``<emulator>/notebookserver``, as Enterprise lists a federated notebook
server, and Esri's client then addresses ``<adminUrl>/admin``:

=====  ================================================  ===================================
POST   /notebookserver/admin/notebooks/executeNotebook   ``itemId``, ``updatePortalItem``,
                                                         ``saveInjectedParameters``,
                                                         ``notebookParameters`` (JSON text)
                                                         -> ``{"status": "success", "jobId",
                                                         "jobUrl"}``
GET    /notebookserver/admin/system/jobs/<jobId>         the job (seed 001's shape)
GET    /notebookserver/admin/system/jobs/<jobId>/cancel  ``{"status": "success"}`` (POST too)
=====  ================================================  ===================================

A portal token is required (the notebook server trusts the portal's tokens), in the same
places as on the Sharing API. Errors use the admin envelope ``{"status": "error", "messages":
[...], "code": N}``. While a job is ``PROCESSING`` its ``customAttributes`` carry
``executeNotebookProgress: {"message", "percent"}`` (the key is modelled on the documented
``openNotebookProgress``; see FIDELITY.md). Job requests are subject to the
``job_error_count`` fault; they are not counted in ``/__emulator/stats``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Request, Response

from ..jobs.board import Job, JobBoard, item_key, messages_of
from ..server.errors import PortalError, encode
from ..server.faults import Faults
from ..server.store import Store
from ..sharing import auth

PREFIX = "/notebookserver"
ADMIN = PREFIX + "/admin"
_JOB = re.compile(r"^/notebookserver/admin/system/jobs/(?P<id>[^/]+)(?P<cancel>/cancel)?$")
_ITEM_ID = re.compile(r"[0-9a-fA-F]{32}")
STATUS = {
    "submitted": "SUBMITTED",
    "running": "PROCESSING",
    "succeeded": "COMPLETED",
    "failed": "FAILED",
    "cancelling": "FAILED",
    "cancelled": "FAILED",
}


def is_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def servers(
    base_url: str, notebook_server: str | None = None, federated: tuple[str, ...] = ()
) -> dict[str, Any]:
    """``portals/self/servers``: the emulator as hosting server and as notebook server (or
    the notebook server at ``notebook_server``, set with ``POST /__emulator/servers``)."""
    notebook = notebook_server or f"{base_url}{PREFIX}"
    return {
        "servers": [
            {
                "id": "emulatorHostingServer",
                "name": base_url.split("://", 1)[-1],
                "url": f"{base_url}/server",
                "adminUrl": f"{base_url}/server",
                "isHosted": True,
                "serverType": "ArcGIS",
                "serverRole": "HOSTING_SERVER",
                "serverFunction": "",
            },
            {
                "id": "emulatorNotebookServer",
                "name": base_url.split("://", 1)[-1],
                "url": notebook,
                "adminUrl": notebook,
                "isHosted": False,
                "serverType": "ArcGIS",
                "serverRole": "FEDERATED_SERVER",
                "serverFunction": "NotebookServer",
            },
            *(
                {
                    "id": f"emulatorFederated{number}",
                    "name": url.split("://", 1)[-1].split("/", 1)[0],
                    "url": url,
                    "adminUrl": url,
                    "isHosted": False,
                    "serverType": "ArcGIS",
                    "serverRole": "FEDERATED_SERVER",
                    "serverFunction": "",
                }
                for number, url in enumerate(federated, 1)
            ),
        ]
    }


class NotebookServer:
    def __init__(
        self, store: Store, accounts: auth.Accounts, faults: Faults, board: JobBoard
    ) -> None:
        self.store = store
        self.accounts = accounts
        self.faults = faults
        self.board = board

    def dispatch(self, request: Request, path: str) -> Response:
        f = request.values.get("f") or ""
        try:
            body = self._handle(request, path)
        except PortalError as exc:
            body = {"status": "error", "messages": [exc.message, *exc.details], "code": exc.code}
        except _Unavailable:
            return Response("<html><body><h1>Service Unavailable</h1></body></html>", 503)
        return encode(body, f)

    def _handle(self, request: Request, path: str) -> dict[str, Any]:
        if request.method not in ("GET", "POST"):
            raise PortalError(405, "Method not supported.")
        token = auth.bearer(request.headers, request.values)
        if token is None:
            raise PortalError(499, "Token Required.")
        ttl = int(self.faults.settings()["token_ttl_requests"])
        account = auth.resolve(self.store, self.accounts, token, ttl)
        base = request.host_url.rstrip("/")
        if path == ADMIN + "/notebooks/executeNotebook":
            if request.method != "POST":
                raise PortalError(405, "Method not supported.", ["Use HTTP POST."])
            return self._execute(request, account.name, base)
        match = _JOB.match(path)
        if match is None:
            raise PortalError(404, f"Resource not found: {path[len(PREFIX) :]}")
        if self.faults.draw_job_error():
            raise _Unavailable
        job = self.board.get(match.group("id"), "notebook")
        if job is None or (job.username != account.name and not account.admin):
            raise PortalError(404, f"Job '{match.group('id')}' does not exist.")
        with self.store.lock:
            now = self.store.now_ms()
        if match.group("cancel"):
            self.board.cancel(job, now)
            return {"status": "success"}
        return render_job(job, now)

    def _execute(self, request: Request, username: str, base: str) -> dict[str, Any]:
        values = request.values
        item = values.get("itemId") or ""
        if not _ITEM_ID.fullmatch(item):
            raise PortalError(
                400, f"Invalid itemId '{item}'.", ["itemId must be a notebook item id."]
            )
        inputs: dict[str, Any] = {"itemId": item}
        for key in ("updatePortalItem", "saveInjectedParameters"):
            text = (values.get(key) or "false").lower()
            if text not in ("true", "false"):
                raise PortalError(400, f"Invalid {key} '{values.get(key)}': true or false.")
            inputs[key] = text == "true"
        injected = values.get("notebookParameters") or "{}"
        try:
            ok = isinstance(json.loads(injected), dict)
        except json.JSONDecodeError:
            ok = False
        if not ok:
            raise PortalError(400, "Invalid notebookParameters: must be a JSON object.")
        inputs.update(notebookParameters=injected, executeJobUpdated=False)
        with self.store.lock:
            now = self.store.now_ms()
        job = self.board.start("notebook", item_key(item), username, now, inputs=inputs)
        return {
            "status": "success",
            "jobId": job.id,
            "jobUrl": f"{base}{ADMIN}/system/jobs/{job.id}",
        }


class _Unavailable(Exception):
    """The job_error_count fault: answer HTTP 503 like a proxy in front of the server."""


def render_job(job: Job, now: int) -> dict[str, Any]:
    phase = job.phase(now)
    body: dict[str, Any] = {"jobId": job.id}
    if phase != "submitted":
        body["inputs"] = dict(job.inputs)
    body["startTime"] = job.submitted
    done = phase in ("succeeded", "failed", "cancelled", "cancelling")
    if done:
        body["endTime"] = min(job.finished_at(), now)
    if phase != "submitted":
        body["results"] = {"containerConfigStoreId": job.id[1:33]}
    messages = [text for _, text in messages_of(job, now)]
    if messages:
        body["messages"] = messages
    body.update(type="executeNotebook", status=STATUS[phase], username=job.username)
    custom: dict[str, Any] = {"isCancelled": job.cancelled is not None}
    if phase == "running":
        custom["executeNotebookProgress"] = {
            "message": "Executing notebook cells.",
            "percent": job.percent(now),
        }
    body["customAttributes"] = custom
    return body
