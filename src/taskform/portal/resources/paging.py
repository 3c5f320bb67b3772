"""Paged task lists: reading every page of every list in parallel, and checking they agree.

A list is one owner's tasks (``community/users/<owner>/tasks``) or the organization's
(``portals/self/allScheduledTasks``). The portal pages with ``num``/``start`` (1-based) and
reports ``total`` and ``nextStart`` (-1 on the last page). After the first page of a list,
every other page's ``start`` is known (``1 + page_size * k``), so the remaining pages are
fetched at once, in parallel.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from taskform.errors import BadResponse
from taskform.model import LiveTask

PAGE_SIZE = 100
T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Listing:
    """One paged task list: ``path`` (quoted, to send), ``shown`` (readable, for messages) and
    the ``owner`` whose tasks it lists (None for the organization's list)."""

    path: str
    shown: str
    owner: str | None = None

    @property
    def name(self) -> str:
        return f"GET {self.shown}"

    @property
    def label(self) -> str:
        return f"the tasks of {self.owner}" if self.owner else "the organization's tasks"


@dataclass(frozen=True)
class Page:
    """One page of a task list, shape-checked; ``live`` holds its tasks decoded once the
    reader has decoded them (in the thread that read the page)."""

    start: int
    total: int
    next_start: int
    tasks: list[Any]
    live: list[LiveTask] | None = None


def parse_page(body: Mapping[str, Any], start: int, name: str, owner: str | None) -> Page:
    """Check the list envelope's shape; ``name`` names the request for errors."""
    tasks, total = body.get("tasks"), body.get("total")
    next_start = body.get("nextStart", -1)
    if not isinstance(tasks, list):
        raise BadResponse("the answer has no 'tasks' list", request=name, owner=owner)
    if not isinstance(next_start, int) or isinstance(next_start, bool):
        raise BadResponse("the answer's 'nextStart' is not a number", request=name, owner=owner)
    if not isinstance(total, int) or isinstance(total, bool):
        if start != 1 or next_start != -1:
            raise BadResponse("the answer has no 'total'", request=name, owner=owner)
        total = len(tasks)
    page = Page(start=start, total=total, next_start=next_start, tasks=tasks)
    if start == 1:
        _check_bounds(page, name, owner)
    return page


#: The most tasks taskform holds for one list (one owner's, or the organization's): far more
#: than a portal allows one user, far less than would exhaust memory.
MAX_TASKS = 100_000
#: The most pages taskform reads for one list (a lying ``total`` with tiny pages).
MAX_PAGES = 2_000


def _check_bounds(first: Page, name: str, owner: str | None) -> None:
    """Refuse a first page whose ``total`` and page size announce an absurd list, before any
    further page is asked for (memory stays proportional to what was received)."""
    if first.total < 0:
        raise BadResponse("the answer's 'total' is negative", request=name, owner=owner)
    if first.total > MAX_TASKS:
        raise BadResponse(
            f"the portal says the list holds {first.total} tasks, more than the {MAX_TASKS} "
            "taskform reads for one list; check the portal URL",
            request=name,
            owner=owner,
        )
    pages = pages_of(first)
    if pages > MAX_PAGES:
        raise BadResponse(
            f"the portal says the list holds {first.total} tasks in pages of "
            f"{max(first.next_start - first.start, len(first.tasks))}: {pages} pages, more "
            f"than the {MAX_PAGES} taskform reads for one list",
            request=name,
            owner=owner,
        )


def remaining_starts(first: Page) -> list[int]:
    """Start positions of the pages after the first (``start`` = 1 + page_size * k).

    The page size is what the portal actually used (``nextStart - start``), in case it
    caps ``num`` below what was asked.
    """
    got = len(first.tasks)
    if first.next_start == -1 or got == 0 or first.total <= got:
        return []
    size = first.next_start - first.start if first.next_start > first.start else got
    return list(range(first.start + size, first.total + 1, size))


def pages_of(first: Page) -> int:
    """How many pages the list has, by its first page."""
    return 1 + len(remaining_starts(first))


def read_pages(
    pool: ThreadPoolExecutor,
    fetch: Callable[[K, int], Page],
    lists: Sequence[K],
    firsts: Mapping[K, Page] | None = None,
) -> dict[K, list[Page]]:
    """Every page of each list, in order: the first pages (those not already in ``firsts``)
    in parallel, then every remaining page of every list in parallel. ``fetch(list, start)``
    reads one page."""
    given = dict(firsts or {})
    todo = [key for key in lists if key not in given]
    given.update(zip(todo, gather(pool, [(fetch, (key, 1)) for key in todo]), strict=True))
    pages = {key: [given[key]] for key in lists}
    jobs = [(key, start) for key in lists for start in remaining_starts(given[key])]
    for (key, _), page in zip(jobs, gather(pool, [(fetch, job) for job in jobs]), strict=True):
        pages[key].append(page)
    return pages


def consistent(pages: list[Page], ids: list[str]) -> bool:
    """Whether the pages describe one unchanged list: same ``total`` everywhere, exactly
    ``total`` tasks, no id twice, and the last page says there is no next one."""
    first, last = pages[0], pages[-1]
    return (
        all(page.total == first.total for page in pages)
        and len(ids) == first.total
        and len(set(ids)) == len(ids)
        and (last.next_start == -1 or last.next_start > first.total)
    )


def gather(
    pool: ThreadPoolExecutor, calls: list[tuple[Callable[..., T], tuple[Any, ...]]]
) -> list[T]:
    """Run the calls on the pool; the results in call order, or the first error (in call
    order) after cancelling the calls that have not started."""
    futures: list[Future[T]] = [pool.submit(fn, *args) for fn, args in calls]
    try:
        return [future.result() for future in futures]
    except BaseException:
        for future in futures:
            future.cancel()
        raise
