"""The steps every command shares: resolve owners, read live, make the plan.

Works through the :class:`~taskform.model.Portal` protocol only, so the same code runs
against the REST client and against the in-memory fakes of the tests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from taskform.changes import Blocked, Plan
from taskform.config.loader import Config
from taskform.errors import (
    ConfigError,
    ForeignHostError,
    PortalError,
    Problem,
    TransientError,
    UnknownOwnersError,
)
from taskform.model import DesiredTask, LifecycleState, LiveTask, Portal, Run
from taskform.plan import lifecycle
from taskform.plan.planner import make_plan
from taskform.plan.safety import limit_needs, limit_problems
from taskform.portal.transport.pool import reading_pool
from taskform.tasktypes.gpservice import description_errors, gp_problems, gp_task_urls, gp_tasks
from taskform.workflow.items import ItemLookup, check_items, moved_tasks, without_moved

#: Reads a GP task's description: ``GET <task url>?f=json`` (the portal client's ``get_json``).
Describe = Callable[[str], Mapping[str, Any]]
#: The portal's spelling of usernames, by casefolded name (the portal client's ``usernames``);
#: raises UnknownOwnersError for names the portal has no user for.
Usernames = Callable[[Sequence[str]], Mapping[str, str]]


@dataclass(frozen=True)
class Snapshot:
    """The configuration with owners resolved, the live tasks of every managed owner, and
    the plan between them."""

    config: Config
    live: dict[str, list[LiveTask]]
    plan: Plan
    #: Lifecycle kind (:mod:`~taskform.plan.lifecycle`) of every declared-active task that is
    #: inactive live, by task id: what plan, apply and drift all act on.
    states: dict[str, LifecycleState]


def managed_owners(config: Config, user: str) -> tuple[str, ...]:
    """Owners whose tasks this configuration manages (and ``prune`` may delete from): every
    declared task's owner, every owner a file names, and the signed-in user when the
    configuration declares no task and names no owner (``tasks: []`` with ``prune: true``
    means "none of mine").

    A configuration whose files all name other owners never touches the signed-in user's tasks.
    """
    owners = set(config.owners()) | set(config.file_owners)
    if config.owner:
        owners.add(config.owner)
    elif not config.tasks and not config.file_owners:
        owners.add(user)
    return tuple(sorted(owners))


def snapshot(
    config: Config,
    portal: Portal,
    *,
    now: datetime | None = None,
    describe: Describe | None = None,
    items: ItemLookup | None = None,
    usernames: Usernames | None = None,
) -> Snapshot:
    """Owners resolved, live tasks read, plan made. With ``describe``, the parameters of
    GPService tasks are first checked against their GP tasks (:func:`check_gp_services`);
    with ``items``, every declared item through the portal's item API
    (:mod:`~taskform.workflow.items`): unknown, wrong-type and unusable items are problems,
    and a task that moved to another owner with its item is reported, not created again.
    With ``usernames``, owners whose spelling nothing read so far tells (no live task, not the
    signed-in user) are looked up, so their creates go out under the portal's spelling."""
    user = portal.signed_in_user()
    resolved = config.resolve_owner(config.owner or user)
    warnings: tuple[str, ...] = ()
    blocked: tuple[Blocked, ...] = ()
    # The item lookups run while the live tasks are read (both wait on the portal, page after
    # page); an item error still wins over a later step's, as when they ran in turn.
    with reading_pool(1, "taskform-item-check") as pool:
        pending = pool.submit(check_items, resolved.present, items) if items is not None else None
        try:
            if describe is not None:
                warnings, blocked = check_gp_services(resolved.present, describe)
            owners = managed_owners(resolved, user)
            try:
                live = portal.list_tasks(owners)
                spelled = learnt_spelling(live, user)
                unresolved = [o for o in owners if o.casefold() not in spelled]
                if usernames is not None and unresolved:
                    spelled = {**usernames(unresolved), **spelled}
            except UnknownOwnersError as exc:
                # With the item lookups' problems (they ran meanwhile): every problem the
                # portal shows at once, in file order, not one kind per run.
                found = pending.result() if pending is not None else None
                problems = [*unknown_owner_problems(resolved, exc.owners)]
                problems += found.problems if found is not None else ()
                raise ConfigError(sorted(problems, key=_where)) from None
        except Exception:
            first = pending.exception() if pending is not None else None
            if first is not None:
                raise first from None
            raise
        item_check = pending.result() if pending is not None else None
    resolved, live = portal_spelling(resolved, live, spelled)
    owners = managed_owners(resolved, user)
    moved: dict[tuple[str, str], LiveTask] = {}
    if item_check is not None:
        moved, problems = moved_tasks(portal, resolved.present, item_check, live)
        if item_check.problems or problems:
            raise ConfigError([*item_check.problems, *problems])
    now = now or datetime.now(timezone.utc)
    states = lifecycle_states(portal, resolved.present, live, now)
    plan = make_plan(
        resolved.tasks,
        live,
        prune=resolved.prune,
        managed_owners=owners,
        now=now,
        states=states,
        prune_owners=resolved.prune_owners,
        blocked=[dataclasses.replace(b, owner=_spell(live, b.owner)) for b in blocked],
    )
    needs = limit_needs(plan)
    available = {k: n for k in needs if (n := portal.active_available(*k)) is not None}
    warnings += tuple(limit_problems(needs, available))
    warnings += tuple(unchecked_limits(needs, available, portal.headroom_unknown))
    if warnings:
        plan = dataclasses.replace(plan, warnings=plan.warnings + warnings)
    plan = without_moved(plan, moved)
    return Snapshot(config=resolved, live=live, plan=plan, states=states)


