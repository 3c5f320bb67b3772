"""The jobs the emulator runs and how they end, derived from the emulator clock.

A job does not run anywhere: its state is computed from the clock whenever it is read, so
nothing happens between requests and a fixed clock (``POST /__emulator/clock``) freezes every
job where it is. Over ``duration_s`` a job reads:

=========================  ==========================  ===================================
share of the duration      Notebook Server ``status``  GP ``jobStatus``
=========================  ==========================  ===================================
first 10% (at most 1 s)    ``SUBMITTED``               ``esriJobSubmitted``
until the end              ``PROCESSING`` + percent    ``esriJobExecuting``
after the end              ``COMPLETED`` / ``FAILED``  ``esriJobSucceeded`` / ``esriJobFailed``
cancelled                  ``FAILED``, isCancelled     ``esriJobCancelling`` (0.5 s), then
                                                       ``esriJobCancelled``
=========================  ==========================  ===================================

How a job ends is its *outcome*, taken when the job starts from ``POST /__emulator/outcomes``
for its notebook item or GP task (default: succeeded after 5 s with the messages a real
server writes). Jobs live in memory only, at most ``MAX_JOBS`` (the oldest finished ones go).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

DEFAULT_DURATION_S = 5.0
MAX_DURATION_S = 24 * 3600.0
MAX_JOBS = 2000
SUBMITTED_SHARE, SUBMITTED_MAX_MS = 0.1, 1000
CANCELLING_MS = 500
MESSAGE_TYPES = {
    "informative": "esriJobMessageTypeInformative",
    "warning": "esriJobMessageTypeWarning",
    "error": "esriJobMessageTypeError",
}


class OutcomeError(ValueError):
    """A POST /__emulator/outcomes body that is not acceptable."""


@dataclass(frozen=True)
class Outcome:
    status: str = "succeeded"  # succeeded | failed
    messages: tuple[tuple[str, str], ...] | None = None  # (type, text); None: the defaults
    duration_ms: int = int(DEFAULT_DURATION_S * 1000)


@dataclass
class Job:
    id: str
    kind: str  # "notebook" | "gp"
    key: str  # outcome key: "item:<id>" or "task:<path>"
    username: str
    submitted: int  # emulator clock, epoch ms
    outcome: Outcome
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()  # GP result parameter names
    cancelled: int | None = None  # emulator clock when cancel arrived

    @property
    def end(self) -> int:
        return self.submitted + self.outcome.duration_ms

    def phase(self, now: int) -> str:
        """submitted | running | cancelling | cancelled | succeeded | failed"""
        if self.cancelled is not None:
            return "cancelling" if now < self.cancelled + CANCELLING_MS else "cancelled"
        elapsed = now - self.submitted
        if elapsed >= self.outcome.duration_ms:
            return self.outcome.status
        if elapsed < min(SUBMITTED_MAX_MS, self.outcome.duration_ms * SUBMITTED_SHARE):
            return "submitted"
        return "running"

    def finished_at(self) -> int:
        """When the job ended (or will end) on the emulator clock."""
        if self.cancelled is not None:
            return min(self.end, self.cancelled + CANCELLING_MS)
        return self.end

    def percent(self, now: int) -> int:
        span = max(self.outcome.duration_ms, 1)
        return max(0, min(99, (now - self.submitted) * 100 // span))


def task_key(url_or_path: str) -> str:
    """The outcome key of a GP task: its URL's path, slashes collapsed, no trailing slash
    (the emulator serves any host's paths, so the host does not matter)."""
    path = urlsplit(url_or_path).path if "://" in url_or_path else url_or_path
    return "task:" + (re.sub(r"/{2,}", "/", "/" + path).rstrip("/") or "/")


def item_key(item_id: str) -> str:
    return "item:" + item_id.lower()


def parse_outcome(body: Any) -> tuple[str, Outcome]:
    """``{"item_id"|"task_url": ..., "status", "messages"?, "duration_s"?}`` -> (key, outcome)."""
    if not isinstance(body, dict):
        raise OutcomeError("body must be a JSON object")
    unknown = set(body) - {"item_id", "task_url", "status", "messages", "duration_s"}
    if unknown:
        raise OutcomeError(f"unknown keys: {', '.join(sorted(unknown))}")
    item, task = body.get("item_id"), body.get("task_url")
    if (item is None) == (task is None):
        raise OutcomeError("give exactly one of item_id and task_url")
    if not isinstance(item or task, str) or not (item or task):
        raise OutcomeError("item_id / task_url must be a non-empty string")
    status = body.get("status", "succeeded")
    if status not in ("succeeded", "failed"):
        raise OutcomeError("status must be succeeded or failed")
    duration = body.get("duration_s", DEFAULT_DURATION_S)
    if isinstance(duration, bool) or not isinstance(duration, (int, float)):
        raise OutcomeError("duration_s must be a number of seconds")
    if not 0 <= duration <= MAX_DURATION_S:
        raise OutcomeError(f"duration_s must be between 0 and {MAX_DURATION_S:g}")
    messages = body.get("messages")
    parsed: tuple[tuple[str, str], ...] | None = None
    if messages is not None:
        if not isinstance(messages, list):
            raise OutcomeError("messages must be a list")
        default_type = "error" if status == "failed" else "informative"
        parsed = tuple(_message(m, default_type) for m in messages)
    key = item_key(item) if isinstance(item, str) else task_key(str(task))
    return key, Outcome(status, parsed, int(duration * 1000))


def _message(raw: Any, default_type: str) -> tuple[str, str]:
    if isinstance(raw, str):
        return default_type, raw
    if isinstance(raw, dict) and isinstance(raw.get("description"), str):
        kind = raw.get("type", default_type)
        for short, esri in MESSAGE_TYPES.items():
            if kind in (short, esri):
                return short, raw["description"]
        raise OutcomeError(f"message type must be one of {', '.join(MESSAGE_TYPES)}")
    raise OutcomeError('a message is a string or {"type": ..., "description": ...}')


class JobBoard:
    """Every job by id, and the outcome to give new jobs by key. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._outcomes: dict[str, Outcome] = {}
        #: POST /__emulator/servers: where portals/self/servers says the notebook server is
        self.notebook_server: str | None = None
        #: ... and which other servers it lists as federated (GP servers elsewhere)
        self.federated: tuple[str, ...] = ()

    def set_outcome(self, key: str, outcome: Outcome) -> None:
        with self._lock:
            self._outcomes[key] = outcome

    def outcome_for(self, key: str) -> Outcome:
        with self._lock:
            return self._outcomes.get(key, Outcome())

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
            self._outcomes.clear()
            self.notebook_server = None
            self.federated = ()

    def start(
        self,
        kind: str,
        key: str,
        username: str,
        now: int,
        *,
        inputs: dict[str, Any] | None = None,
        outputs: tuple[str, ...] = (),
    ) -> Job:
        job = Job(
            id="j" + uuid.uuid4().hex,
            kind=kind,
            key=key,
            username=username,
            submitted=now,
            outcome=self.outcome_for(key),
            inputs=dict(inputs or {}),
            outputs=outputs,
        )
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_JOBS:
                self._jobs.popitem(last=False)
        return job

    def get(self, job_id: str, kind: str | None = None) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
        return job if job is not None and kind in (None, job.kind) else None

    def all(self) -> list[Job]:
        with self._lock:
            return list(self._jobs.values())

    def cancel(self, job: Job, now: int) -> None:
        with self._lock:
            if job.cancelled is None and job.phase(now) in ("submitted", "running"):
                job.cancelled = now


def messages_of(job: Job, now: int) -> list[tuple[str, str]]:
    """(type, text) messages the job has written by ``now``."""
    phase = job.phase(now)
    if phase == "submitted":
        return [("informative", "Submitted.")] if job.kind == "gp" else []
    started = [("informative", "Executing...")] if job.kind == "gp" else []
    if phase == "running":
        return started
    if phase in ("cancelling", "cancelled"):
        return [*started, ("warning", "Cancel requested; the job was cancelled.")]
    custom = job.outcome.messages
    if custom is not None:
        return [*started, *custom]
    if job.kind == "notebook":
        base = f"/arcgis/home/.tasks/{job.id}"
        item = job.inputs.get("itemId", "notebook")
        common = [
            ("informative", f"Input Notebook Path: {base}/{item}.ipynb"),
            ("informative", f"Output Notebook Path: {base}/output.ipynb"),
        ]
        if phase == "failed":
            return [*common, ("error", "Failed to execute the notebook.")]
        return [*common, ("informative", "Successfully completed.")]
    if phase == "failed":
        return [*started, ("error", "Failed to execute (the task).")]
    return [*started, ("informative", "Succeeded.")]
