"""The values the engine works with: desired tasks, live tasks, changes and plans.

Everything here is immutable and free of I/O. The portal client turns REST JSON into
:class:`LiveTask`; the config loader turns YAML into :class:`DesiredTask`; the planner turns
both into a :class:`Plan`; the applier executes a plan through any :class:`Portal`.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


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
        return cls(
            minute=str(data.get("minute", "")),
            hour=str(data.get("hour", "")),
            day_of_month=str(data.get("dayOfMonth", "")),
            month=str(data.get("month", "")),
            day_of_week=str(data.get("dayOfWeek", "")),
        )


@dataclass(frozen=True)
class DesiredTask:
    """A task as declared in the configuration, fully resolved (env and secrets substituted).

    ``parameters`` holds the real values, secrets included; ``secrets`` names the dotted
    parameter paths (``notebookParameters.api_key``) whose values must never be shown.
    ``max_occurrences`` ``None`` means "not managed": created without it, kept as live on update.
    """

    owner: str
    title: str
    type: str | None = None
    item_id: str | None = None
    schedule: str | None = None
    cron: CronFields | None = None
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
    absent: bool = False
    lifecycle: Mapping[str, str] = field(default_factory=lambda: dict(LIFECYCLE_DEFAULTS))
    position: Position | None = None
    #: Where the owner is named: the task's ``owner:``, else its file's (None: the signed-in user).
    owner_position: Position | None = field(default=None, compare=False)
    #: ``renamed_from``: the live task with this title (same owner) is this task, renamed.
    renamed_from: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return identity(self.owner, self.title)


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


class Action(str, enum.Enum):
    """What a change does; the value is the name used in plan JSON."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    #: A change the portal cannot make in place (a new ``type``): delete, then create.
    REPLACE = "replace"

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "delete": "-", "replace": "-/+"}[self.value]


@dataclass(frozen=True)
class FieldChange:
    """One field's before and after. For secret fields both values are already masked."""

    before: Any
    after: Any
    secret: bool = False


class Op(str, enum.Enum):
    """One portal write. The applier runs them in this order: disable, delete, create, update,
    enable (a created task that should be inactive is disabled right after its create)."""

    DISABLE = "disable"
    DELETE = "delete"
    CREATE = "create"
    UPDATE = "update"
    ENABLE = "enable"


class Reason(str, enum.Enum):
    """Why the planner made a change, where the action alone does not say it.

    Each member is ``NAME = "value", "note template"``: the value is a stable name (for code and
    tests), the template gives :attr:`Change.note`. Templates may use ``{state}`` (the words of
    :attr:`Change.state`), ``{key}`` (its ``lifecycle`` key) and ``{detail}``
    (:attr:`Change.detail`). Adding a reason is adding one member here.
    """

    template: str

    def __new__(cls, value: str, template: str) -> Reason:
        member = str.__new__(cls, value)
        member._value_ = value
        member.template = template
        return member

    #: A task declared ``absent: true`` that still exists.
    DECLARED_ABSENT = "declared_absent", "declared absent"
    #: A live task of a managed owner that the configuration does not declare, with prune on.
    PRUNED = "pruned", "not in the configuration; prune is on"
    #: Enabling a task the portal or a person switched off, because its lifecycle policy says so.
    LIFECYCLE_ENABLE = "lifecycle_enable", "{state}; lifecycle.{key} = enable"
    #: A newer copy of a declared task identical to the oldest one (two applies at once, a
    #: retried create): deleted, the oldest kept. ``detail``: the kept task's id.
    DUPLICATE = "duplicate", "a newer identical copy of {detail}; the oldest copy is kept"
    #: A copy this apply made at the same time as another run (found after the writes).
    CONCURRENT_COPY = (
        "concurrent_copy",
        "a copy made by two applies at once; the oldest ({detail}) is kept",
    )
    #: A change the portal cannot make in place (the type): delete, then create.
    REPLACE = (
        "replace",
        "the portal cannot change a task's type in place: it is deleted and created again "
        "(new id, run history lost)",
    )
    #: ``renamed_from``: the live task with the old title gets the new one. ``detail``: old.
    RENAMED = "renamed", "renamed from {detail} (renamed_from); same task id, run history kept"

    def note(self, state: LifecycleState | None = None, detail: str = "") -> str:
        """The note text for this reason; a ``detail`` its template does not place is
        appended after a colon, so it is never lost."""
        text = self.template.format(
            state=state.words if state else "",
            key=state.policy_key if state else "",
            detail=detail,
        )
        if detail and "{detail}" not in self.template:
            text = f"{text}: {detail}"
        return text


@dataclass(frozen=True)
class ScheduleSummary:
    """What a created or rescheduled task's schedule means, for the plan: the schedule in words,
    runs per week before and after (``None`` before: a create), and for a reschedule the runs
    the next 14 days gain and lose (the first few of each, and how many in all). For a task with
    a ``timezone``: the zone, and ``offset_note`` about the zone's UTC offset (a re-alignment
    after a change of offset, and when the next change is due)."""

    description: str
    runs_per_week_before: float | None
    runs_per_week_after: float
    description_before: str | None = None
    added: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()
    added_count: int = 0
    removed_count: int = 0
    timezone: str | None = None
    offset_note: str | None = None