def _where(problem: Problem) -> tuple[str, int]:
    return (problem.file, problem.line or 0)


#: Owners named in the notice about unchecked active-task limits, at most.
NAMED_OWNERS = 10


def unchecked_limits(
    needs: Mapping[tuple[str, str], int],
    available: Mapping[tuple[str, str], int],
    unknown: Callable[[str], bool],
) -> list[str]:
    """A notice naming the owners the plan adds active tasks for whose active-task limit
    could not be checked: their tasks came from the org-wide list (``unknown``), which does
    not tell each owner's ``activeTasksAvailable``, and no request per owner is spent on it."""
    added: dict[str, list[str]] = {}
    for (owner, kind), count in needs.items():
        if (owner, kind) not in available and unknown(owner):
            added.setdefault(owner, []).append(f"+{count} {kind}")
    if not added:
        return []
    named = [f"{owner} ({', '.join(kinds)})" for owner, kinds in sorted(added.items())]
    more = len(named) - NAMED_OWNERS
    shown = ", ".join(named[:NAMED_OWNERS]) + (f" and {more} more" if more > 0 else "")
    return [
        f"active-task limits not checked per owner for {shown}: their tasks were read from "
        "the org-wide task list, which does not tell each owner's headroom "
        "(activeTasksAvailable); a create or enable past an owner's limit fails at apply "
        "(the rest is applied)"
    ]


def unknown_owner_problems(config: Config, owners: Sequence[str]) -> list[Problem]:
    """A problem at every declared task whose owner the portal has no user for (or at the
    file, for an owner a file names without tasks)."""
    wanted = {o.casefold(): o for o in owners}
    hint = "check the spelling of owner:, or create the user in the portal first"
    problems = []
    seen: set[str] = set()
    for task in config.tasks:
        if task.owner.casefold() in wanted:
            seen.add(task.owner.casefold())
            where = task.owner_position or task.position  # the line naming the owner
            message = f"owner '{task.owner}' of task '{task.title}' is not a user of the portal"
            problems.append(
                Problem(where.file if where else "?", where.line if where else None, message, hint)
            )
    for folded, owner in wanted.items():
        if folded not in seen:
            files = ", ".join(config.files) or "the configuration"
            problems.append(
                Problem(files, None, f"owner '{owner}' is not a user of the portal", hint)
            )
    return problems


def learnt_spelling(live: Mapping[str, Sequence[LiveTask]], user: str) -> dict[str, str]:
    """The portal's spelling of usernames as what is already read tells it, by casefolded
    name: the signed-in user, and the ``userId`` of each owner's live tasks."""
    spelled: dict[str, str] = {user.casefold(): user}
    for tasks in live.values():
        for task in tasks[:1]:
            spelled.setdefault(task.owner.casefold(), task.owner)
    return spelled


