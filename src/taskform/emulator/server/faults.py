"""Injected faults and request statistics for the control endpoints.

Faults apply to ``/sharing/rest`` only and never to ``generateToken`` (``job_error_count``: to the
job resources only):

====================== ======= ==============================================================
key                    default effect
====================== ======= ==============================================================
latency_ms             0       sleep this long before handling each request
error_rate             0.0     share of requests answered HTTP 503 before anything is done
rate_limit_rate        0.0     share of requests answered HTTP 429 with ``Retry-After: 1``
drop_after_commit_rate 0.0     share of writes that are committed (and persisted), then
                               answered by closing the connection without any response
token_ttl_requests     0       when > 0, a generated token is refused (498) once it has been
                               used for this many requests; setting it restarts the counts
job_error_count        0       the next N requests to job resources (Notebook Server
                               ``system/jobs/<id>``, GP ``jobs/<id>``) are answered HTTP 503;
                               counts down (not drawn, so it needs no seed)
====================== ======= ==============================================================

One ``random.Random(seed)`` under a lock draws every decision: two values for every request
(whatever the rates) and one more for every committed write. So the same ``--seed``, settings
and sequence of requests give the same faults (concurrent clients interleave draws).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Mapping
from typing import Any

FAULT_DEFAULTS: dict[str, int | float] = {
    "latency_ms": 0,
    "error_rate": 0.0,
    "rate_limit_rate": 0.0,
    "drop_after_commit_rate": 0.0,
    "token_ttl_requests": 0,
    "job_error_count": 0,
}
_RATES = ("error_rate", "rate_limit_rate", "drop_after_commit_rate")
_MAX_LATENCY_MS = 60_000


class FaultError(ValueError):
    """A POST /__emulator/faults body that is not acceptable."""


class Faults:
    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._settings: dict[str, int | float] = dict(FAULT_DEFAULTS)

    def settings(self) -> dict[str, int | float]:
        with self._lock:
            return dict(self._settings)

    def update(self, changes: Any) -> dict[str, int | float]:
        """Merge and validate the given keys; return the whole settings object."""
        if not isinstance(changes, Mapping):
            raise FaultError("body must be a JSON object")
        merged = self.settings()
        for key, value in changes.items():
            if key not in FAULT_DEFAULTS:
                raise FaultError(f"unknown fault {key!r}; known: {', '.join(FAULT_DEFAULTS)}")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise FaultError(f"{key} must be a number")
            if key in _RATES:
                if not 0.0 <= value <= 1.0:
                    raise FaultError(f"{key} must be between 0 and 1")
                merged[key] = float(value)
            else:
                limit = _MAX_LATENCY_MS if key == "latency_ms" else 2**31
                if not isinstance(value, int) or not 0 <= value <= limit:
                    raise FaultError(f"{key} must be an integer from 0 to {limit}")
                merged[key] = value
        with self._lock:
            self._settings = merged
        return dict(merged)

    def draw_request(self) -> tuple[float, bool, bool]:
        """(latency seconds, answer 503?, answer 429?) for one request."""
        with self._lock:
            error, limited = self._rng.random(), self._rng.random()
            s = self._settings
            return (
                float(s["latency_ms"]) / 1000.0,
                error < s["error_rate"],
                limited < s["rate_limit_rate"],
            )

    def draw_job_error(self) -> bool:
        """Whether this job-resource request is answered 503 (``job_error_count`` > 0)."""
        with self._lock:
            left = int(self._settings["job_error_count"])
            if left <= 0:
                return False
            self._settings["job_error_count"] = left - 1
            return True

    def draw_drop(self) -> bool:
        """Whether a committed write is answered by dropping the connection."""
        with self._lock:
            return self._rng.random() < self._settings["drop_after_commit_rate"]


class Stats:
    """Counts of /sharing/rest requests since start or the last reset."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._requests = 0
            self._writes = 0
            self._commits = 0
            self._by_route: dict[str, int] = {}
            self._first_write: float | None = None  # monotonic time the first write arrived
            self._last_commit: float | None = None  # ... and the last change was committed

    def count(self, route: str, *, write: bool) -> None:
        with self._lock:
            self._requests += 1
            self._writes += int(write)
            if write and self._first_write is None:
                self._first_write = time.monotonic()
            self._by_route[route] = self._by_route.get(route, 0) + 1

    def count_commit(self) -> None:
        with self._lock:
            self._commits += 1
            self._last_commit = time.monotonic()

    def as_json(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self._requests,
                "writes": self._writes,
                "commits": self._commits,
                "by_route": dict(sorted(self._by_route.items())),
                # Seconds from the first write's arrival to the last commit: the write phase
                # of an apply as the portal saw it (benchmarks/bench.py); null without writes.
                "write_span_s": (
                    round(self._last_commit - self._first_write, 4)
                    if self._first_write is not None and self._last_commit is not None
                    else None
                ),
            }
