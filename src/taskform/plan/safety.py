"""The plan's safety limits: the share of an owner's live tasks apply may delete without
``--force`` (docs/design.md §5), and the active tasks a plan adds per owner and task type,
against the portal's active-task limits. Pure: the caller reads ``activeTasksAvailable``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from taskform.changes import Action, Create, Delete, Plan, Replace, Update
from taskform.errors import UnsafePlanError

#: Prune safety rail (docs/design.md §5): refuse to delete more than this share of an owner's live
#: tasks, once the owner has at least MIN_EXISTING of them, unless forced.
MAX_DELETE_SHARE = 0.3
MIN_EXISTING = 10


def safety_problems(plan: Plan) -> list[str]:
    """The owners whose deletes pass the safety limit (docs/design.md §5); a replace deletes too."""
    deletes: dict[str, int] = defaultdict(int)
    for change in plan.changes:
        if change.action in (Action.DELETE, Action.REPLACE):
            deletes[change.owner.casefold()] += 1
    counts = {owner.casefold(): (owner, n) for owner, n in plan.live_counts.items()}
    problems = []
    for folded, count in sorted(deletes.items()):
        owner, existing = counts.get(folded, (folded, 0))
        if existing >= MIN_EXISTING and count > MAX_DELETE_SHARE * existing:
            share = round(100 * count / existing)
            problems.append(
                f"the plan deletes {count} of {owner}'s {existing} live tasks ({share}%), "
                f"more than the {round(MAX_DELETE_SHARE * 100)}% safety limit"
            )
    return problems


def check_safety(plan: Plan) -> None:
    """Refuse plans that delete too much of an owner's tasks (docs/design.md §5)."""
    problems = safety_problems(plan)
    if problems:
        raise UnsafePlanError(
            "Refusing to apply: " + "; ".join(problems) + ". Check the plan, then run again "
            "with --force if the deletions are intended."
        )


def limit_needs(plan: Plan) -> dict[tuple[str, str], int]:
    """The active tasks the plan adds, per (owner, task type), where it adds any: creates and
    enables count, and disables and deletes of active tasks (run first in apply, freeing slots)
    count against them. The portal's active-task limits are per type."""
    net: dict[tuple[str, str], int] = defaultdict(int)
    names: dict[str, str] = {}
    for change in plan.changes:
        owner = names.setdefault(change.owner.casefold(), change.owner)
        if isinstance(change, (Delete, Replace)):
            net[(owner, change.live.type)] -= int(change.live.active)
        if isinstance(change, (Create, Replace)):
            net[(owner, change.desired.type)] += int(change.desired.active)
        elif isinstance(change, Update) and "active" in change.fields:
            net[(owner, change.desired.type)] += 1 if change.fields["active"].after is True else -1
    return {key: n for key, n in sorted(net.items()) if n > 0}


def limit_problems(
    needs: Mapping[tuple[str, str], int], available: Mapping[tuple[str, str], int]
) -> list[str]:
    """Where the creates and enables of an owner's tasks of one type would pass the
    active-task limit, from the ``activeTasksAvailable`` the portal reported for that type."""
    problems = []
    for (owner, kind), added in needs.items():
        free = available.get((owner, kind))
        if free is not None and added > free:
            problems.append(
                f"apply will fail for some tasks of {owner}: the plan adds {added} active "
                f"{kind} tasks and the portal allows {free} more (activeTasksAvailable); "
                "disable or delete active tasks first, or declare some of these inactive"
            )
    return problems
