"""Control endpoints for tests and demos, outside /sharing/rest, without auth.

=====  ==========================  =========================================================
GET    /__emulator/stats           ``{"requests", "writes", "commits", "by_route", "write_span_s"}``
POST   /__emulator/stats/reset     zero the counters; returns them
GET    /__emulator/faults          the fault settings (see faults.py)
POST   /__emulator/faults          merge the given keys (JSON object); returns all settings
POST   /__emulator/runs            record a run: ``{"task_id", "owner"?, "status",
                                   "result"?, "url"?, "created"?, "duration_ms"?}`` -> the
                                   run object; only active tasks run (409 otherwise);
                                   ``created`` (epoch ms) defaults to the emulator clock;
                                   ``modified`` is ``created`` + ``duration_ms`` (default 0)
GET    /__emulator/clock           ``{"now": ms, "fixed": bool}``
POST   /__emulator/clock           ``{"now": ms}`` fixes the clock; ``{"now": null}`` = real
                                   time; ``{"advance_ms": n}`` moves a fixed clock on
GET    /__emulator/tasks           every task of every owner, as the portal renders them
POST   /__emulator/reset           delete every task and run (tokens, users, clock stay)
=====  ==========================  =========================================================

Errors are HTTP 4xx with ``{"error": "<what is wrong>"}``.
"""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request, Response

from ..sharing import tasks
from .faults import FaultError, Faults, Stats
from .store import Store


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Control:
    def __init__(self, store: Store, faults: Faults, stats: Stats) -> None:
        self.store = store
        self.faults = faults
        self.stats = stats

    def dispatch(self, request: Request, path: str) -> Response:
        routes = {
            ("GET", "/__emulator/stats"): self.stats.as_json,
            ("POST", "/__emulator/stats/reset"): self._reset_stats,
            ("GET", "/__emulator/faults"): self.faults.settings,
            ("POST", "/__emulator/faults"): lambda: self._set_faults(request),
            ("POST", "/__emulator/runs"): lambda: self._record_run(request),
            ("GET", "/__emulator/clock"): self._clock,
            ("POST", "/__emulator/clock"): lambda: self._set_clock(request),
            ("GET", "/__emulator/tasks"): self._tasks,
            ("POST", "/__emulator/reset"): self._reset,
        }
        handler = routes.get((request.method, path))
        try:
            if handler is None:
                known = any(p == path for _, p in routes)
                raise ControlError(
                    405 if known else 404, f"no control endpoint {request.method} {path}"
                )
            return _json(200, handler())
        except ControlError as exc:
            return _json(exc.status, {"error": str(exc)})

    def _reset_stats(self) -> dict[str, Any]:
        self.stats.reset()
        return self.stats.as_json()

    def _set_faults(self, request: Request) -> dict[str, Any]:
        body = _body(request)
        try:
            settings = self.faults.update(body)
        except FaultError as exc:
            raise ControlError(400, str(exc)) from None
        if "token_ttl_requests" in body:
            with self.store.lock:
                self.store.token_uses.clear()
        return settings

    def _record_run(self, request: Request) -> dict[str, Any]:
        body = _body(request)
        task_id, status = body.get("task_id"), body.get("status")
        result, url, created = body.get("result", ""), body.get("url"), body.get("created")
        if not isinstance(task_id, str):
            raise ControlError(400, "task_id (string) is required")
        if status not in tasks.RUN_STATUSES:
            raise ControlError(400, f"status must be one of {', '.join(tasks.RUN_STATUSES)}")
        if not isinstance(result, str) or (url is not None and not isinstance(url, str)):
            raise ControlError(400, "result and url must be strings")
        if created is not None and (isinstance(created, bool) or not isinstance(created, int)):
            raise ControlError(400, "created must be epoch milliseconds")
        duration = body.get("duration_ms", 0)
        if isinstance(duration, bool) or not isinstance(duration, int) or duration < 0:
            raise ControlError(400, "duration_ms must be a whole number of milliseconds >= 0")
        with self.store.lock:
            record = self.store.tasks.get(task_id)
            owner = body.get("owner")
            if record is None or (owner is not None and record["owner"] != owner):
                raise ControlError(404, f"no task {task_id}" + (f" of {owner}" if owner else ""))
            now = self.store.now_ms()
            if not tasks.is_active(record, now):
                state = tasks.effective_state(record, now)
                raise ControlError(409, f"task {task_id} is {state}; only active tasks run")
            if url is None:
                base = request.host_url.rstrip("/")
                url = (
                    f"{base}/sharing/rest/community/users/{record['owner']}/tasks/{task_id}"
                    "/runs/{runId}"
                )
            runs = self.store.runs.setdefault(task_id, [])
            run = tasks.record_run(record, runs, status, result, url, now, created)
            run["modified"] = run["created"] + duration
            self.store.save()
            return run

    def _clock(self) -> dict[str, Any]:
        with self.store.lock:
            return {"now": self.store.now_ms(), "fixed": self.store.clock_ms is not None}

    def _set_clock(self, request: Request) -> dict[str, Any]:
        body = _body(request)
        with self.store.lock:
            if "advance_ms" in body:
                step = body["advance_ms"]
                if isinstance(step, bool) or not isinstance(step, int):
                    raise ControlError(400, "advance_ms must be an integer")
                self.store.clock_ms = self.store.now_ms() + step
            elif "now" in body:
                now = body["now"]
                if now is not None and (isinstance(now, bool) or not isinstance(now, int)):
                    raise ControlError(400, "now must be epoch milliseconds or null")
                self.store.clock_ms = now
            else:
                raise ControlError(400, "give now (epoch ms or null) or advance_ms")
            self.store.save()
        return self._clock()

    def _tasks(self) -> dict[str, Any]:
        with self.store.lock:
            now = self.store.now_ms()
            return {"tasks": [tasks.render(r, now) for r in self.store.tasks.values()]}

    def _reset(self) -> dict[str, Any]:
        with self.store.lock:
            self.store.tasks.clear()
            self.store.runs.clear()
            self.store.save()
        return {"success": True}


def _body(request: Request) -> dict[str, Any]:
    raw = request.get_data(as_text=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ControlError(400, f"body is not JSON: {exc.msg}") from None
    if not isinstance(body, dict):
        raise ControlError(400, "body must be a JSON object")
    return body


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
