"""What the planner says apply must do: :class:`Plan`, its changes, and what applying them did.

A change is one of four types, so mypy knows what each carries: :class:`Create` (the desired
task; no task id yet), :class:`Update` (task id, desired and live), :class:`Delete` (task id and
the live task) and :class:`Replace` (task id, desired and live: delete, then create). A fifth,
:class:`Recorded`, is a change read back from a plan file (``taskform show``): what the file
says and nothing more. :data:`Change` is their union; ``action`` names the type (plan JSON).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeAlias

from taskform.model import DesiredTask, LifecycleState, LiveTask, Position, identity


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
    after a change of offset, and when the next change is due). ``paused``: the task is
    declared ``active: false``, so the runs counted are those it makes once enabled."""

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
    paused: bool = False


@dataclass(frozen=True, kw_only=True)
class _Common:
    """What every change has. ``fields`` keys are config names; parameters use dotted paths
    (``parameters.notebookParameters.region``). ``reason`` says why the change was made where
    the action alone does not (its text is :attr:`note`); ``state`` is the lifecycle state of
    the live task when that matters to the reason; ``detail`` is free text a reason's note may
    include (never compared by code)."""

    owner: str
    title: str
    fields: Mapping[str, FieldChange]
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


@dataclass(frozen=True, kw_only=True)
class Create(_Common):
    """A declared task that is not live: created (then disabled, if declared inactive)."""

    action: ClassVar[Literal[Action.CREATE]] = Action.CREATE
    desired: DesiredTask = field(compare=False, repr=False)

    @property
    def task_id(self) -> None:
        """A task to create has no id until the portal gives it one."""
        return None

    @property
    def ops(self) -> tuple[Op, ...]:
        """The portal writes this change needs, in execution order."""
        return (Op.CREATE,) if self.desired.active else (Op.CREATE, Op.DISABLE)


@dataclass(frozen=True, kw_only=True)
class Update(_Common):
    """A live task changed in place to match its declaration (fields, activity, title)."""

    action: ClassVar[Literal[Action.UPDATE]] = Action.UPDATE
    task_id: str
    desired: DesiredTask = field(compare=False, repr=False)
    live: LiveTask = field(compare=False, repr=False)

    @property
    def ops(self) -> tuple[Op, ...]:
        """The portal writes this change needs, in execution order."""
        ops: list[Op] = []
        active = self.fields.get("active")
        if active is not None and active.after is False:
            ops.append(Op.DISABLE)
        if any(name != "active" for name in self.fields):
            ops.append(Op.UPDATE)
        if active is not None and active.after is True:
            ops.append(Op.ENABLE)
        return tuple(ops)


@dataclass(frozen=True, kw_only=True)
class Delete(_Common):
    """A live task deleted (declared absent, pruned, a duplicate copy)."""

    action: ClassVar[Literal[Action.DELETE]] = Action.DELETE
    task_id: str
    live: LiveTask = field(compare=False, repr=False)

    @property
    def ops(self) -> tuple[Op, ...]:
        """The portal writes this change needs, in execution order."""
        return (Op.DELETE,)


@dataclass(frozen=True, kw_only=True)
class Replace(_Common):
    """A change the portal cannot make in place (a new ``type``): the live task is deleted and
    the desired one created (then disabled, if declared inactive)."""

    action: ClassVar[Literal[Action.REPLACE]] = Action.REPLACE
    task_id: str
    desired: DesiredTask = field(compare=False, repr=False)
    live: LiveTask = field(compare=False, repr=False)

    @property
    def ops(self) -> tuple[Op, ...]:
        """The portal writes this change needs, in execution order."""
        if self.desired.active:
            return (Op.DELETE, Op.CREATE)
        return (Op.DELETE, Op.CREATE, Op.DISABLE)


@dataclass(frozen=True, kw_only=True)
class Recorded(_Common):
    """A change read back from a plan file, for ``taskform show``: its action, note and writes
    are the ones the file recorded (the planner's reasons, desired and live tasks are not
    stored). It is shown, never applied: ``apply PLANFILE`` plans afresh."""

    action: Action
    task_id: str | None
    saved_note: str | None = None
    saved_ops: tuple[Op, ...] = ()

    @property
    def note(self) -> str | None:
        return self.saved_note

    @property
    def ops(self) -> tuple[Op, ...]:
        return self.saved_ops


#: One change of a plan.
Change: TypeAlias = Create | Update | Delete | Replace | Recorded


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
