"""A job's status in one vocabulary, whatever server it runs on.

Notebook Server (seed 001): ``SUBMITTED | PROCESSING | COMPLETED | FAILED`` (+ ``isCancelled``).
GP (seed 004): ``esriJobNew | esriJobSubmitted | esriJobWaiting | esriJobExecuting |
esriJobSucceeded | esriJobFailed | esriJobTimedOut | esriJobCancelling | esriJobCancelled``.
Both map to :class:`State`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class State(str, enum.Enum):
    SUBMITTED = "submitted"
    RUNNING = "running"
    CANCELLING = "cancelling"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed out"  # the server's own time limit (esriJobTimedOut)
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in FINAL


FINAL = frozenset({State.SUCCEEDED, State.FAILED, State.TIMED_OUT, State.CANCELLED})


@dataclass(frozen=True)
class Message:
    type: str  # informative | warning | error
    text: str


@dataclass(frozen=True)
class JobRef:
    """A started job: what kind, its id, the URL its status is read from."""

    kind: str  # "notebook" | "gp"
    job_id: str
    url: str


@dataclass(frozen=True)
class JobStatus:
    state: State
    raw: str  # the server's own word (PROCESSING, esriJobExecuting, ...)
    percent: int | None = None
    progress_message: str | None = None
    messages: tuple[Message, ...] = ()
    results: tuple[tuple[str, str], ...] = ()  # (parameter name, absolute URL)
    started: int | None = None  # epoch ms, when the server says
    ended: int | None = None
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def errors(self) -> tuple[Message, ...]:
        return tuple(m for m in self.messages if m.type == "error")


NOTEBOOK_STATES = {
    "SUBMITTED": State.SUBMITTED,
    "PROCESSING": State.RUNNING,
    "COMPLETED": State.SUCCEEDED,
    "FAILED": State.FAILED,
}
GP_STATES = {
    "esriJobNew": State.SUBMITTED,
    "esriJobSubmitted": State.SUBMITTED,
    "esriJobWaiting": State.SUBMITTED,
    "esriJobExecuting": State.RUNNING,
    "esriJobSucceeded": State.SUCCEEDED,
    "esriJobFailed": State.FAILED,
    "expectedFailure": State.FAILED,
    "esriJobTimedOut": State.TIMED_OUT,
    "esriJobCancelling": State.CANCELLING,
    "esriJobCancelled": State.CANCELLED,
    "esriJobDeleting": State.CANCELLED,
    "esriJobDeleted": State.CANCELLED,
}
GP_MESSAGE_TYPES = {
    "esriJobMessageTypeInformative": "informative",
    "esriJobMessageTypeWarning": "warning",
    "esriJobMessageTypeError": "error",
    "esriJobMessageTypeEmpty": "informative",
    "esriJobMessageTypeAbort": "error",
}
