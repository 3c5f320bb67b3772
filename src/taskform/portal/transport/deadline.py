"""A total deadline for one HTTP exchange, which a slow drip cannot stretch.

``requests``' ``timeout`` bounds each socket read, not the exchange: a portal (or a proxy) that
sends one byte every few seconds keeps a request alive forever, in the headers as in the body.
So each exchange is watched: when its deadline passes, a single watchdog thread shuts the
socket down, and the read blocked on it returns at once with an error, whichever thread it is
in. The connection is then discarded by the pool. (Why not a thread per request, or
``signal.alarm``: reads run in pool threads, where alarms cannot reach; one watchdog with a heap
is one thread however many requests run.)

:class:`DeadlineAdapter` makes every connection of a ``requests`` session report its socket to
the exchange being watched on the current thread (:func:`watch`), just before it reads the
answer's status line.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class Watch:
    """One exchange's deadline; :attr:`expired` tells whether the watchdog cut it off."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self.sock: socket.socket | None = None
        self.done = False
        self._lock = threading.Lock()

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.0)

    def attach(self, sock: socket.socket | None) -> None:
        """The socket the answer is read from (cut off at once if the deadline has passed)."""
        with self._lock:
            self.sock = sock
        if self.remaining() <= 0:
            self.cut()

    def cut(self) -> None:
        # Under the lock: once :meth:`finish` has run, the socket may serve another exchange.
        with self._lock:
            if self.done:
                return
            self.expired = True
            if self.sock is not None:
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_RDWR)

    def finish(self) -> None:
        with self._lock:
            self.done = True
            self.sock = None


class _Watchdog:
    """One daemon thread cutting off the exchanges whose deadline has passed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, watch: Watch) -> None:
        with self._cond:
            heapq.heappush(self._heap, (watch.deadline, next(self._order), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="taskform-deadlines", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, _, watch = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            watch.cut()


_WATCHDOG = _Watchdog()
_CURRENT = threading.local()


@contextlib.contextmanager
def watch(seconds: float) -> Iterator[Watch]:
    """Watch the exchange made in this block, on this thread: ``seconds`` from now, its
    socket is shut down."""
    current = Watch(time.monotonic() + seconds)
    _WATCHDOG.add(current)
    previous = getattr(_CURRENT, "watch", None)
    _CURRENT.watch = current
    try:
        yield current
    finally:
        _CURRENT.watch = previous
        current.finish()


def _attach(conn: HTTPConnection) -> None:
    current: Watch | None = getattr(_CURRENT, "watch", None)
    if current is not None:
        current.attach(conn.sock)


class _WatchedHTTPConnection(HTTPConnection):
    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _attach(self)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _attach(self)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections report their socket to :func:`watch`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        """Through an HTTP(S) proxy (``HTTPS_PROXY``) too. (A SOCKS proxy's own connection
        classes are not watched: there only the per-read timeout applies.)"""
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _WATCHED
        return manager


_WATCHED = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
