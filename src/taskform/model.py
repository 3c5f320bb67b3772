"""The values the engine works with: desired tasks (present or declared absent), live tasks
and the portal they live in.

Everything here is immutable and free of I/O. The portal client turns REST JSON into
:class:`LiveTask`; the config loader turns YAML into :class:`DesiredTask` and
:class:`AbsentTask`; the planner turns both into a :class:`~taskform.changes.Plan`; the applier
executes a plan through any :class:`Portal`.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias, TypeVar


class LifecycleState(str, enum.Enum):
    """Why an inactive live task is inactive, when the portal or a person switched it off.

    One vocabulary: the value is the name in drift output (``taskform drift`` kinds), and
    :attr:`policy_key` is the ``lifecycle`` key of the configuration whose policy applies.
    """

    PAUSED = "paused"
    COMPLETED = "completed"
    DISABLED_BY_FAILURES = "disabled_by_failures"

    @property
    def policy_key(self) -> str:
        """The ``lifecycle`` configuration key for this state."""
        return _POLICY_KEYS[self]

    @property
    def words(self) -> str:
        """How the state reads in a plan note or a warning."""
        return _STATE_WORDS[self]


_POLICY_KEYS: Mapping[LifecycleState, str] = {
    LifecycleState.PAUSED: "paused",
    LifecycleState.COMPLETED: "completed",
    LifecycleState.DISABLED_BY_FAILURES: "disabled",
}
_STATE_WORDS: Mapping[LifecycleState, str] = {
    LifecycleState.PAUSED: "paused in the portal",
    LifecycleState.COMPLETED: "completed in the portal",
    LifecycleState.DISABLED_BY_FAILURES: "switched off by the portal after failed runs",
}

#: What ``lifecycle`` may say, per :attr:`LifecycleState.policy_key`, and the defaults.
#: ``completed`` (max occurrences or end date reached): ``keep`` leaves it alone, ``enable``
#: switches it on again. ``paused`` (a person paused it): ``enable`` re-enables it (the plan shows
#: this), ``keep`` leaves it paused. ``disabled`` (switched off by the portal after repeated
#: failures): ``keep`` leaves it off and reports it, ``enable`` switches it back on.
LIFECYCLE_CHOICES: Mapping[str, tuple[str, ...]] = {
    "completed": ("keep", "enable"),
    "paused": ("enable", "keep"),
    "disabled": ("keep", "enable"),
}
LIFECYCLE_DEFAULTS: Mapping[str, str] = {k: v[0] for k, v in LIFECYCLE_CHOICES.items()}


def identity(owner: str, title: str) -> tuple[str, str]:
    """What makes two tasks the same task: the owner without regard to case (the portal
    matches usernames so) and the title in Unicode NFC (so a title typed on another system,
    with decomposed accents, is the same title). Every ``key`` below is this."""
    return (owner.casefold(), title if title.isascii() else unicodedata.normalize("NFC", title))


_Frozen = TypeVar("_Frozen")


def made(cls: type[_Frozen], values: Mapping[str, Any]) -> _Frozen:
    """``cls(**values)`` for a frozen dataclass, without running its ``__init__``: ``values``
    holds every field, already of its type. A frozen ``__init__`` sets each field through
    ``object.__setattr__``; for the 10,000 tasks of a large portal, decoded on every plan,
    that was half of the decoding. Only for values made by code that checked them (the
    codec, a copy of a checked task); anything else goes through ``cls(...)``."""
    instance = object.__new__(cls)
    instance.__dict__.update(values)
    return instance


@dataclass(frozen=True)
class Position:
    """Where something was written: a file and a 1-based line."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class CronFields:
    """The five Quartz-style schedule fields as the portal stores them (``cronSchedule``)."""

    minute: str
    hour: str
    day_of_month: str
    month: str
    day_of_week: str

    def as_portal(self) -> dict[str, str]:
        """The portal's ``cronSchedule`` object / form fields."""
        return {
            "minute": self.minute,
            "hour": self.hour,
            "dayOfMonth": self.day_of_month,
            "month": self.month,
            "dayOfWeek": self.day_of_week,
        }

    @classmethod
    def from_portal(cls, data: Mapping[str, Any]) -> CronFields:
        get = data.get
        return made(
            cls,
            {
                "minute": str(get("minute", "")),
                "hour": str(get("hour", "")),
                "day_of_month": str(get("dayOfMonth", "")),
                "month": str(get("month", "")),
                "day_of_week": str(get("dayOfWeek", "")),
            },
        )


