"""The REST client for a portal's scheduled tasks (the engine's ``Portal`` protocol).

Reads are paged and parallel (never one GET per task); writes are full replacements; a
createTask that got no clear answer is checked by re-listing before it is sent again, so a
retry never makes a duplicate.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

from taskform.errors import (
    AuthError,
    BadResponse,
    ForeignHostError,
    PortalError,
    TransientError,
)
from taskform.model import LiveTask, Run
from taskform.portal.auth.credentials import (
    NO_CREDENTIALS,
    Credentials,
    PasswordSignIn,
    make_credentials,
)
from taskform.portal.auth.oauth import RefreshTokenSignIn, TokenFile, default_token_file
from taskform.portal.resources.codec import run_from_json
from taskform.portal.resources.listing import ORG_TASKS, TaskListing
from taskform.portal.resources.listing import partial as _partial
from taskform.portal.resources.writes import TaskWrites
from taskform.portal.resources.writes import quote_segment as _q
from taskform.portal.resources.writes import tasks_path as _tasks_path
from taskform.portal.transport.http import Transport
from taskform.portal.transport.pool import reading_pool
from taskform.portal.transport.retry import RetryPolicy
from taskform.portal.urls import parse_portal_url

log = logging.getLogger("taskform.http")
# Why a task list is read the way it is (taskform.http keeps one line per request).
read_log = logging.getLogger("taskform.portal")

T = TypeVar("T")

#: The task type whose headroom an unfiltered task list reports (``activeTasksAvailable``).
NOTEBOOK = "ExecuteNotebook"
#: Item ids per ``search`` request (the portal's page maximum).
ITEM_BATCH = 100


def _admin_record(record: Mapping[str, Any]) -> bool:
    """Whether a user record is an administrator's (role ``org_admin`` or any ``:admin:``
    privilege)."""
    if record.get("role") == "org_admin":
        return True
    privileges = record.get("privileges")
    return isinstance(privileges, list) and any(":admin:" in str(p) for p in privileges)


class PortalClient(TaskListing, TaskWrites):
    """A portal's scheduled tasks over the Sharing REST API (``<url>/sharing/rest``); how
    task lists are read is :class:`~taskform.portal.resources.listing.TaskListing`, the writes are
    :class:`~taskform.portal.resources.writes.TaskWrites`."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        api_key: str | None = None,
        username: str | None = None,
        password: str | None = None,
        verify: bool | str = True,
        timeout: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - immutable
        read_concurrency: int = 16,
        sleep: Callable[[float], None] = time.sleep,
        oauth: RefreshTokenSignIn | None = None,
    ) -> None:
        self.url = parse_portal_url(url)
        self._credentials: Credentials
        if oauth is not None:
            self._credentials = oauth
        else:
            self._credentials = make_credentials(
                self.url.portal, token=token, api_key=api_key, username=username, password=password
            )
        if isinstance(verify, str) and not os.path.exists(verify):
            raise PortalError(f"the CA bundle {verify} does not exist")
        self.retry = retry
        self.read_concurrency = max(1, read_concurrency)
        self._sleep = sleep
        self._http = Transport(
            self.url.rest,
            credentials=self._credentials,
            referer=self.url.portal,
            verify=verify,
            timeout=timeout,
            retry=retry,
            pool_size=max(16, 2 * self.read_concurrency),
            sleep=sleep,
        )
        if isinstance(self._credentials, PasswordSignIn):
            self._credentials.bind(self._generate_token)
        if isinstance(self._credentials, RefreshTokenSignIn):
            self._credentials.bind(self._oauth_token)
        self._lock = threading.Lock()
        self._user: str | None = None
        self._record: Mapping[str, Any] = {}  # the signed-in user, as portals/self told it
        self._admin: bool | None = None
        self._known: dict[str, set[str]] = {}  # owner -> ids listed or created by this client
        self._available: dict[str, int] = {}  # owner (casefolded) -> activeTasksAvailable
        self._available_by_type: dict[tuple[str, str], int] = {}  # (owner, type) -> same
        self._spellings: dict[str, str] = {}  # username (casefolded) -> the portal's spelling
        self._org_listed: set[str] = set()  # owners (casefolded) read from the org-wide list

    @classmethod
    def from_env(cls, url: str, env: Mapping[str, str] = os.environ, **kw: Any) -> PortalClient:
        """Credentials from ``ARCGIS_TOKEN``, else ``ARCGIS_API_KEY``, else
        ``ARCGIS_USERNAME`` + ``ARCGIS_PASSWORD``, else ``ARCGIS_CLIENT_ID`` +
        ``ARCGIS_REFRESH_TOKEN``, else the refresh token ``taskform login`` stored for this
        portal."""
        if env.get("ARCGIS_TOKEN"):
            return cls(url, token=env["ARCGIS_TOKEN"], **kw)
        if env.get("ARCGIS_API_KEY"):
            return cls(url, api_key=env["ARCGIS_API_KEY"], **kw)
        user, password = env.get("ARCGIS_USERNAME"), env.get("ARCGIS_PASSWORD")
        if user and password:
            return cls(url, username=user, password=password, **kw)
        if user or password:
            missing = "ARCGIS_PASSWORD" if user else "ARCGIS_USERNAME"
            raise AuthError(
                f"{missing} is not set (ARCGIS_USERNAME and ARCGIS_PASSWORD go together)"
            )
        portal = parse_portal_url(url).portal
        client_id, refresh = env.get("ARCGIS_CLIENT_ID"), env.get("ARCGIS_REFRESH_TOKEN")
        if refresh:
            if not client_id:
                raise AuthError("ARCGIS_CLIENT_ID is not set (it goes with ARCGIS_REFRESH_TOKEN)")
            return cls(url, oauth=RefreshTokenSignIn(client_id, refresh, portal=portal), **kw)
        store = TokenFile(default_token_file(env))
        entry = store.get(portal)
        if entry is not None:
            stored = RefreshTokenSignIn(
                str(entry.get("client_id") or ""),
                str(entry["refresh_token"]),
                portal=portal,
                store=store,
                entry=entry,
            )
            return cls(url, oauth=stored, **kw)
        raise AuthError(NO_CREDENTIALS)

    def __repr__(self) -> str:
        return f"PortalClient({self.url.portal!r}, {self._credentials.label})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PortalClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- who am I ------------------------------------------------------------------------

    def signed_in_user(self) -> str:
        with self._lock:
            if self._user is not None:
                return self._user
        body = self._http.call("GET", "portals/self", params={"f": "json"})
        user = body.get("user")
        name = user.get("username") if isinstance(user, Mapping) else None
        if not isinstance(name, str) or not name:
            raise AuthError(
                "the portal does not know who is signed in (portals/self has no user); "
                f"check the {self._credentials.label}",
                request="GET portals/self",
            )
        with self._lock:
            self._user, self._record = name, user if isinstance(user, Mapping) else {}
        return name

    def active_available(self, owner: str, task_type: str) -> int | None:
        """``activeTasksAvailable`` for ``task_type``. The portal reports the headroom of the
        type a task list is filtered to (``types=``), and an unfiltered list that of notebook
        tasks (the documented example is ``ExecuteNotebooksUserLimit``): notebook tasks use
        the number the plan's own listing carried; another type costs one small request
        (``types=<type>&num=1``), made only for the types a plan adds active tasks of. None
        when the portal does not say, or the owner's tasks came from the org-wide list (then
        nothing is foreseen: no request per owner is spent on it)."""
        key = owner.casefold()
        with self._lock:
            if key not in self._available:
                # Read from the org-wide list (no per-owner number): not a request per owner.
                return None
            if task_type == NOTEBOOK:
                return self._available[key]
            if (key, task_type) in self._available_by_type:
                return self._available_by_type[(key, task_type)]
        path, shown = _tasks_path(owner)
        params = {"f": "json", "num": "1", "start": "1", "types": task_type}
        try:
            body = self._http.call("GET", path, params=params, owner=owner)
        except TransientError:
            raise
        except PortalError as exc:
            read_log.debug("GET %s?types=%s: %s; limit not foreseen", shown, task_type, exc)
            return None
        value = body.get("activeTasksAvailable")
        found = value if isinstance(value, int) and not isinstance(value, bool) else None
        if found is not None:
            with self._lock:
                self._available_by_type[(key, task_type)] = found
        return found

    def headroom_unknown(self, owner: str) -> bool:
        """Whether ``owner``'s tasks came from the org-wide list and no list of the owner's
        own told ``activeTasksAvailable``: the org list has no per-owner headroom (what it may
        carry is not the owner's), so :meth:`active_available` does not know it."""
        key = owner.casefold()
        with self._lock:
            return key in self._org_listed and key not in self._available

    def user_info(self, name: str) -> dict[str, Any]:
        """The user record (``community/users/NAME``)."""
        return self._http.call("GET", f"community/users/{_q(name)}", params={"f": "json"})

    def is_admin(self) -> bool:
        """Whether the signed-in user is an administrator (any ``:admin:`` privilege)."""
        return self._admin_check()[0]

    def _admin_check(self) -> tuple[bool, int]:
        """:meth:`is_admin` and how many requests finding out took: none once known (the
        answer is kept, and portals/self usually carries the role and privileges), else
        portals/self and, when its user has no role, ``community/users/<user>``."""
        with self._lock:
            if self._admin is not None:
                return self._admin, 0
            spent = 0 if self._user is not None else 1
        name = self.signed_in_user()
        with self._lock:
            record = self._record
        if "role" not in record and "privileges" not in record:
            record = self.user_info(name)
            spent += 1
        admin = _admin_record(record)
        with self._lock:
            self._admin = admin
        return admin, spent

    # -- reads ---------------------------------------------------------------------------

    def list_tasks(self, owners: Sequence[str]) -> dict[str, list[LiveTask]]:
        """Every task of each owner, in pages of 100, never one request per task.

        For several owners and an org admin, from the org-wide list when that takes no more
        requests (:meth:`_read_org`); otherwise from each owner's list: ceil(N/100) requests
        per owner, in parallel.
        """
        unique = list(dict.fromkeys(owners))
        tasks = self._read_org(unique)
        if tasks is None:
            tasks = self._read_per_owner(unique)
        else:  # the org list cannot tell an owner with no tasks from one that does not exist
            me = (self._user or "").casefold()
            self._find_users([o for o in unique if not tasks[o] and o.casefold() != me])
        with self._lock:
            for owner, found in tasks.items():
                self._known.setdefault(owner, set()).update(t.id for t in found)
        return {owner: tasks[owner] for owner in unique}

    def list_org_tasks(self) -> dict[str, list[LiveTask]]:
        """Every task of the organization by owner (``portals/self/allScheduledTasks``, pages
        of 100; an administrator's view). A portal whose org list holds partial task objects
        (some do) is a BadResponse that names --owner."""
        first = self._page(ORG_TASKS, 1)
        if any(_partial(item) for item in first.tasks):
            raise BadResponse(
                "this portal's org-wide task list holds partial task objects, so it cannot "
                "serve an export; name the owners with --owner instead",
                request=ORG_TASKS.name,
            )
        listed = self._read_consistent([ORG_TASKS], {ORG_TASKS: first})[ORG_TASKS]
        owners = sorted({t.owner for t in listed if t.owner})
        found: dict[str, list[LiveTask]] = {owner: [] for owner in owners}
        for task in listed:
            found.setdefault(task.owner, []).append(task)
        with self._lock:
            for owner, tasks in found.items():
                self._known.setdefault(owner, set()).update(t.id for t in tasks)
        return found

    def list_runs(self, owner: str, task_id: str) -> list[Run]:
        path, shown = _tasks_path(owner, task_id, "runs")
        body = self._http.call("GET", path, params={"f": "json"}, owner=owner)
        raw = body.get("runs")
        if not isinstance(raw, list):
            raise BadResponse("the answer has no 'runs' list", request=f"GET {shown}")
        runs = self._decode(run_from_json, raw, f"GET {shown}")
        return sorted(runs, key=lambda r: r.created if r.created is not None else -1, reverse=True)

    def search_items(self, ids: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        """The items the portal (and the signed-in user) knows among ``ids``, by lower-case id:
        one ``search`` per 100 ids (``q=id:(a OR b ...)``), in parallel; an id the search
        does not return is confirmed with ``content/items/<id>`` (the search index may lag
        behind a new item), so those reads are bounded by the problems found, never one per
        task."""
        unique = sorted({i.lower() for i in ids})
        batches = [unique[i : i + ITEM_BATCH] for i in range(0, len(unique), ITEM_BATCH)]
        if not batches:
            return {}
        workers = min(self.read_concurrency, len(batches))
        with reading_pool(workers, "taskform-items") as pool:
            found: dict[str, Mapping[str, Any]] = {}
            for part in pool.map(self._search_batch, batches):
                found.update(part)
            missing = [i for i in unique if i not in found]
            for item_id, item in zip(missing, pool.map(self._item, missing), strict=True):
                if item is not None:
                    found[item_id] = item
        return found

    def _search_batch(self, ids: list[str]) -> dict[str, Mapping[str, Any]]:
        query = "id:(" + " OR ".join(ids) + ")"
        found: dict[str, Mapping[str, Any]] = {}
        start = 1
        while start > 0 and len(found) < len(ids):
            form = {"f": "json", "q": query, "num": str(ITEM_BATCH), "start": str(start)}
            # POST, as Esri's client searches (arcgis 2.4.4 ``_portalpy.py`` ``_search_page``):
            # a query of 100 ids is 4 KB, which a GET would carry (and quote) in its URL.
            body = self._http.call("POST", "search", data=form)
            results = body.get("results")
            if not isinstance(results, list):
                raise BadResponse("the answer has no 'results' list", request="POST search")
            for item in results:
                if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                    found[item["id"].lower()] = item
            next_start = body.get("nextStart", -1)
            start = next_start if isinstance(next_start, int) and next_start > start else -1
        return {k: v for k, v in found.items() if k in ids}

    def _item(self, item_id: str) -> Mapping[str, Any] | None:
        try:
            body = self._http.call("GET", f"content/items/{_q(item_id)}", params={"f": "json"})
        except PortalError as exc:
            if exc.code in (400, 403, 404):  # "Item does not exist or is inaccessible."
                return None
            raise
        return body if isinstance(body.get("id"), str) else None

    def call(
        self,
        method: str,
        path: str,
        values: Mapping[str, str],
        *,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """One request to a REST path (``taskform probe`` sends forms exactly as it means to,
        where the task methods above would fill fields in)."""
        if method == "GET":
            return self._http.call("GET", path, params={"f": "json", **values})
        return self._http.call("POST", path, data={"f": "json", **values}, idempotent=idempotent)

    def get_json(self, url: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """JSON from any URL on the portal's host (scheme, host and port), with the same auth."""
        absolute = urljoin(self.url.portal + "/", url)
        if not self.url.same_origin(absolute):
            host = urlsplit(absolute).netloc or absolute
            raise ForeignHostError(host, self.url.netloc)
        parts = urlsplit(absolute)
        query = dict(parse_qsl(parts.query))
        query.update(params or {})
        query.setdefault("f", "json")
        bare = absolute.split("?", 1)[0].split("#", 1)[0]
        root = self.url.rest + "/"
        shown = unquote(bare[len(root) :] if bare.startswith(root) else parts.path)
        return self._http.call_url("GET", bare, name=f"GET {shown}", params=query)

    def call_service(
        self,
        method: str,
        url: str,
        *,
        trusted: Collection[tuple[str, str]] = (),
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """JSON from a server the portal trusts (its own host, or one of ``trusted``: the
        (scheme, netloc) of servers the portal lists as federated), with the portal's token,
        the same retries and errors. Named by the URL's path in logs and errors."""
        parts = urlsplit(url)
        origin = (parts.scheme.lower(), parts.netloc.lower())
        if not self.url.same_origin(url) and origin not in set(trusted):
            raise ForeignHostError(parts.netloc or url, self.url.netloc)
        query = {"f": "json", **(params or {})}
        form = {"f": "json", **data} if data is not None else None
        name = f"{method} {unquote(parts.path.lstrip('/'))}"
        bare = url.split("?", 1)[0].split("#", 1)[0]
        return self._http.call_url(
            method,
            bare,
            name=name,
            params=query if form is None else params,
            data=form,
            idempotent=idempotent,
        )

    # -- helpers -------------------------------------------------------------------------

    def _oauth_token(self, form: Mapping[str, str]) -> dict[str, Any]:
        return self._http.call("POST", "oauth2/token", data=form, authenticated=False)

    def _generate_token(self, form: Mapping[str, str]) -> dict[str, Any]:
        return self._http.call("POST", "generateToken", data=form, authenticated=False)
