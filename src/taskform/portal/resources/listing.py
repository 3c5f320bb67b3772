"""How the portal client reads task lists: every owner's list in parallel pages of 100, or the
org-wide list when that costs fewer requests, always consistent (a task that moved between
pages while they were read is read again), and the owners checked to exist.

Mixed into :class:`~taskform.portal.client.PortalClient` (:class:`TaskListing`).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from taskform.errors import (
    BadResponse,
    NotFound,
    PortalError,
    TransientError,
    UnknownOwnersError,
    user_not_found,
)
from taskform.model import LiveTask
from taskform.portal.resources.codec import task_from_json
from taskform.portal.resources.paging import (
    MAX_TASKS,
    PAGE_SIZE,
    Listing,
    Page,
    consistent,
    pages_of,
    parse_page,
    read_pages,
)
from taskform.portal.resources.writes import tasks_path
from taskform.portal.transport.http import Transport
from taskform.portal.transport.pool import reading_pool

log = logging.getLogger("taskform.http")
# Why a task list is read the way it is (taskform.http keeps one line per request).
read_log = logging.getLogger("taskform.portal")

T = TypeVar("T")

ORG_TASKS = Listing("portals/self/allScheduledTasks", "portals/self/allScheduledTasks")
#: Error codes after which the org-wide list is not used (not allowed, not understood, or a
#: portal without it); the owners' own lists are read instead.
ORG_REFUSED = frozenset({400, 403, 404})
#: What a listed task must carry to be planned from the list alone. Esri's client reads only
#: ``id`` and ``userId`` of the org-wide list's items, so a portal may list partial objects
#: there; then the owners' own lists (full objects) are read instead.
FULL_TASK_KEYS = ("id", "type", "cronSchedule")
#: Listing order: the documentation's default sort field is unknown, so ask for creation
#: order, which a task keeps while it is read (pages stay stable while tasks are updated).
LIST_ORDER = {"sortField": "created", "sortOrder": "asc"}


def owner_tasks(owner: str) -> Listing:
    return Listing(*tasks_path(owner), owner=owner)


def partial(item: Any) -> bool:
    return not isinstance(item, Mapping) or any(key not in item for key in FULL_TASK_KEYS)


class TaskListing:
    """The reads behind ``list_tasks``; the client provides the transport, the lock, what it
    learnt about the signed-in user and the owners' active-task allowance."""

    read_concurrency: int
    _http: Transport
    _lock: threading.Lock
    _available: dict[str, int]
    _spellings: dict[str, str]
    _org_listed: set[str]

    if TYPE_CHECKING:  # PortalClient's own

        def _admin_check(self) -> tuple[bool, int]: ...

        def user_info(self, name: str) -> dict[str, Any]: ...

        def signed_in_user(self) -> str: ...

    def _read_org(self, owners: list[str]) -> dict[str, list[LiveTask]] | None:
        """The owners' tasks from the org-wide list, or None to read each owner's list.

        Per-owner reads cost at least one request per owner; the org-wide list costs
        ceil(total/100) requests for the whole organization. It is used only for several owners
        and an org admin, and only when its pages plus any request the admin check took are no
        more than the number of owners, so it is never worse. Its first page tells how many
        pages it has: when that is too many, the one page read is the price of finding out,
        and the owners are read one by one.
        """
        spent = self._org_admin_cost(owners)
        if spent is None:
            return None
        try:
            first = self._page(ORG_TASKS, 1)
        except PortalError as exc:
            if exc.code not in ORG_REFUSED:
                raise
            read_log.debug("%s: %s; reading each owner's tasks", ORG_TASKS.name, exc.message)
            return None
        if any(partial(item) for item in first.tasks):
            read_log.debug(
                "%s lists partial task objects; reading each owner's tasks", ORG_TASKS.name
            )
            return None
        pages = pages_of(first)
        if pages + spent > len(owners):
            read_log.debug(
                "the org-wide task list has %d tasks (%d pages) for %d owners; "
                "reading each owner's tasks",
                first.total,
                pages,
                len(owners),
            )
            return None
        found: dict[str, list[LiveTask]] = {owner: [] for owner in owners}
        try:
            listed = self._read_consistent([ORG_TASKS], {ORG_TASKS: first})[ORG_TASKS]
        except BadResponse as exc:  # a later page of partial objects
            read_log.debug("%s: %s; reading each owner's tasks", ORG_TASKS.name, exc.message)
            return None
        folded = {owner.casefold(): owner for owner in owners}  # usernames match in any case
        with self._lock:
            self._org_listed.update(folded)
        for task in listed:
            owner = folded.get(task.owner.casefold())
            if owner is not None:
                found[owner].append(task)
        return found

    def _org_admin_cost(self, owners: list[str]) -> int | None:
        """The requests the admin check took when the org-wide list may serve ``owners``;
        None (the reason logged) when it may not."""
        if len(owners) < 2:
            read_log.debug("one owner: reading that owner's tasks, not the org-wide list")
            return None
        try:
            admin, spent = self._admin_check()
        except PortalError as exc:
            if exc.code not in ORG_REFUSED:
                raise
            read_log.debug("could not tell whether the user is an org admin (%s)", exc.message)
            return None
        if not admin:
            read_log.debug("not an org admin: reading each owner's tasks, not the org-wide list")
            return None
        if spent + 1 > len(owners):
            read_log.debug("the admin check took %d requests: reading each owner's tasks", spent)
            return None
        return spent

    def usernames(self, owners: Sequence[str]) -> dict[str, str]:
        """The portal's own spelling of each of ``owners`` (usernames match in any case), by
        casefolded name. What this client already learnt (the signed-in user, users looked up
        before) costs nothing; the rest are looked up as :meth:`_find_users` does: one request
        per owner at most, fewer through the org's user list. UnknownOwnersError names every
        owner the portal has no user for.

        For owners that have no live task yet (so no ``userId`` tells the spelling) and are not
        the signed-in user: their creates then go out under the portal's spelling."""
        me = self.signed_in_user()  # known by now (every command starts with it)
        with self._lock:
            self._spellings.setdefault(me.casefold(), me)
            known = dict(self._spellings)
        wanted = list({o.casefold(): o for o in owners if o.casefold() not in known}.values())
        self._find_users(wanted)
        with self._lock:
            return {
                o.casefold(): self._spellings[o.casefold()]
                for o in owners
                if o.casefold() in self._spellings
            }

    def _find_users(self, owners: list[str]) -> None:
        """Look up ``owners`` and keep their spelling (:attr:`_spellings`); UnknownOwnersError
        naming every one the portal has no user for. The org's user list
        (``portals/self/users``) when its pages are fewer than the owners, else
        ``community/users/NAME`` per owner, concurrently."""
        if not owners:
            return
        known = self._org_usernames(max_pages=len(owners) - 1) if len(owners) > 1 else None
        if known is not None:
            self._learn(known)
            unknown = [owner for owner in owners if owner.casefold() not in known]
            if unknown:
                raise UnknownOwnersError(unknown, request="GET portals/self/users")
            return

        def spelling(owner: str) -> str | None:
            try:
                record = self.user_info(owner)
            except NotFound:
                return None
            except PortalError as exc:
                if user_not_found(exc):
                    return None
                raise
            name = record.get("username")
            return name if isinstance(name, str) and name else owner

        with reading_pool(min(8, len(owners)), "users") as pool:
            found = list(pool.map(spelling, owners))
        self._learn({name.casefold(): name for name in found if name is not None})
        unknown = [owner for owner, name in zip(owners, found, strict=True) if name is None]
        if unknown:
            raise UnknownOwnersError(unknown, request="GET community/users")

    def _learn(self, spellings: Mapping[str, str]) -> None:
        with self._lock:
            for folded, name in spellings.items():
                self._spellings.setdefault(folded, name)

    def _org_usernames(self, *, max_pages: int) -> dict[str, str] | None:
        """Every username of the organization (by casefolded name) from ``portals/self/users``, in
        pages of 100, when that takes at most ``max_pages`` requests (else None: asking about
        each owner is cheaper); None too when the portal refuses the list."""
        names: dict[str, str] = {}
        start = 1
        for _ in range(max(0, max_pages)):
            try:
                body = self._http.call(
                    "GET",
                    "portals/self/users",
                    params={"f": "json", "start": str(start), "num": "100"},
                )
            except PortalError as exc:
                if exc.code not in ORG_REFUSED:
                    raise
                return None
            users = body.get("users")
            if not isinstance(users, list):
                return None
            names.update(
                (str(u["username"]).casefold(), str(u["username"]))
                for u in users
                if isinstance(u, Mapping) and u.get("username")
            )
            following = body.get("nextStart")
            if not isinstance(following, int) or following <= start:
                return names
            start = following
        return None

    def _read_per_owner(self, owners: list[str]) -> dict[str, list[LiveTask]]:
        listings = [owner_tasks(owner) for owner in owners]
        try:
            tasks = self._read_consistent(listings)
        except PortalError as exc:
            if exc.owner is None or not user_not_found(exc):
                raise
            raise UnknownOwnersError([exc.owner], request=exc.request) from None
        return {owner: tasks[listing] for owner, listing in zip(owners, listings, strict=True)}

    def _read_consistent(
        self, listings: list[Listing], firsts: Mapping[Listing, Page] | None = None
    ) -> dict[Listing, list[LiveTask]]:
        """Every task of each list; a list whose pages disagree (it changed while being
        read) is read once more, then it is an error."""
        result = self._read_lists(listings, firsts)
        changed = [listing for listing, (_, ok) in result.items() if not ok]
        if changed:
            what = ", ".join(listing.label for listing in changed)
            log.info("%s changed while being read; reading again", what)
            again = self._read_lists(changed)
            for listing in changed:
                if not again[listing][1]:
                    raise TransientError(
                        "the task list kept changing while it was being read; try again",
                        request=listing.name,
                        owner=listing.owner,
                    )
                result[listing] = again[listing]
        return {listing: tasks for listing, (tasks, _) in result.items()}

    def _read_lists(
        self, listings: list[Listing], firsts: Mapping[Listing, Page] | None = None
    ) -> dict[Listing, tuple[list[LiveTask], bool]]:
        """Each list's tasks (deduplicated by id) and whether its pages agreed; the pages are
        read in parallel (:func:`read_pages`), starting from ``firsts`` where given."""
        if not listings:
            return {}
        workers = min(self.read_concurrency, 32)
        given = {listing: self._decoded(listing, page) for listing, page in (firsts or {}).items()}
        with reading_pool(workers, "taskform-read") as pool:
            pages = read_pages(pool, self._read_page, listings, given)
        result: dict[Listing, tuple[list[LiveTask], bool]] = {}
        for listing in listings:
            count = sum(len(page.tasks) for page in pages[listing])
            if count > MAX_TASKS:
                raise BadResponse(
                    f"the portal sent {count} tasks, more than the {MAX_TASKS} taskform "
                    "holds for one list",
                    request=listing.name,
                    owner=listing.owner,
                )
            tasks = [task for page in pages[listing] for task in page.live or ()]
            ok = consistent(pages[listing], [t.id for t in tasks])
            result[listing] = (list({t.id: t for t in tasks}.values()), ok)
        return result

    def _read_page(self, listing: Listing, start: int) -> Page:
        """One page, its tasks decoded in the reading thread: while it decodes, the other
        pages are still on their way (decoding 10,000 tasks after the last page arrived
        would add its whole time to the read)."""
        return self._decoded(listing, self._page(listing, start))

    def _decoded(self, listing: Listing, page: Page) -> Page:
        decode = functools.partial(task_from_json, owner=listing.owner)
        return dataclasses.replace(page, live=self._decode(decode, page.tasks, listing.name))

    def _page(self, listing: Listing, start: int) -> Page:
        params = {"f": "json", "num": str(PAGE_SIZE), "start": str(start), **LIST_ORDER}
        body = self._http.call("GET", listing.path, params=params, owner=listing.owner)
        available = body.get("activeTasksAvailable")
        if listing.owner and isinstance(available, int) and not isinstance(available, bool):
            with self._lock:
                self._available[listing.owner.casefold()] = available
        return parse_page(body, start, listing.name, listing.owner)

    @staticmethod
    def _decode(fn: Callable[[Any], T], items: list[Any], name: str) -> list[T]:
        try:
            return [fn(item) for item in items]
        except ValueError as exc:
            raise BadResponse(f"unexpected answer: {exc}", request=name) from None