@dataclass(frozen=True, kw_only=True)
class DesiredTask:
    """A task the configuration declares present, fully resolved (env and secrets substituted).

    ``parameters`` holds the real values, secrets included; ``secrets`` names the dotted
    parameter paths (``notebookParameters.api_key``) whose values must never be shown.
    ``max_occurrences`` ``None`` means "not managed": created without it, kept as live on update.
    """

    owner: str
    title: str
    type: str
    #: The schedule compiled to the portal's fields (UTC).
    cron: CronFields
    item_id: str | None = None
    #: The schedule as written (None: a task made in code from ``cron`` alone).
    schedule: str | None = None
    #: IANA zone the schedule is written in (wall time); None means UTC. ``cron`` is then the
    #: schedule compiled to UTC with the offset in force at the task's next run.
    timezone: str | None = None
    max_occurrences: int | None = None
    active: bool = True
    start_date: int | None = None
    end_date: int | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    task_url: str | None = None
    secrets: frozenset[str] = frozenset()
    lifecycle: Mapping[str, str] = field(default_factory=lambda: dict(LIFECYCLE_DEFAULTS))
    position: Position | None = None
    #: Where the owner is named: the task's ``owner:``, else its file's (None: the signed-in user).
    owner_position: Position | None = field(default=None, compare=False)
    #: ``renamed_from``: the live task with this title (same owner) is this task, renamed.
    renamed_from: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return identity(self.owner, self.title)


@dataclass(frozen=True, kw_only=True)
class AbsentTask:
    """A task the configuration declares ``absent: true``: it is meant not to exist, so it has
    nothing but its identity (the planner deletes every live copy of it)."""

    owner: str
    title: str
    position: Position | None = None
    owner_position: Position | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return identity(self.owner, self.title)


#: A task as the configuration declares it: present, or absent.
Declared: TypeAlias = DesiredTask | AbsentTask


def present(tasks: Iterable[Declared]) -> list[DesiredTask]:
    """The tasks declared present, in order (the absent ones left out)."""
    return [task for task in tasks if isinstance(task, DesiredTask)]


@dataclass(frozen=True)
class LiveTask:
    """A task as the portal returned it, decoded but not normalised.

    ``raw`` is the task object exactly as received (used for fingerprints and export).
    """

    id: str
    owner: str
    title: str
    type: str
    cron: CronFields
    item_id: str | None = None
    max_occurrences: int | None = None
    active: bool = True
    task_state: str | None = None
    start_date: int | None = None
    end_date: int | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    task_url: str | None = None
    created: int | None = None
    updated: int | None = None
    next_start: int | None = None
    last_start: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return identity(self.owner, self.title)


@dataclass(frozen=True)
class Run:
    """One run of a task (``GET …/tasks/<id>/runs``)."""

    run_id: str
    status: str
    result: str | None = None
    created: int | None = None
    modified: int | None = None


class Portal(Protocol):
    """What the engine needs from a portal. The REST client and the test fakes implement it.

    Every method raises :class:`taskform.errors.PortalError` (or a subclass) on failure.
    """

    def signed_in_user(self) -> str:
        """The username the credentials belong to."""
        ...

    def list_tasks(self, owners: Sequence[str]) -> dict[str, list[LiveTask]]:
        """Every task of each owner, read with as few requests as possible."""
        ...

    def create_task(self, task: DesiredTask) -> str:
        """Create the task; returns its id. Must not create a duplicate on retry."""
        ...

    def update_task(self, task_id: str, task: DesiredTask, live: LiveTask) -> None:
        """Replace every field of the task with the desired ones (a full update)."""
        ...

    def set_active(self, owner: str, task_id: str, active: bool) -> None:
        """Enable or disable the task."""
        ...

    def delete_task(self, owner: str, task_id: str) -> None:
        """Delete the task; a task that is already gone counts as deleted."""
        ...

    def list_runs(self, owner: str, task_id: str) -> list[Run]:
        """The task's recent runs, newest first."""
        ...

    def active_available(self, owner: str, task_type: str) -> int | None:
        """How many more active tasks of ``task_type`` ``owner`` may have, as the portal
        says (``activeTasksAvailable`` of the owner's task list), or None when it does not."""
        ...

    def headroom_unknown(self, owner: str) -> bool:
        """Whether ``owner``'s tasks were read from a list that does not tell the owner's
        active-task headroom (the org-wide task list), so :meth:`active_available` cannot."""
        ...
