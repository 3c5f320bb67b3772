"""``--target OWNER/TITLE`` (repeatable) on plan, apply, drift and status: only those tasks.

A target is ``OWNER/TITLE`` (split at the first ``/``: usernames hold none) or a bare
``TITLE`` for that title under any owner. Owners match without regard to case, as the portal
matches usernames; titles match exactly. A target that names no declared and no live task is
an error, so a typo never silently plans nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from taskform.cli.options import Lines
from taskform.errors import TaskformError

if TYPE_CHECKING:  # validate imports this module (through cli.common) and needs no plan
    from taskform.changes import Plan

F = TypeVar("F", bound=Callable[..., Any])

target_option = click.option(
    "--target",
    "targets",
    multiple=True,
    type=Lines(),
    metavar="OWNER/TITLE",
    help="Only this task (repeatable); a bare TITLE means that title under any owner.",
)


def _matches(target: str, owner: str, title: str) -> bool:
    if "/" in target:
        who, _, what = target.partition("/")
        return who.casefold() == owner.casefold() and what == title
    return target == title


def wanted(targets: Sequence[str], owner: str, title: str) -> bool:
    """True if there are no targets, or one of them names this task."""
    return not targets or any(_matches(t, owner, title) for t in targets)


def check_known(targets: Sequence[str], keys: Iterable[tuple[str, str]]) -> None:
    """Every target names at least one of ``keys`` (declared or live tasks), or an error."""
    known = list(keys)
    unknown = [t for t in targets if not any(_matches(t, o, ti) for o, ti in known)]
    if unknown:
        from taskform.render.escape import text as shown
        from taskform.schemas import suggest

        names = ", ".join(repr(shown(t)) for t in unknown)
        labels = sorted({f"{o}/{ti}" for o, ti in known})
        first = unknown[0]
        guess = suggest(first, labels) or suggest(first, sorted({ti for _, ti in known}))
        hint = (
            f"did you mean --target {shown(guess)!r}?"
            if guess
            else "write OWNER/TITLE as the plan shows it (e.g. --target admin/'Nightly refresh')"
        )
        raise TaskformError(f"--target {names} names no declared or live task; {hint}")


def only(plan: Plan, targets: Sequence[str]) -> Plan:
    """The plan cut down to the targeted tasks (unchanged as it is: it counts the rest)."""
    if not targets:
        return plan
    changes = tuple(c for c in plan.changes if wanted(targets, c.owner, c.title))
    unmanaged = tuple(t for t in plan.unmanaged if wanted(targets, t.owner, t.title))
    return dataclasses.replace(plan, changes=changes, unmanaged=unmanaged)
