"""Starting, polling and cancelling the job of a task that runs now (``taskform run``).

- ExecuteNotebook: the notebook server is found the way Esri's client finds it (arcgis 2.4.4
  ``gis/__init__.py`` ``notebook_server``): on ArcGIS Enterprise the first server of
  ``portals/self/servers`` whose ``serverFunction`` names a NotebookServer, at its
  ``adminPublicUrl``, else ``adminUrl``, else ``url``, plus ``/admin``; on ArcGIS Online
  ``https://<portals/self/urls: urls.notebooks.https[0]>/admin``. Then ``POST
  <admin>/notebooks/executeNotebook`` with ``itemId``, ``updatePortalItem``,
  ``saveInjectedParameters`` and ``notebookParameters`` (``gis/nb/_nbm.py``); the answer's
  ``jobUrl`` is polled (seed 001) and ``<jobUrl>/cancel`` cancels.
- GPService: ``POST <taskUrl>/submitJob`` with the task's parameters (text as is, anything
  else as JSON, as ArcGIS Server expects), then ``<taskUrl>/jobs/<jobId>?returnMessages=true``
  (seed 004) and ``<taskUrl>/jobs/<jobId>/cancel`` (``geoprocessing/_job.py``).

The portal's token goes only to the portal's host and to servers the portal lists as its own
(``portals/self/servers`` / ``urls``); plain http only to loopback hosts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from taskform import tasktypes
from taskform.errors import BadResponse, ForeignHostError, PortalError
from taskform.jobs.model import (
    GP_MESSAGE_TYPES,
    GP_STATES,
    NOTEBOOK_STATES,
    JobRef,
    JobStatus,
    Message,
    State,
)
from taskform.model import LiveTask
from taskform.portal.client import PortalClient
from taskform.portal.urls import is_loopback

#: Informative lines a notebook job writes; on a failed job every other message is an error.
_NOTEBOOK_INFO = re.compile(
    r"^(Input Notebook Path|Output Notebook Path|Start processing time|Finish processing time)"
)


class JobsClient:
    """Jobs over one :class:`PortalClient` (its credentials, retries and logging)."""

    def __init__(self, portal: PortalClient) -> None:
        self.portal = portal
        self._trusted: set[tuple[str, str]] | None = None
        self._notebook_admin: str | None = None

    # -- where -----------------------------------------------------------------------------

    def notebook_admin_url(self) -> str:
        """The notebook server's admin URL (``.../admin``), found as Esri's client finds it."""
        if self._notebook_admin is None:
            self._discover()
        if not self._notebook_admin:
            raise PortalError(
                "the portal lists no ArcGIS Notebook Server (portals/self/servers has no server "
                "whose serverFunction is NotebookServer), so notebook tasks cannot run now"
            )
        return self._notebook_admin

    def trusted(self) -> set[tuple[str, str]]:
        if self._trusted is None:
            self._discover()
        assert self._trusted is not None
        return self._trusted

    def _discover(self) -> None:
        rest = self.portal.url.rest
        me = self.portal.get_json(f"{rest}/portals/self")
        trusted: set[tuple[str, str]] = set()
        admin = ""
        if me.get("isPortal") is False:  # ArcGIS Online
            urls = self.portal.get_json(f"{rest}/portals/self/urls").get("urls")
            hosts = _dig(urls, "notebooks", "https")
            if isinstance(hosts, list) and hosts and isinstance(hosts[0], str):
                admin = f"https://{hosts[0]}/admin"
            for service in urls.values() if isinstance(urls, Mapping) else ():
                for host in _dig(service, "https") or ():
                    if isinstance(host, str):
                        trusted.add(("https", host.lower()))
        else:
            servers = self.portal.get_json(f"{rest}/portals/self/servers").get("servers")
            for server in servers if isinstance(servers, list) else ():
                if not isinstance(server, Mapping):
                    continue
                for key in ("url", "adminUrl", "adminPublicUrl"):
                    value = server.get(key)
                    if isinstance(value, str) and value:
                        trusted.add(_origin(value))
                function = str(server.get("serverFunction") or "").lower()
                if not admin and "notebookserver" in function:
                    base = next(
                        (
                            server[k]
                            for k in ("adminPublicUrl", "adminUrl", "url")
                            if isinstance(server.get(k), str) and server[k]
                        ),
                        "",
                    )
                    admin = f"{base.rstrip('/')}/admin" if base else ""
        self._trusted = {o for o in trusted if o[0] == "https" or _loopback(o[1])}
        self._notebook_admin = admin

    def check_reachable_origin(self, url: str) -> None:
        """Raise ForeignHostError unless the portal's token may be sent to ``url``."""
        if self.portal.url.same_origin(url) or _origin(url) in self.trusted():
            return
        raise ForeignHostError(urlsplit(url).netloc or url, self.portal.url.netloc)

    # -- start -----------------------------------------------------------------------------

    def start(self, task: LiveTask) -> JobRef:
        """Start the task's work now; only a :attr:`~taskform.tasktypes.TaskType.runnable`
        type can be started."""
        if not tasktypes.get(task.type).runnable:
            raise PortalError(f"{task.type} tasks cannot be run now")
        if task.type == "ExecuteNotebook":
            return self.execute_notebook(task)
        if task.type == "GPService":
            return self.submit_gp(task)
        raise PortalError(f"{task.type} tasks cannot be run now")

    def execute_notebook(self, task: LiveTask) -> JobRef:
        admin = self.notebook_admin_url()
        params = task.parameters
        injected = params.get("notebookParameters", "{}")
        form = {
            "itemId": task.item_id or "",
            "updatePortalItem": _bool(params.get("updatePortalItem", False)),
            "saveInjectedParameters": _bool(params.get("saveInjectedParameters", False)),
            "notebookParameters": injected if isinstance(injected, str) else json.dumps(injected),
        }
        url = f"{admin}/notebooks/executeNotebook"
        body = self._call("POST", url, data=form, idempotent=False)
        job_id, job_url = body.get("jobId"), body.get("jobUrl")
        if not isinstance(job_url, str) or not job_url:
            if isinstance(job_id, str) and job_id:
                job_url = f"{admin}/system/jobs/{job_id}"
            else:
                raise BadResponse(
                    "executeNotebook answered without a jobUrl", request=f"POST {url}"
                )
        if not isinstance(job_id, str) or not job_id:
            job_id = job_url.rstrip("/").rsplit("/", 1)[-1]
        return JobRef("notebook", job_id, job_url)

    def submit_gp(self, task: LiveTask) -> JobRef:
        if not task.task_url:
            raise PortalError(f"the GPService task {task.title!r} has no taskUrl")
        base = task.task_url.rstrip("/")
        form = {
            str(k): v if isinstance(v, str) else json.dumps(v) for k, v in task.parameters.items()
        }
        body = self._call("POST", f"{base}/submitJob", data=form, idempotent=False)
        job_id = body.get("jobId")
        if not isinstance(job_id, str) or not job_id:
            raise BadResponse(
                "submitJob answered without a jobId", request=f"POST {base}/submitJob"
            )
        return JobRef("gp", job_id, f"{base}/jobs/{job_id}")

    # -- follow ----------------------------------------------------------------------------

    def poll(self, ref: JobRef) -> JobStatus:
        if ref.kind == "gp":
            body = self._call("GET", ref.url, params={"returnMessages": "true"})
            return gp_status(body, ref.url)
        return notebook_status(self._call("GET", ref.url))

    def cancel(self, ref: JobRef) -> None:
        """Both servers document cancel as GET (Esri's client sends GET for GP jobs too)."""
        self._call("GET", f"{ref.url}/cancel")

    def job_of_run(self, task: LiveTask, result: str | None) -> JobRef | None:
        """The job a run's ``result`` links to, under each plausible reading (FIDELITY.md):
        the job's URL, or JSON with ``jobUrl`` / ``jobId``; None for plain text."""
        if not result:
            return None
        kind = "gp" if task.type == "GPService" else "notebook"
        text = result.strip()
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except json.JSONDecodeError:
                return None
            if not isinstance(data, Mapping):
                return None
            url, job_id = data.get("jobUrl"), data.get("jobId")
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                return JobRef(kind, str(job_id or url.rstrip("/").rsplit("/", 1)[-1]), url)
            if isinstance(job_id, str) and job_id:
                if kind == "gp" and task.task_url:
                    return JobRef(kind, job_id, f"{task.task_url.rstrip('/')}/jobs/{job_id}")
                if kind == "notebook":
                    return JobRef(kind, job_id, f"{self.notebook_admin_url()}/system/jobs/{job_id}")
            return None
        if re.fullmatch(r"https?://\S+/jobs/[^/\s]+/?", text):
            return JobRef(kind, text.rstrip("/").rsplit("/", 1)[-1], text.rstrip("/"))
        return None

    def _call(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        self.check_reachable_origin(url)
        return self.portal.call_service(
            method,
            url,
            trusted=self.trusted(),
            params=params,
            data=data,
            idempotent=idempotent,
        )


def notebook_status(body: Mapping[str, Any]) -> JobStatus:
    raw = str(body.get("status") or "")
    custom = body.get("customAttributes")
    custom = custom if isinstance(custom, Mapping) else {}
    state = NOTEBOOK_STATES.get(raw.upper())
    if state is None:
        state = State.CANCELLED if "cancel" in raw.lower() else State.RUNNING
    if custom.get("isCancelled") is True:
        state = State.CANCELLED if state.final else State.CANCELLING
    percent, note = None, None
    for key, value in custom.items():
        if str(key).endswith("Progress") and isinstance(value, Mapping):
            number = value.get("percent")
            if isinstance(number, (int, float)) and not isinstance(number, bool):
                percent = max(0, min(100, int(number)))
            if isinstance(value.get("message"), str):
                note = value["message"]
    texts = [str(m) for m in body.get("messages") or [] if isinstance(m, (str, int, float))]
    failed = state is State.FAILED
    messages = tuple(
        Message("error" if failed and not _NOTEBOOK_INFO.match(t) else "informative", t)
        for t in texts
    )
    if state is State.SUCCEEDED:
        percent = 100
    return JobStatus(
        state=state,
        raw=raw or "?",
        percent=percent,
        progress_message=note,
        messages=messages,
        started=_ms(body.get("startTime")),
        ended=_ms(body.get("endTime")),
    )


def gp_status(body: Mapping[str, Any], job_url: str) -> JobStatus:
    raw = str(body.get("jobStatus") or "")
    state = GP_STATES.get(raw)
    if state is None:
        state = State.CANCELLED if "cancel" in raw.lower() else State.RUNNING
    messages: list[Message] = []
    for item in body.get("messages") or []:
        if isinstance(item, Mapping):
            kind = GP_MESSAGE_TYPES.get(str(item.get("type")), "informative")
            messages.append(Message(kind, str(item.get("description") or "")))
    results: list[tuple[str, str]] = []
    found = body.get("results")
    for name, value in found.items() if isinstance(found, Mapping) else ():
        param = value.get("paramUrl") if isinstance(value, Mapping) else None
        if isinstance(param, str) and param:
            absolute = param if "://" in param else f"{job_url.rstrip('/')}/{param.lstrip('/')}"
            results.append((str(name), absolute))
    progress = body.get("progress")
    note = progress.get("message") if isinstance(progress, Mapping) else None
    return JobStatus(
        state=state,
        raw=raw or "?",
        progress_message=note if isinstance(note, str) else None,
        messages=tuple(messages),
        results=tuple(results),
        started=_ms(body.get("startTime")),
        ended=_ms(body.get("endTime")),
    )


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _loopback(netloc: str) -> bool:
    host = urlsplit(f"//{netloc}").hostname or ""
    return is_loopback(host)


def _bool(value: Any) -> str:
    return "true" if value is True or str(value).lower() == "true" else "false"


def _ms(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
