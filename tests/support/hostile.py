"""A hostile portal: a real loopback HTTP server in front of the emulator that misbehaves.

It forwards every request to an upstream portal (the emulator process) and, for requests whose
path contains a rule's ``match``, misbehaves instead:

- ``drip``: the answer's body (``headers=True``: its headers too) one byte every ``interval``
  seconds;
- ``total``: the answer's ``total`` replaced by ``value`` and, if given, ``nextStart`` by
  ``next_start`` (a portal lying about its list);
- ``echo``: an error envelope whose message and details echo the request back (query and form
  body as sent, and decoded); ``html``: the same as an HTML page with HTTP 500; ``header``: the
  upstream answer with the request echoed in a response header;
- ``oversize``: a body of ``size`` bytes (streamed, never held in memory).

    with HostilePortal(emu.url) as hostile:
        hostile.rule("drip", match="/tasks", interval=2)
        run taskform against hostile.url

Run as ``python -m tests.support.hostile UPSTREAM_URL [--drip PATH] [--interval S]`` to try it
by hand (it prints ``hostile portal listening on URL``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

LISTENING = "hostile portal listening on "


@dataclass
class Rule:
    action: str
    match: str
    params: dict[str, Any] = field(default_factory=dict)


class HostilePortal:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.rules: list[Rule] = []
        self.seen: list[str] = []  # "METHOD path" of every request received
        self._lock = threading.Lock()
        portal = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                portal._handle(self)

            def do_POST(self) -> None:
                portal._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- control ---------------------------------------------------------------------------------

    def start(self) -> HostilePortal:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> HostilePortal:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def rule(self, action: str, match: str, **params: Any) -> None:
        with self._lock:
            self.rules.append(Rule(action, match, params))

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def count(self, fragment: str) -> int:
        with self._lock:
            return sum(1 for line in self.seen if fragment in line)

    # -- serving ---------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        if handler.path.startswith(("http://", "https://")):  # asked as an HTTP proxy
            parts = urlsplit(handler.path)
            handler.path = parts.path + (f"?{parts.query}" if parts.query else "")
        path = urlsplit(handler.path).path
        with self._lock:
            self.seen.append(f"{handler.command} {path}")
            rule = next((r for r in self.rules if r.match in handler.path), None)
        if rule is not None and rule.action == "echo":
            self._echo(handler, body)
            return
        if rule is not None and rule.action == "html":
            echoed = f"{handler.path}\n{body.decode('utf-8', 'replace')}"
            page = f"<html><body><h1>Error</h1><pre>{echoed}</pre></body></html>".encode()
            self._send(handler, 500, page, {"Content-Type": "text/html"})
            return
        if rule is not None and rule.action == "oversize":
            self._oversize(handler, int(rule.params.get("size", 64 * 1024 * 1024)))
            return
        upstream = requests.request(
            handler.command,
            self.upstream + handler.path,
            data=body or None,
            headers={
                k: v
                for k, v in handler.headers.items()
                if k.lower() in ("content-type", "x-esri-authorization", "referer")
            },
            timeout=30,
            allow_redirects=False,
        )
        content = upstream.content
        headers = {"Content-Type": upstream.headers.get("Content-Type", "application/json")}
        if rule is not None and rule.action == "total":
            doc = json.loads(content)
            doc["total"] = rule.params["value"]
            if "next_start" in rule.params:
                doc["nextStart"] = rule.params["next_start"]
            content = json.dumps(doc).encode()
        if rule is not None and rule.action == "header":
            echoed = f"{handler.path} {body.decode('utf-8', 'replace')}"
            headers["X-Echo"] = echoed.encode("utf-8").decode("latin-1")
        if rule is not None and rule.action == "drip":
            self._drip(handler, upstream.status_code, content, headers, rule.params)
            return
        self._send(handler, upstream.status_code, content, headers)

    def _echo(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        raw = f"{handler.path} {body.decode('utf-8', 'replace')}"
        query = urlsplit(handler.path).query
        decoded = dict(parse_qsl(query)) | dict(parse_qsl(body.decode("utf-8", "replace")))
        doc = {
            "error": {
                "code": 400,
                "message": f"Unable to process request: {raw}",
                "details": [json.dumps(decoded), repr(decoded), str(dict(handler.headers))],
            }
        }
        self._send(handler, 200, json.dumps(doc).encode(), {"Content-Type": "application/json"})

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, status: int, content: bytes, headers: dict[str, str]
    ) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)

    @staticmethod
    def _drip(
        handler: BaseHTTPRequestHandler,
        status: int,
        content: bytes,
        headers: dict[str, str],
        params: dict[str, Any],
    ) -> None:
        interval = float(params.get("interval", 1.0))
        lines = [f"HTTP/1.1 {status} OK\r\n"]
        lines += [f"{k}: {v}\r\n" for k, v in headers.items()]
        lines += [f"Content-Length: {len(content)}\r\n", "\r\n"]
        head = "".join(lines).encode("latin-1")
        try:
            if params.get("headers"):
                for i in range(len(head)):
                    handler.wfile.write(head[i : i + 1])
                    handler.wfile.flush()
                    time.sleep(interval)
            else:
                handler.wfile.write(head)
            for i in range(len(content)):
                handler.wfile.write(content[i : i + 1])
                handler.wfile.flush()
                time.sleep(interval)
        except OSError:
            pass  # the client gave up: that is the point
        handler.close_connection = True

    @staticmethod
    def _oversize(handler: BaseHTTPRequestHandler, size: int) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b" " * 65536
        sent = 0
        try:
            while sent < size:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass
        handler.close_connection = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("upstream")
    parser.add_argument("--drip", metavar="PATH", help="drip answers whose path contains PATH")
    parser.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args()
    portal = HostilePortal(args.upstream)
    if args.drip:
        portal.rule("drip", args.drip, interval=args.interval)
    print(LISTENING + portal.url, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        portal.server.serve_forever()


if __name__ == "__main__":
    main()
