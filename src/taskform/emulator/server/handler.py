"""The emulator's HTTP request handler: werkzeug's, keeping connections alive.

A real portal sits behind a web server (IIS, nginx, a load balancer) that keeps HTTP/1.1
connections open between requests. werkzeug's development server closes every connection after
one answer: its ``run_wsgi`` always sends ``Connection: close`` and then drains whatever the
client sends next (up to 10 ms), which on a kept-alive connection would swallow the next
request. So :meth:`RequestHandler.run_wsgi` serves the requests it can keep alive itself and
hands every other to werkzeug's, unchanged:

- kept alive: an HTTP/1.1 request without ``Connection: close``, ``Expect`` or a chunked body,
  whose answer has a ``Content-Length`` (every JSON answer of the emulator has one). The body
  is read whole first (its ``Content-Length``), so the next request starts where it ends;
- answered and then closed: an answer without a length (the streamed ones of the slow-answer
  faults), which is sent as it comes, with ``Connection: close``;
- werkzeug's own ``run_wsgi``: everything else (HTTP/1.0, a chunked or ``Expect`` request).

werkzeug still does the rest: the threaded server, TLS, the request line and headers
(``http.server``), the WSGI environ (``werkzeug.socket`` included, which the drop-connection
fault shuts down). Hand-written because no WSGI server on the dependency list keeps
connections alive (werkzeug's serves the emulator, and only as a development server).
"""

from __future__ import annotations

import contextlib
import io
import socket
import sys
from collections.abc import Callable
from typing import Any

from werkzeug.serving import WSGIRequestHandler

#: The largest request body the emulator reads (a createTask form is a few KB).
MAX_BODY = 16 * 1024 * 1024
#: How long a kept-alive connection may wait for its next request, as a web server's
#: keep-alive timeout (nginx's default is 75 s); then the emulator closes it.
IDLE_TIMEOUT = 75.0

Headers = list[tuple[str, str]]


class RequestHandler(WSGIRequestHandler):
    """werkzeug's handler, keeping connections alive, with request logging that never shows a
    query string (tokens)."""

    log_requests = False
    #: False: every request is werkzeug's, answered with ``Connection: close`` (as before).
    keep_alive = True
    timeout = IDLE_TIMEOUT

    def setup(self) -> None:
        super().setup()
        # Small answers go out at once: without this, Nagle's algorithm holds each one back
        # until the client's delayed ACK (40 ms a request on Linux).
        with contextlib.suppress(OSError):  # not a TCP socket
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.log_requests:
            # A malformed request line leaves no path (werkzeug forwards unknown attributes).
            path = str(vars(self).get("path", "?")).split("?", 1)[0]
            sys.stderr.write(f"{vars(self).get('command', '-')} {path} {code}\n")

    def log_error(self, format: str, *args: Any) -> None:
        if self.log_requests:
            super().log_error(format, *args)

    def run_wsgi(self) -> None:
        size = self._body_size()
        if size is None:
            super().run_wsgi()  # werkzeug's: answers, then closes the connection
            return
        body = self.rfile.read(size) if size else b""
        if len(body) < size:  # the client went away halfway through its request
            self.close_connection = True
            return
        self.environ = environ = self.make_environ()
        environ["wsgi.input"] = io.BytesIO(body)
        answer = _Answer(self)
        try:
            result = self.server.app(environ, answer.start_response)
            try:
                for chunk in result:
                    answer.write(chunk)
                answer.write(b"")  # headers of an empty answer
            finally:
                close: Callable[[], None] | None = getattr(result, "close", None)
                if close is not None:
                    close()
            self.wfile.flush()
        except (TimeoutError, ConnectionError) as exc:
            self.close_connection = True
            self.connection_dropped(exc, environ)
        except Exception as exc:  # a bug in the emulator: what werkzeug's handler does
            self.close_connection = True
            self.server.log("error", f"Error on request: {exc!r}")
            if not answer.sent:
                with contextlib.suppress(OSError, ValueError):  # the connection failed too
                    answer.fail()

    def _body_size(self) -> int | None:
        """The request body's length when this request can be kept alive, else None."""
        if not self.keep_alive or self.request_version != "HTTP/1.1" or self.close_connection:
            return None
        if self.headers.get("Expect") or self.headers.get("Transfer-Encoding"):
            return None
        given = self.headers.get("Content-Length")
        if given is None:
            return 0
        if not given.strip().isdigit():
            return None  # werkzeug's handler answers a malformed length as it always did
        size = int(given)
        return size if size <= MAX_BODY else None


class _Answer:
    """The WSGI ``start_response``/``write`` pair of one kept-alive request."""

    def __init__(self, handler: RequestHandler) -> None:
        self.handler = handler
        self.status: str | None = None
        self.headers: Headers = []
        self.sent = False

    def start_response(
        self, status: str, headers: Headers, exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None and self.sent:
            raise exc_info[1].with_traceback(exc_info[2])
        self.status, self.headers = status, list(headers)
        return self.write

    def write(self, data: bytes) -> None:
        handler = self.handler
        if not self.sent:
            if self.status is None:
                raise AssertionError("write() before start_response")
            self.sent = True
            code, _, reason = self.status.partition(" ")
            handler.send_response(int(code), reason)
            names = set()
            for name, value in self.headers:
                handler.send_header(name, value)
                names.add(name.lower())
            if "content-length" not in names:  # a streamed answer ends when the connection does
                handler.send_header("Connection", "close")  # sets close_connection
            handler.end_headers()
        if data:
            handler.wfile.write(data)

    def fail(self) -> None:
        page = b"Internal Server Error"
        self.start_response(
            "500 INTERNAL SERVER ERROR",
            [("Content-Type", "text/plain"), ("Content-Length", str(len(page)))],
        )
        self.write(page)
        self.handler.wfile.flush()
