"""Control endpoints for jobs (outside /sharing/rest, no auth, plain JSON):

=====  ======================  ==============================================================
POST   /__emulator/outcomes    ``{"item_id"|"task_url": ..., "status": "succeeded"|"failed",
                               "messages"?: [...], "duration_s"?: N}``: how the next jobs of
                               that notebook item or GP task end (scheduled runs and
                               ``taskform run`` alike); messages are strings or ``{"type":
                               "informative"|"warning"|"error", "description"}``
POST   /__emulator/servers     ``{"notebook_server": URL | null, "federated"?: [URL, ...]}``:
                               list the notebook server at URL in ``portals/self/servers``
                               (null: the emulator itself) and the given URLs as further
                               federated servers, e.g. to try servers that cannot be reached
GET    /__emulator/jobs        ``{"jobs": [{"jobId", "kind", "key", "phase", "submitted",
                               "end", "cancelled"}]}``, oldest first
=====  ======================  ==============================================================

``POST /__emulator/reset`` also forgets every job and outcome.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from ..server.store import Store
from .board import JobBoard, OutcomeError, parse_outcome

PATHS = ("/__emulator/outcomes", "/__emulator/jobs", "/__emulator/servers")


def dispatch(request: Request, path: str, board: JobBoard, store: Store) -> Response:
    if path == "/__emulator/outcomes" and request.method == "POST":
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
            key, outcome = parse_outcome(body)
        except json.JSONDecodeError as exc:
            return _json(400, {"error": f"body is not JSON: {exc.msg}"})
        except OutcomeError as exc:
            return _json(400, {"error": str(exc)})
        board.set_outcome(key, outcome)
        return _json(
            200,
            {
                "key": key,
                "status": outcome.status,
                "duration_s": outcome.duration_ms / 1000,
                "messages": None
                if outcome.messages is None
                else [{"type": t, "description": d} for t, d in outcome.messages],
            },
        )
    if path == "/__emulator/servers" and request.method == "POST":
        try:
            body = json.loads(request.get_data(as_text=True) or "{}")
        except json.JSONDecodeError as exc:
            return _json(400, {"error": f"body is not JSON: {exc.msg}"})
        if not isinstance(body, dict):
            return _json(400, {"error": "body must be a JSON object"})
        url, federated = body.get("notebook_server"), body.get("federated", [])
        if url is not None and not _http_url(url):
            return _json(400, {"error": "notebook_server must be an http(s) URL or null"})
        if not isinstance(federated, list) or not all(_http_url(u) for u in federated):
            return _json(400, {"error": "federated must be a list of http(s) URLs"})
        board.notebook_server = url.rstrip("/") if url else None
        board.federated = tuple(u.rstrip("/") for u in federated)
        return _json(
            200, {"notebook_server": board.notebook_server, "federated": list(board.federated)}
        )
    if path == "/__emulator/jobs" and request.method == "GET":
        with store.lock:
            now = store.now_ms()
        jobs: list[dict[str, Any]] = [
            {
                "jobId": job.id,
                "kind": job.kind,
                "key": job.key,
                "phase": job.phase(now),
                "submitted": job.submitted,
                "end": job.finished_at(),
                "cancelled": job.cancelled,
            }
            for job in board.all()
        ]
        return _json(200, {"jobs": jobs})
    return _json(405, {"error": f"no control endpoint {request.method} {path}"})


def _http_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
