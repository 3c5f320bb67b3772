"""GP jobs of the GP tasks registered with ``POST /__emulator/gp`` (gpserver.py).

=========  ==================================================  ============================
GET/POST   <anything>/GPServer/<task>/submitJob                ``{"jobId", "jobStatus"}``
GET        <anything>/GPServer/<task>/jobs/<jobId>             the job (seed 004's shape);
                                                               ``returnMessages=true`` adds
                                                               ``messages``
GET/POST   <anything>/GPServer/<task>/jobs/<jobId>/cancel      ``{"jobId", "jobStatus"}``
GET        <anything>/GPServer/<task>/jobs/<jobId>/results/<p> ``{"paramName", "dataType",
           (and inputs/<p>)                                    "value"}``
=========  ==================================================  ============================

``submitJob`` takes the task's inputs as form fields (values that are not text are JSON, as
ArcGIS Server expects); an unknown input name is error 400. Results are the task's output
parameters, listed once the job succeeded. Token rules and error envelopes are those of the
description (gpserver.py). Job reads are subject to the ``job_error_count`` fault.
"""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Request, Response

from ..jobs.board import MESSAGE_TYPES, Job, JobBoard, messages_of, task_key
from ..server.errors import PortalError, encode
from ..server.faults import Faults
from ..server.store import Store
from ..sharing import auth
from .server import GPServer

_PATH = re.compile(
    r"^(?P<task>/.+/GPServer/[^/]+)/(?:(?P<submit>submitJob)|jobs/(?P<id>[^/]+)"
    r"(?:/(?P<cancel>cancel)|/(?P<kind>results|inputs)/(?P<param>[^/]+))?)$"
)
STATUS = {
    "submitted": "esriJobSubmitted",
    "running": "esriJobExecuting",
    "succeeded": "esriJobSucceeded",
    "failed": "esriJobFailed",
    "cancelling": "esriJobCancelling",
    "cancelled": "esriJobCancelled",
}
_NOT_INPUTS = frozenset({"f", "token", "returnMessages", "context"})


def is_path(path: str) -> bool:
    return _PATH.match(path) is not None


class GPJobs:
    def __init__(
        self,
        store: Store,
        accounts: auth.Accounts,
        faults: Faults,
        board: JobBoard,
        descriptions: GPServer,
    ) -> None:
        self.store = store
        self.accounts = accounts
        self.faults = faults
        self.board = board
        self.descriptions = descriptions

    def dispatch(self, request: Request, path: str) -> Response:
        f = request.values.get("f") or ""
        match = _PATH.match(path)
        assert match is not None
        try:
            if match.group("id") and self.faults.draw_job_error():
                return Response("<html><body><h1>Service Unavailable</h1></body></html>", 503)
            body = self._handle(request, match)
        except PortalError as exc:
            body = exc.envelope()
        return encode(body, f)

    def _handle(self, request: Request, match: re.Match[str]) -> dict[str, Any]:
        if request.method not in ("GET", "POST"):
            raise PortalError(405, "Method not supported.")
        token = auth.bearer(request.headers, request.values)
        username = ""
        if token is not None:
            ttl = int(self.faults.settings()["token_ttl_requests"])
            username = auth.resolve(self.store, self.accounts, token, ttl).name
        path = match.group("task")
        description = self.descriptions.registered(path, authenticated=token is not None)
        with self.store.lock:
            now = self.store.now_ms()
        if match.group("submit"):
            return self._submit(request, path, description, username, now)
        job = self.board.get(match.group("id"), "gp")
        if job is None or job.key != task_key(path):
            raise PortalError(400, "Unable to complete operation.", ["Job not found."])
        if match.group("cancel"):
            self.board.cancel(job, now)
            return {"jobId": job.id, "jobStatus": STATUS[job.phase(now)]}
        if match.group("param"):
            return _param(job, description, match.group("kind"), match.group("param"), now)
        returns = (request.values.get("returnMessages") or "").lower() == "true"
        return render_job(job, now, messages=returns)

    def _submit(
        self,
        request: Request,
        path: str,
        description: dict[str, Any],
        username: str,
        now: int,
    ) -> dict[str, Any]:
        params = [p for p in description.get("parameters") or [] if isinstance(p, dict)]
        names = {
            p.get("name") for p in params if p.get("direction") != "esriGPParameterDirectionOutput"
        }
        inputs: dict[str, Any] = {}
        for key, value in request.values.items():
            if key in _NOT_INPUTS or key.startswith("env:") or key in ("returnZ", "returnM"):
                continue
            if key not in names:
                raise PortalError(
                    400, "Unable to complete operation.", [f"Invalid parameter '{key}'."]
                )
            try:
                inputs[key] = json.loads(value)
            except json.JSONDecodeError:
                inputs[key] = value
        outputs = tuple(
            str(p.get("name"))
            for p in params
            if p.get("direction") == "esriGPParameterDirectionOutput" and p.get("name")
        )
        job = self.board.start("gp", task_key(path), username, now, inputs=inputs, outputs=outputs)
        return {"jobId": job.id, "jobStatus": STATUS[job.phase(now)]}


def render_job(job: Job, now: int, *, messages: bool) -> dict[str, Any]:
    phase = job.phase(now)
    body: dict[str, Any] = {"jobId": job.id, "jobStatus": STATUS[phase]}
    if phase == "succeeded":
        body["results"] = {name: {"paramUrl": f"results/{name}"} for name in job.outputs}
    else:
        body["results"] = {}
    body["inputs"] = {name: {"paramUrl": f"inputs/{name}"} for name in job.inputs}
    if messages:
        body["messages"] = [
            {"type": MESSAGE_TYPES[kind], "description": text}
            for kind, text in messages_of(job, now)
        ]
    return body


def _param(job: Job, description: dict[str, Any], kind: str, name: str, now: int) -> dict[str, Any]:
    known = job.outputs if kind == "results" else tuple(job.inputs)
    if name not in known or (kind == "results" and job.phase(now) != "succeeded"):
        raise PortalError(400, "Unable to complete operation.", [f"No {kind[:-1]} '{name}'."])
    dtype = next(
        (
            p.get("dataType")
            for p in description.get("parameters") or []
            if isinstance(p, dict) and p.get("name") == name
        ),
        None,
    )
    value = job.inputs.get(name) if kind == "inputs" else f"{name} of job {job.id}"
    return {"paramName": name, "dataType": dtype, "value": value}
