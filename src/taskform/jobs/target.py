"""Which declared task ``taskform run`` / ``runs`` mean: ``TITLE`` or ``OWNER/TITLE``.

Like ``--target``: ``OWNER/TITLE`` is split at the first ``/`` (usernames hold none), owners
match without regard to case, titles exactly; a bare ``TITLE`` matches that title under any
owner, and a whole argument that is a declared title wins (titles may hold ``/``). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from taskform.errors import TaskformError
from taskform.model import Declared, DesiredTask, LiveTask, present
from taskform.render.escape import text as shown
from taskform.schemas import suggest


def _matches(name: str, task: Declared | LiveTask) -> bool:
    if name == task.title:
        return True
    who, sep, what = name.partition("/")
    return bool(sep) and who.casefold() == task.owner.casefold() and what == task.title


def pick(
    name: str,
    declared: Sequence[Declared],
    live: Mapping[str, Sequence[LiveTask]],
    *,
    config_path: str,
) -> tuple[DesiredTask, LiveTask]:
    """The one declared, present task ``name`` names and its live task; else a clear error
    (with a did-you-mean) and nothing is started."""
    found = [t for t in declared if _matches(name, t)]
    if not found:
        labels = [f"{t.owner}/{t.title}" for t in present(declared)]
        guess = suggest(name, labels) or suggest(name, [t.title for t in present(declared)])
        hint = f"; did you mean {shown(guess)!r}?" if guess else ""
        undeclared = [t for ts in live.values() for t in ts if _matches(name, t)]
        if undeclared and not hint:
            hint = (
                "; the portal has such a task, but it is not declared: taskform runs only "
                "tasks of its configuration"
            )
        raise TaskformError(f"no task {shown(name)!r} is declared in {config_path}{hint}")
    chosen = present(found)
    if not chosen:
        raise TaskformError(
            f"{shown(name)!r} is declared absent in {config_path} (it is meant not to exist); "
            "nothing to run"
        )
    if len(chosen) > 1:
        names = ", ".join(sorted(f"{t.owner}/{t.title}" for t in chosen))
        raise TaskformError(
            f"{shown(name)!r} names tasks of several owners ({shown(names)}); "
            "say which one as OWNER/TITLE"
        )
    task = chosen[0]
    mine = [
        t
        for ts in live.values()
        for t in ts
        if t.owner.casefold() == task.owner.casefold() and t.title == task.title
    ]
    if not mine:
        raise TaskformError(
            f"{shown(task.owner)}/{shown(task.title)} is declared but not on the portal yet; "
            "run 'taskform apply' first"
        )
    if len(mine) > 1:
        ids = ", ".join(t.id for t in mine)
        raise TaskformError(
            f"the portal has {len(mine)} tasks titled {shown(task.title)!r} of "
            f"{shown(task.owner)} ({ids}); 'taskform plan' explains how to resolve that"
        )
    return task, mine[0]
