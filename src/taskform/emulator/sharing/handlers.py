"""Handlers for the Sharing API resources under /sharing/rest.

Each handler takes the request context and the URL variables and returns the JSON body, or
raises PortalError. Routing, faults, statistics and encoding live in server/app.py; task lists
(paging, filters, sorting) in lists.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..items import Items
from ..notebook.server import servers as notebook_servers
from ..server.errors import (
    PortalError,
    bad_request,
    forbidden,
    run_not_found,
    task_not_found,
    token_required,
    user_not_found,
)
from ..server.quirks import Quirks
from ..server.store import Store
from . import lists, tasks
from .auth import Account, Accounts, issue_token, require_admin, user_record
from .limits import DEFAULT_TYPE, Limits

CURRENT_VERSION = "2024.1"  # ArcGIS Enterprise 11.3 (GPService tasks need 11.2 = 2023.2)
PORTAL_ID = "0123456789ABCDEF"


@dataclass
class Ctx:
    """One request as the handlers see it."""

    values: Mapping[str, str]  # query and form parameters together
    base_url: str  # http://host:port, as the client addressed us
    account: Account | None = None  # who the token belongs to (None: anonymous)
    committed: bool = False  # set once a write has changed (and persisted) state

    def user(self) -> Account:
        if self.account is None:
            raise token_required()
        return self.account


Handler = Callable[..., dict[str, Any]]


class SharingApi:
    def __init__(
        self,
        store: Store,
        accounts: Accounts,
        active_task_limit: int | Limits,
        quirks: Quirks | None = None,
        items: Items | None = None,
    ) -> None:
        self.store = store
        self.accounts = accounts
        if isinstance(active_task_limit, Limits):
            self.limits = active_task_limit
        else:
            self.limits = Limits.uniform(active_task_limit)
        self.quirks = quirks or Quirks()
        self.items = items or Items()
        self.started = store.now_ms()
        #: Where the notebook server is, if not the emulator itself (set by the app).
        self.servers: Callable[[], tuple[str | None, tuple[str, ...]]] = lambda: (None, ())

    def handler(self, endpoint: str) -> Handler:
        method: Handler = getattr(self, "do_" + endpoint)
        return method

    # -- portal, users, tokens ------------------------------------------------------------------

    def do_root(self, ctx: Ctx) -> dict[str, Any]:
        return {"currentVersion": CURRENT_VERSION}

    def do_info(self, ctx: Ctx) -> dict[str, Any]:
        return {
            "owningSystemUrl": ctx.base_url,
            "authInfo": {
                "isTokenBasedSecurity": True,
                "tokenServicesUrl": f"{ctx.base_url}/sharing/rest/generateToken",
            },
        }

    def do_generate_token(self, ctx: Ctx) -> dict[str, Any]:
        values = ctx.values
        failed = "Unable to generate token."
        client = values.get("client") or "requestip"
        if client not in ("referer", "ip", "requestip"):
            raise PortalError(400, failed, ["'client' must be referer, ip or requestip."])
        if client == "referer" and not values.get("referer"):
            raise PortalError(400, failed, ["'referer' must be specified."])
        if client == "ip" and not values.get("ip"):
            raise PortalError(400, failed, ["'ip' must be specified."])
        text = values.get("expiration") or str(60)
        if not text.isdigit() or int(text) < 1:
            raise PortalError(400, failed, ["'expiration' must be a positive number of minutes."])
        account = self.accounts.check_password(
            values.get("username") or "", values.get("password") or ""
        )
        if account is None:
            raise PortalError(400, failed, ["Invalid username or password."])
        return issue_token(self.store, self.accounts, account.name, int(text))

    def do_portal_self(self, ctx: Ctx) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": PORTAL_ID,
            "name": "taskform emulator",
            "portalName": "Portal for ArcGIS",
            "portalMode": "singletenant",
            "portalHostname": ctx.base_url.split("://", 1)[1],
            "isPortal": True,
            "allSSL": False,
            "urlKey": "",
            "currentVersion": CURRENT_VERSION,
            "supportsOAuth": True,
            "helperServices": {},
            "created": self.started,
            "modified": self.started,
        }
        if ctx.account is not None:
            body["user"] = user_record(ctx.account, created=self.started)
        return body

    def do_portal_by_id(self, ctx: Ctx, portal_id: str) -> dict[str, Any]:
        self._check_portal(portal_id)
        return self.do_portal_self(ctx)

    def do_servers(self, ctx: Ctx) -> dict[str, Any]:
        """The servers federated with the portal: the emulator itself (notebook/server.py)."""
        ctx.user()
        notebook, federated = self.servers()
        return notebook_servers(ctx.base_url, notebook, federated)

    def do_servers_by_id(self, ctx: Ctx, portal_id: str) -> dict[str, Any]:
        self._check_portal(portal_id)
        return self.do_servers(ctx)

    def do_community_self(self, ctx: Ctx) -> dict[str, Any]:
        return user_record(ctx.user(), created=self.started)

    def do_user(self, ctx: Ctx, user: str) -> dict[str, Any]:
        ctx.user()
        target = self.accounts.get(user)
        if target is None:
            raise user_not_found(user)
        return user_record(target, created=self.started)

    # -- task lists -------------------------------------------------------------------------------

    def do_list_tasks(self, ctx: Ctx, user: str) -> dict[str, Any]:
        owner = self._owner(ctx, user)
        filters = lists.filters(ctx.values, self.quirks)
        num, start = lists.paging(ctx.values)
        with self.store.lock:
            now = self.store.now_ms()
            chosen, total = lists.select(
                self.store.tasks.of_owner(owner.name),
                filters,
                ctx.values,
                num,
                start,
                now,
                created_order=self.store.tasks.in_created_order(owner.name),
            )
            kinds = (ctx.values.get("types") or "").split(",")
            kind = kinds[0].strip() if len(kinds) == 1 and kinds[0] else DEFAULT_TYPE
            available = self.limits.available(self.store.tasks.values(), owner.name, kind, now)
        page = lists.page(chosen, total, num, start, now)  # rendered outside the store lock
        page["activeTasksAvailable"] = available
        page["tasks"] = page.pop("tasks")
        return page

    def do_all_tasks(self, ctx: Ctx) -> dict[str, Any]:
        require_admin(ctx.user())
        filters = lists.filters(ctx.values, self.quirks)
        num, start = lists.paging(ctx.values)
        who = ctx.values.get("userFilter") or None
        if who is not None:  # usernames match without regard to case
            named = self.accounts.get(who)
            who = named.name if named is not None else who
        with self.store.lock:
            now = self.store.now_ms()
            records = self.store.tasks if who is None else self.store.tasks.of_owner(who)
            ordered = self.store.tasks.in_created_order(who)
            chosen, total = lists.select(
                records, filters, ctx.values, num, start, now, created_order=ordered
            )
        page = lists.page(chosen, total, num, start, now)  # rendered outside the store lock
        page["tasks"] = [self.quirks.org_item(t) for t in page["tasks"]]
        return page

    def do_org_users(self, ctx: Ctx) -> dict[str, Any]:
        """The organization's users, by username, in pages (``start``/``num``, at most 100),
        as the portal's "Users" operation answers an administrator."""
        require_admin(ctx.user())
        num, start = lists.paging(ctx.values)
        names = sorted(self.accounts.users, key=str.casefold)
        chosen = names[start - 1 : start - 1 + num]
        return {
            "total": len(names),
            "start": start,
            "num": len(chosen),
            "nextStart": start + num if start - 1 + num < len(names) else -1,
            "users": [user_record(self.accounts.users[n], created=self.started) for n in chosen],
        }

    def do_org_users_by_id(self, ctx: Ctx, portal_id: str) -> dict[str, Any]:
        self._check_portal(portal_id)
        return self.do_org_users(ctx)

    def do_all_tasks_by_id(self, ctx: Ctx, portal_id: str) -> dict[str, Any]:
        self._check_portal(portal_id)
        return self.do_all_tasks(ctx)

    # -- one task --------------------------------------------------------------------------------

    def do_get_task(self, ctx: Ctx, user: str, task_id: str) -> dict[str, Any]:
        with self.store.lock:
            return tasks.render(self._task(ctx, user, task_id), self.store.now_ms())

    def do_create_task(self, ctx: Ctx, user: str) -> dict[str, Any]:
        owner = self._owner(ctx, user)
        spec = self._parse(ctx, current_type=None)
        self._check_item(spec, owner)
        with self.store.lock:
            now = self.store.now_ms()
            self.quirks.fill_create(spec, ctx.values, now)
            record = tasks.new_record(spec, owner.name, now)
            if tasks.is_active(record, now):
                self._check_limit(owner.name, record["type"], now, "Unable to create task")
            self.store.tasks[record["id"]] = record
            self._commit(ctx)
            return {"success": True, "taskId": record["id"]}

    def do_update_task(self, ctx: Ctx, user: str, task_id: str) -> dict[str, Any]:
        with self.store.lock:
            record = self._task(ctx, user, task_id)
            spec = self._parse(ctx, current_type=record["type"])
            owner = self.accounts.get(record["owner"])
            self._check_item(spec, owner or Account(record["owner"], ""))
            now = self.store.now_ms()
            self.quirks.fill_update(spec, ctx.values, record, now)
            if self.quirks.reactivates(tasks.effective_state(record, now)):
                record.update(state="active", occurrences=0, consecutiveFailures=0)
            tasks.replace_spec(record, spec, now)
            self._commit(ctx)
            return {"success": True, "taskId": task_id}

    def do_enable_task(self, ctx: Ctx, user: str, task_id: str) -> dict[str, Any]:
        with self.store.lock:
            record = self._task(ctx, user, task_id)
            now = self.store.now_ms()
            if not tasks.is_active(record, now):
                problem = tasks.enable_problem(record, now)
                if problem is not None:
                    raise bad_request([problem])
                self._check_limit(record["owner"], record["type"], now, "Unable to enable task")
                record.update(state="active", consecutiveFailures=0, enabled=now)
                if self.quirks.bumps_updated():
                    record["updated"] = now
                self._commit(ctx)
            return {"success": True, "taskId": task_id}

    def do_disable_task(self, ctx: Ctx, user: str, task_id: str) -> dict[str, Any]:
        with self.store.lock:
            record = self._task(ctx, user, task_id)
            now = self.store.now_ms()
            if tasks.is_active(record, now):  # completed / disabled tasks keep their state
                record["state"] = "paused"
                if self.quirks.bumps_updated():
                    record["updated"] = now
                self._commit(ctx)
            return {"success": True, "taskId": task_id}

    def do_delete_task(self, ctx: Ctx, user: str, task_id: str) -> dict[str, Any]:
        with self.store.lock:
            self._task(ctx, user, task_id)
            del self.store.tasks[task_id]
            self.store.runs.pop(task_id, None)
            self._commit(ctx)
            return {"success": True, "taskId": task_id}

    # -- runs ------------------------------------------------------------------------------------

    def do_runs(self, ctx: Ctx, user: str, task_id: str) -> dict[str, Any]:
        with self.store.lock:
            self._task(ctx, user, task_id)
            return {"runs": [dict(run) for run in self.store.runs.get(task_id, [])]}

    def do_run(self, ctx: Ctx, user: str, task_id: str, run_id: str) -> dict[str, Any]:
        with self.store.lock:
            return dict(self._run(ctx, user, task_id, run_id))

    def do_update_run(self, ctx: Ctx, user: str, task_id: str, run_id: str) -> dict[str, Any]:
        status = ctx.values.get("status") or ""
        if status not in tasks.RUN_STATUSES:
            allowed = " | ".join(tasks.RUN_STATUSES)
            raise bad_request([f"Invalid status '{status}': must be one of {allowed}."])
        with self.store.lock:
            run = self._run(ctx, user, task_id, run_id)
            # Stricter reading: a result not sent is cleared, like every other omitted field.
            run.update(status=status, result=ctx.values.get("result") or "")
            run["modified"] = self.store.now_ms()
            self._commit(ctx)
            return {"success": True, "taskId": task_id, "runId": run_id}

    def do_delete_run(self, ctx: Ctx, user: str, task_id: str, run_id: str) -> dict[str, Any]:
        with self.store.lock:
            run = self._run(ctx, user, task_id, run_id)
            self.store.runs[task_id].remove(run)
            self._commit(ctx)
            return {"success": True, "taskId": task_id, "runId": run_id}

    # -- items (emulator/items) -----------------------------------------------------------------

    def do_item(self, ctx: Ctx, item_id: str) -> dict[str, Any]:
        caller = ctx.account
        name = caller.name if caller else None
        return self.items.get(item_id, name, bool(caller and caller.admin))

    def do_search(self, ctx: Ctx) -> dict[str, Any]:
        caller = ctx.account
        name = caller.name if caller else None
        return self.items.search(ctx.values, name, bool(caller and caller.admin))

    def do_reassign_item(self, ctx: Ctx, user: str, item_id: str) -> dict[str, Any]:
        require_admin(ctx.user())
        target = self.accounts.get(ctx.values.get("targetUsername") or "")
        if target is None:
            raise user_not_found(ctx.values.get("targetUsername") or "")
        with self.store.lock:
            item = self.items.reassign(item_id, user, target.name)
            moving = [
                r
                for r in self.store.tasks.values()
                if r.get("itemId") == item.id and r["owner"] == user
            ]
            for record in moving:  # a new record: the store indexes tasks by owner
                state = "paused" if record["state"] == "active" else record["state"]
                self.store.tasks[record["id"]] = {**record, "owner": target.name, "state": state}
            self._commit(ctx)
        return {"success": True, "itemId": item.id, "owner": target.name, "folder": ""}

    # -- helpers ---------------------------------------------------------------------------------

    def _check_item(self, spec: Mapping[str, Any], owner: Account) -> None:
        try:
            self.items.check(spec["type"], spec.get("itemId"), owner.name, owner.admin)
        except PortalError as exc:
            raise self.quirks.validation_error(exc) from None

    def _parse(self, ctx: Ctx, current_type: str | None) -> dict[str, Any]:
        try:
            return tasks.parse_task_form(ctx.values, current_type=current_type, quirks=self.quirks)
        except PortalError as exc:
            raise self.quirks.validation_error(exc) from None

    def _check_portal(self, portal_id: str) -> None:
        if portal_id != PORTAL_ID:
            raise PortalError(400, "Portal not found.", [f"Portal '{portal_id}' does not exist."])

    def _owner(self, ctx: Ctx, user: str) -> Account:
        """The owner named in the URL, after checking the caller may act for them."""
        caller = ctx.user()
        owner = self.accounts.get(user)
        if owner is None:
            raise user_not_found(user)
        if caller.name != owner.name and not caller.admin:
            raise forbidden()
        return owner

    def _task(self, ctx: Ctx, user: str, task_id: str) -> dict[str, Any]:
        owner = self._owner(ctx, user)
        record = self.store.tasks.get(task_id)
        if record is None or record["owner"] != owner.name:
            raise task_not_found(task_id)
        return record

    def _run(self, ctx: Ctx, user: str, task_id: str, run_id: str) -> dict[str, Any]:
        self._task(ctx, user, task_id)
        for run in self.store.runs.get(task_id, []):
            if run["runId"] == run_id:
                return run
        raise run_not_found(run_id)

    def _check_limit(self, owner: str, kind: str, now: int, what: str) -> None:
        try:
            self.limits.check(self.store.tasks.values(), owner, kind, now, what)
        except PortalError as exc:
            raise self.quirks.validation_error(exc) from None

    def do_admin_limits(self, ctx: Ctx) -> dict[str, Any]:
        """``GET portaladmin/system/limits`` (Enterprise 11.2+; docs/design.md §A7.4)."""
        require_admin(ctx.user())
        return self.limits.admin_resource()

    def _commit(self, ctx: Ctx) -> None:
        """Persist the change before answering; if that fails, undo it and say so."""
        try:
            self.store.save()
        except OSError as exc:
            self.store.rollback()
            raise PortalError(500, "Unable to save the change.", [str(exc.strerror)]) from None
        ctx.committed = True
