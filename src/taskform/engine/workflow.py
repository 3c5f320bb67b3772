"""The steps every command shares: resolve owners, read live, make the plan.

Works through the :class:`~taskform.engine.model.Portal` protocol only, so the same code runs
against the REST client and against the in-memory fakes of the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from taskform.engine.config import Config
from taskform.engine.model import LiveTask, Plan, Portal
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
    """Owners whose tasks this configuration manages: every declared task's owner, and the
    default owner (the configured one, else the signed-in user)."""
    owners = set(config.owners())
    owners.add(config.owner or user)
    return tuple(sorted(owners))


def snapshot(config: Config, portal: Portal, *, now: datetime | None = None) -> Snapshot:
    user = portal.signed_in_user()
    resolved = config.resolve_owner(config.owner or user)
    owners = managed_owners(resolved, user)
    live = portal.list_tasks(owners)
    plan = make_plan(
        resolved.tasks, live, prune=resolved.prune, managed_owners=owners, now=now
    )
    return Snapshot(config=resolved, user=user, owners=owners, live=live, plan=plan)