@dataclass(frozen=True)
class Change:
    """A change to one task. ``fields`` keys are config names; parameters use dotted paths
    (``parameters.notebookParameters.region``). ``reason`` says why the change was made where
    the action alone does not (its text is :attr:`note`); ``state`` is the lifecycle state of
    the live task when that matters to the reason; ``detail`` is free text a reason's note may
    include (never compared by code)."""

    action: Action
    owner: str
    title: str
    task_id: str | None
    fields: Mapping[str, FieldChange]
    desired: DesiredTask | None = field(default=None, compare=False, repr=False)
    live: LiveTask | None = field(default=None, compare=False, repr=False)
    fingerprint: str | None = None
    next_runs: tuple[int, ...] = ()
    reason: Reason | None = None
    state: LifecycleState | None = None
    detail: str = ""
    schedule: ScheduleSummary | None = None

    @property
    def note(self) -> str | None:
        """The human explanation of :attr:`reason`, or None."""
        return None if self.reason is None else self.reason.note(self.state, self.detail)

    @property
    def key(self) -> tuple[str, str]:
        return identity(self.owner, self.title)

    @property
    def ops(self) -> tuple[Op, ...]:
        """The portal writes this change needs, in execution order."""
        if self.action is Action.DELETE:
            return (Op.DELETE,)
        if self.action is Action.REPLACE:
            inactive = self.desired is not None and not self.desired.active
            return (Op.DELETE, Op.CREATE, Op.DISABLE) if inactive else (Op.DELETE, Op.CREATE)
        if self.action is Action.CREATE:
            inactive = self.desired is not None and not self.desired.active
            return (Op.CREATE, Op.DISABLE) if inactive else (Op.CREATE,)
        ops: list[Op] = []
        active = self.fields.get("active")
        if active is not None and active.after is False:
            ops.append(Op.DISABLE)
        if any(name != "active" for name in self.fields):
            ops.append(Op.UPDATE)
        if active is not None and active.after is True:
            ops.append(Op.ENABLE)
        return tuple(ops)


@dataclass(frozen=True)
class Blocked:
    """A declared task taskform leaves alone this run, and why (two differing live copies of
    its title, a GP service whose description cannot be read). Every other task goes on;
    the command exits 1 at the end."""

    owner: str
    title: str
    message: str
    task_ids: tuple[str, ...] = ()
    position: Position | None = None

    @property
    def key(self) -> tuple[str, str]:
        return identity(self.owner, self.title)


@dataclass(frozen=True)
class Plan:
    """The difference between the configuration and the portal, as data.

    ``live_counts`` is the number of live tasks per owner (the portal's spelling), for the
    delete safety limit."""

    changes: tuple[Change, ...]
    unchanged: int = 0
    unmanaged: tuple[LiveTask, ...] = ()
    warnings: tuple[str, ...] = ()
    live_counts: Mapping[str, int] = field(default_factory=dict)
    blocked: tuple[Blocked, ...] = ()
    #: Declared tasks that are not live (creates), as ``(owner, title)``: what status lists as
    #: missing.
    missing: tuple[tuple[str, str], ...] = ()

    @property
    def summary(self) -> dict[str, int]:
        """``create``, ``update``, ``delete``, ``unchanged`` always; ``replace`` and
        ``blocked`` when there are any (additive keys of the plan JSON)."""
        counts = {"create": 0, "update": 0, "delete": 0, "replace": 0}
        for change in self.changes:
            counts[change.action.value] += 1
        if not counts["replace"]:
            del counts["replace"]
        result = {**counts, "unchanged": self.unchanged}
        if self.blocked:
            result["blocked"] = len(self.blocked)
        return result

    @property
    def empty(self) -> bool:
        return not self.changes

    def exit_code(self, *, detailed: bool = False) -> int:
        """``plan``'s exit code: 0; with ``--detailed-exitcode`` 2 when there are changes; 1
        when tasks are blocked (everything else is planned, and the plan lists them)."""
        if self.blocked:
            return 1
        return 2 if detailed and self.changes else 0


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


class Outcome(str, enum.Enum):
    """What happened to one change during apply."""

    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"
    #: Not written by this run: the portal already matched (another run made the change).
    CONVERGED = "converged"


@dataclass(frozen=True)
class TaskResult:
    """The result of applying one change. ``message`` holds the portal's error for failures
    and the reason for skips; ``task_id`` is the id after apply (new id for creates)."""

    change: Change
    outcome: Outcome
    message: str = ""
    task_id: str | None = None


@dataclass(frozen=True)
class ApplyReport:
    """Every change's result, in plan order. ``interrupted`` is set after Ctrl-C."""

    results: tuple[TaskResult, ...]
    interrupted: bool = False

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def ok(self) -> bool:
        done = (Outcome.APPLIED, Outcome.CONVERGED)
        return not self.interrupted and all(r.outcome in done for r in self.results)

    @property
    def exit_code(self) -> int:
        """``apply``'s exit code: 0 everything applied, 130 interrupted, 1 any failure."""
        if self.interrupted:
            return 130
        return 0 if self.ok else 1
