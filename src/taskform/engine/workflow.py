"""The steps every command shares: resolve owners, read live, make the plan.

Works through the :class:`~taskform.engine.model.Portal` protocol only, so the same code runs
against the REST client and against the in-memory fakes of the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from taskform.engine.config import Config
from taskform.engine.model import LiveTask, Plan, Portal, Run
from taskform.engine.planner import make_plan


@dataclass(frozen=True)
class Snapshot:
    """The configuration with owners resolved, the live tasks of every managed owner, and
    the plan between them."""

    config: Config
    user: str
    owners: tuple[str, ...]
    live: dict[str, list[LiveTask]]
    plan: Plan


def managed_owners(config: Config, user: str) -> tuple[str, ...]:
    """Owners whose tasks this configuration manages (and ``prune`` may delete from): every
    declared task's owner, the configured default owner, and the signed-in user when the
    configuration declares no task at all (an empty list with ``prune: true`` means "none").

    A configuration whose files all name other owners never touches the signed-in user's tasks.
    """
    owners = set(config.owners())
    if config.owner:
        owners.add(config.owner)
    elif not config.tasks:
        owners.add(user)
    return tuple(sorted(owners))


def snapshot(config: Config, portal: Portal, *, now: datetime | None = None) -> Snapshot:
    user = portal.signed_in_user()
    resolved = config.resolve_owner(config.owner or user)
    owners = managed_owners(resolved, user)
    live = portal.list_tasks(owners)
    plan = make_plan(resolved.tasks, live, prune=resolved.prune, managed_owners=owners, now=now)
    return Snapshot(config=resolved, user=user, owners=owners, live=live, plan=plan)


def read_runs(
    portal: Portal, tasks: Sequence[LiveTask], *, concurrency: int = 4
) -> dict[str, list[Run]]:
    """Runs of each task by task id, read concurrently (the runs endpoint is per task)."""
    if not tasks:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="runs") as pool:
        results = pool.map(lambda t: portal.list_runs(t.owner, t.id), tasks)
        return {task.id: runs for task, runs in zip(tasks, results, strict=True)}