def portal_spelling(
    config: Config, live: Mapping[str, list[LiveTask]], spelled: Mapping[str, str]
) -> tuple[Config, dict[str, list[LiveTask]]]:
    """The configuration and the live tasks with every owner in the portal's own spelling
    (``spelled``, by casefolded name; :func:`learnt_spelling` and the portal's user lookup).

    The portal matches usernames without regard to case (``owner: GIS_Admin`` is user
    ``gis_admin``), so taskform does too, and then uses the portal's spelling everywhere:
    plans, safety counts, creates, results, plan files. An owner no spelling is known for
    keeps the configured one."""

    def spell(owner: str) -> str:
        return spelled.get(owner.casefold(), owner) if owner else owner

    merged: dict[str, list[LiveTask]] = {}
    for owner, tasks in live.items():
        seen = merged.setdefault(spell(owner), [])
        ids = {t.id for t in seen}
        seen.extend(t for t in tasks if t.id not in ids)
    return config.rename_owners(spell), merged


def _spell(live: Mapping[str, Sequence[LiveTask]], owner: str) -> str:
    return next((o for o in live if o.casefold() == owner.casefold()), owner)


def lifecycle_states(
    portal: Portal,
    tasks: Sequence[DesiredTask],
    live: Mapping[str, Sequence[LiveTask]],
    now: datetime,
) -> dict[str, LifecycleState]:
    """Why each declared-active but inactive live task is inactive. The runs are read only for
    those whose state the portal does not spell out (usually none or a few)."""
    by_key = {t.key: t for owned in live.values() for t in owned}
    inactive = [
        found
        for task in tasks
        if task.active and (found := by_key.get(task.key)) is not None and not found.active
    ]
    runs = read_runs(portal, [t for t in inactive if lifecycle.needs_runs(t)])
    return {t.id: lifecycle.classify(t, runs.get(t.id, ()), now) for t in inactive}


def check_gp_services(
    tasks: Sequence[DesiredTask], describe: Describe, *, concurrency: int = 4
) -> tuple[tuple[str, ...], tuple[Blocked, ...]]:
    """Read the description of every distinct GPService task URL once (concurrently) and
    check the tasks' parameters against it; raise :class:`ConfigError` with every problem.

    Returns the warnings (tasks whose URL is on another host than the portal are not checked)
    and the blocked tasks: a task whose GP service description cannot be read is left alone
    and reported, and every other task goes on. Network trouble that outlasted the retries
    (:class:`TransientError`) is raised as it is.
    """
    urls = gp_task_urls(tasks)
    if not urls:
        return (), ()

    def read(url: str) -> Mapping[str, Any] | PortalError:
        try:
            return describe(url)
        except TransientError:
            raise
        except PortalError as exc:
            return exc

    workers = max(1, min(concurrency, len(urls)))
    with reading_pool(workers, "gp-describe") as pool:
        answers = dict(zip(urls, pool.map(read, urls), strict=True))
    descriptions = {u: a for u, a in answers.items() if not isinstance(a, PortalError)}
    failures = {u: a for u, a in answers.items() if isinstance(a, PortalError)}
    unreadable = {u: str(a) for u, a in failures.items() if not isinstance(a, ForeignHostError)}
    for url, answer in descriptions.items():
        errors = description_errors(answer)
        if errors:
            unreadable[url] = "it did not answer with a GP task description: " + "; ".join(errors)
    blocked = tuple(
        Blocked(
            t.owner,
            t.title,
            (f"{t.position}: " if t.position else "")
            + f"could not read the GP service description at {t.task_url} ({unreadable[url]}); "
            "this task is left alone until it can be read: check task_url, and that the "
            "signed-in user may use the GP service",
            position=t.position,
        )
        for t in gp_tasks(tasks)
        if (url := t.task_url or "") in unreadable
    )
    rest = [t for t in tasks if (t.task_url or "") not in unreadable]
    problems, warnings = gp_problems(rest, descriptions, failures)
    if problems:
        raise ConfigError(problems)
    return tuple(warnings), blocked


def read_runs(
    portal: Portal, tasks: Sequence[LiveTask], *, concurrency: int = 4
) -> dict[str, list[Run]]:
    """Runs of each task by task id, read concurrently (the runs endpoint is per task)."""
    if not tasks:
        return {}
    with reading_pool(max(1, concurrency), "runs") as pool:
        results = pool.map(lambda t: portal.list_runs(t.owner, t.id), tasks)
        return {task.id: runs for task, runs in zip(tasks, results, strict=True)}
