"""The checked configuration: :class:`Config`, as :func:`~taskform.config.loader.load_config`
returns it, and what it can do once the signed-in user is known (owners filled in and spelt as
the portal spells them) and its digest (to tell whether a saved plan was made from it)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from taskform import secrets
from taskform.errors import ConfigError, Problem
from taskform.model import (
    LIFECYCLE_DEFAULTS,
    AbsentTask,
    Declared,
    DesiredTask,
    Position,
    made,
    present,
)
from taskform.schedule.hashing import uses_hash
from taskform.schedule.zones import compile_schedule


@dataclass(frozen=True)
class Config:
    """The whole configuration, checked. A task's ``owner`` ``""`` means the signed-in user
    until :meth:`resolve_owner` fills it in.

    ``owner`` is the default owner if every file agrees on one (a file without ``owner``
    stands for the signed-in user), else None; each task already carries its file's owner.
    """

    portal: str | None
    owner: str | None
    prune: bool
    tasks: tuple[Declared, ...]
    files: tuple[str, ...]
    #: Owners named by a file's top-level ``owner:`` (a file with ``tasks: []`` and
    #: ``prune: true`` still manages its owner).
    file_owners: tuple[str, ...] = ()
    #: The owners of the files that set ``prune: true`` (``""``: the signed-in user): prune
    #: deletes only their undeclared tasks, never those of another file's owners.
    prune_owners: tuple[str, ...] = ()
    #: The clock schedules with a ``timezone`` were compiled with (``load_config(now=)``).
    compiled_at: datetime | None = None
    #: Tasks declared present whose schedule comes from the environment and was left
    #: unresolved (``resolve=False``, offline ``validate``): counted, in no list of tasks.
    unresolved: int = 0

    @property
    def present(self) -> list[DesiredTask]:
        """The tasks declared present, in file order."""
        return present(self.tasks)

    def resolve_owner(self, user: str) -> Config:
        """This configuration with ``user`` as the owner of every task that names none (an
        ``H`` schedule of such a task is hashed again, with that owner).

        Raises :class:`ConfigError` if that makes two tasks share (owner, title)."""
        return self.rename_owners(lambda owner: owner or user)

    def rename_owners(self, spell: Callable[[str], str]) -> Config:
        """This configuration with every owner (tasks, files, prune) replaced by ``spell(owner)``:
        how the signed-in user fills in ``""`` (an ``H`` schedule of such a task is hashed
        again, with that owner) and owners take the portal's spelling.

        Raises :class:`ConfigError` if that makes two tasks share (owner, title)."""
        owners = {t.owner for t in self.tasks} | set(self.file_owners) | set(self.prune_owners)
        if self.owner:
            owners.add(self.owner)
        names = {owner: spell(owner) for owner in owners}
        if all(name == owner for owner, name in names.items()):
            return self  # nothing renamed (the loader has already refused duplicates)
        tasks = tuple(
            t
            if names[t.owner] == t.owner
            else _with_owner(t, names[t.owner], self.compiled_at)
            if t.owner == "" and isinstance(t, DesiredTask)
            else _renamed(t, names[t.owner])
            for t in self.tasks
        )
        problems = [problem for _, problem in duplicates(tasks)]
        if problems:
            raise ConfigError(problems)
        return dataclasses.replace(
            self,
            tasks=tasks,
            owner=spell(self.owner) if self.owner else self.owner,
            file_owners=tuple(dict.fromkeys(spell(o) for o in self.file_owners)),
            prune_owners=tuple(dict.fromkeys(spell(o) for o in self.prune_owners)),
        )

    def owners(self) -> tuple[str, ...]:
        """The distinct owners of the declared tasks (absent ones included), in file order."""
        return tuple(dict.fromkeys(t.owner for t in self.tasks))

    def digest(self) -> str:
        """sha256 (hex) of the desired state, secret values included, to notice changes
        between plan and apply. Positions, file names and task order do not count."""
        tasks = sorted((_task_state(t) for t in self.tasks), key=lambda t: (t["owner"], t["title"]))
        state = {
            "portal": self.portal,
            "owner": self.owner,
            "prune": self.prune,
            "prune_owners": sorted(self.prune_owners),
            "tasks": tasks,
        }
        text = json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _with_owner(task: DesiredTask, user: str, now: datetime | None) -> DesiredTask:
    if task.schedule is not None and uses_hash(task.schedule):
        zone = task.timezone
        cron = compile_schedule(
            task.schedule, owner=user, title=task.title, zone=zone, now=now
        ).fields
        return dataclasses.replace(task, owner=user, cron=cron)
    return _renamed(task, user)


T = TypeVar("T", bound=Declared)


def _renamed(task: T, owner: str) -> T:
    """``dataclasses.replace(task, owner=owner)`` without running ``__init__`` again: the task
    was checked when it was made and its owner's name changes nothing else. A tenth of the
    cost, which counts when every one of 10,000 tasks takes the signed-in user's name."""
    return made(type(task), {**vars(task), "owner": owner})


def _task_state(task: Declared) -> dict[str, Any]:
    if isinstance(task, AbsentTask):
        # The keys and values a present task's state has, so digests stay what they were.
        return {
            **_ABSENT_STATE,
            "owner": task.owner,
            "title": task.title,
            "lifecycle": dict(LIFECYCLE_DEFAULTS),
        }
    state = {
        f.name: getattr(task, f.name)
        for f in dataclasses.fields(task)
        if f.name not in ("position", "owner_position")  # where it was written: not state
    }
    state["absent"] = False
    state["cron"] = task.cron.as_portal()
    state["secrets"] = sorted(task.secrets)
    # Secret values stay out of the digest (it is stored in plan files, where a weak secret
    # could be guessed from it); a changed secret still makes a saved plan stale, because the
    # fresh plan then shows the secret as changed where the saved one did not.
    state["parameters"] = secrets.mask_declared(task.parameters, task.secrets)
    state["lifecycle"] = dict(task.lifecycle)
    return state


_ABSENT_STATE: dict[str, Any] = {
    "absent": True,
    "active": True,
    "cron": None,
    "end_date": None,
    "item_id": None,
    "max_occurrences": None,
    "parameters": {},
    "renamed_from": None,
    "schedule": None,
    "secrets": [],
    "start_date": None,
    "task_url": None,
    "timezone": None,
    "type": None,
}


def duplicates(tasks: Iterable[Declared]) -> list[tuple[str, Problem]]:
    """A problem for each task whose (owner, title) an earlier task already has."""
    first: dict[tuple[str, str], Declared] = {}
    problems = []
    for task in tasks:
        earlier = first.setdefault(task.key, task)
        if earlier is task:
            continue
        who = f"owner '{task.owner}'" if task.owner else "the signed-in user"
        where = task.position or Position("?")
        message = f"duplicate task '{task.title}' for {who} (also at {earlier.position})"
        hint = "titles must be unique per owner; rename one of them"
        problems.append((where.file, Problem(where.file, where.line, message, hint)))
    return problems
