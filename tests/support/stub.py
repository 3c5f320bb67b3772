"""A scriptable stub portal (werkzeug, in a thread on 127.0.0.1:0) for the odd answers a real
portal or the emulator rarely gives: HTML error pages, truncated JSON, wrong shapes, 5xx/429
before success, and connections closed without any answer."""

from __future__ import annotations

import collections
import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from taskform.portal import RetryPolicy

TOKEN = "tok-Secret-4c1d"
FAST = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05, max_total=5.0)
REST = "/sharing/rest/"

#: Answer by closing the connection without sending anything.
DROP = object()

Responder = Any  # dict | list | Response | DROP | Callable[[Request], Responder]


@dataclass
class Seen:
    method: str
    path: str  # relative to the REST root
    args: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    raw_url: str


@dataclass
class StubPortal:
    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    queued: dict[tuple[str, str], collections.deque[Responder]] = field(default_factory=dict)
    routes: dict[tuple[str, str], Responder] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on(self, method: str, path: str, *answers: Responder) -> None:
        """Answer the next requests to ``path`` with ``answers`` in turn, then the route."""
        with self.lock:
            self.queued.setdefault((method, path), collections.deque()).extend(answers)

    def route(self, method: str, path: str, answer: Responder) -> None:
        """Answer every request to ``path`` (after any queued answers) with ``answer``."""
        with self.lock:
            self.routes[(method, path)] = answer

    def calls(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        with self.lock:
            return [
                s
                for s in self.seen
                if (method is None or s.method == method) and (path is None or s.path == path)
            ]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        path = request.path[len(REST) :] if request.path.startswith(REST) else request.path
        seen = Seen(
            request.method,
            path,
            dict(request.args),
            dict(request.form),
            dict(request.headers),
            request.url,
        )
        key = (request.method, path)
        with self.lock:
            self.seen.append(seen)
            queue = self.queued.get(key)
            answer = queue.popleft() if queue else self.routes.get(key)
        while callable(answer) and not isinstance(answer, Response):
            answer = answer(request)
        if answer is DROP:
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            raise ConnectionResetError("dropped on purpose")
        if answer is None:
            answer = json_error(404, f"no stub for {request.method} {path}", status=404)
        if not isinstance(answer, Response):
            answer = Response(json.dumps(answer), mimetype="application/json")
        return answer(environ, start_response)


def json_error(
    code: int, message: str, details: list[str] | None = None, status: int = 200
) -> Response:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def task_json(task_id: str, owner: str = "jo", title: str = "T", **extra: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": task_id,
        "userId": owner,
        "title": title,
        "type": "ExecuteNotebook",
        "itemId": "029b61ca770e428d9468a2a55f40b9fb",
        "cronSchedule": {
            "minute": "0",
            "hour": "2",
            "dayOfMonth": "?",
            "month": "*",
            "dayOfWeek": "2-6",
        },
        "maxOccurrences": 10,
        "parameters": {"updatePortalItem": True, "notebookParameters": "{}"},
        "active": True,
        "taskState": "active",
        "created": 1,
    }
    raw.update(extra)
    return raw


def task_list(
    tasks: list[dict[str, Any]], start: int = 1, total: int | None = None
) -> dict[str, Any]:
    total = len(tasks) if total is None else total
    end = start + len(tasks)
    return {
        "total": total,
        "start": start,
        "num": 100,
        "nextStart": end if end <= total else -1,
        "tasks": tasks,
    }


class FakeTasks:
    """A tiny task store behind the stub: paged listing and createTask from the form."""

    def __init__(self, owner: str = "jo", tasks: list[dict[str, Any]] | None = None) -> None:
        self.owner = owner
        self.tasks: list[dict[str, Any]] = list(tasks or [])
        self.lock = threading.Lock()
        self.next_id = 0

    def listing(self, request: Request) -> dict[str, Any]:
        start = int(request.args.get("start", "1"))
        num = int(request.args.get("num", "10"))
        with self.lock:
            page = self.tasks[start - 1 : start - 1 + num]
            return task_list(page, start=start, total=len(self.tasks))

    def commit(self, request: Request) -> str:
        form = request.form
        with self.lock:
            self.next_id += 1
            task_id = f"{self.next_id:032x}"
            cron = {k: form[k] for k in ("minute", "hour", "dayOfMonth", "month", "dayOfWeek")}
            self.tasks.append(
                task_json(
                    task_id,
                    owner=self.owner,
                    title=form["title"],
                    type=form["type"],
                    itemId=form.get("itemId"),
                    cronSchedule=cron,
                    parameters=json.loads(form.get("parameters", "{}")),
                )
            )
        return task_id

    def create(self, request: Request) -> dict[str, Any]:
        return {"success": True, "taskId": self.commit(request)}

    def create_then_drop(self, request: Request) -> object:
        self.commit(request)
        return DROP


@contextlib.contextmanager
def serving(tls: tuple[str, str] | None = None) -> Iterator[StubPortal]:
    """A stub portal that knows ``portals/self``, served in a thread on 127.0.0.1 (over TLS
    with ``tls``: certificate and key files)."""
    portal = StubPortal()
    portal.route("GET", "portals/self", {"user": {"username": "jo"}, "id": "org"})
    server = make_server("127.0.0.1", 0, portal, threaded=True, ssl_context=tls)
    portal.url = f"{'https' if tls else 'http'}://127.0.0.1:{server.port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield portal
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
