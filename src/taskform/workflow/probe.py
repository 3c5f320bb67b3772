"""``taskform probe``: how this portal answers where the documentation leaves it open.

Read-only checks first (version, the signed-in user's privileges, limits when readable, list
order, the fields a listed task carries, the org-wide listing's access and shape, comma lists in
``types``); with ``write`` one disposable task (a schedule that fires on 29 February only, a
start date in 2099, switched off at once, deleted at the end even on failure) settles what
createTask and update do with fields they are not sent, whether enable/disable move
``updated``, and which error codes a bad schedule and an unknown task get.

Each finding names the emulator quirk it corresponds to (:mod:`taskform.emulator.server.quirks`), so
the JSON written by ``--out`` is a profile ``taskform emulator --profile FILE`` can load.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from taskform import tasktypes
from taskform.errors import PortalError
from taskform.portal.client import PortalClient

PROFILE_FORMAT = "taskform-probe"
PROFILE_VERSION = 1
#: Fires only on 29 February (next in 2028), starts in 2099: it can never run during the probe.
SCHEDULE = {"minute": "0", "hour": "0", "dayOfMonth": "29", "month": "2", "dayOfWeek": "?"}
FAR_START = 4070908800000  # 2099-01-01T00:00:00Z


@dataclass
class Finding:
    behaviour: str
    observed: str
    assumes: str
    #: The emulator quirk this behaviour maps to; ``quirk_on`` whether this portal showed it
    #: (None: not settled by this probe).
    quirk: str | None = None
    quirk_on: bool | None = None


@dataclass
class Profile:
    portal: str
    taken_at: str
    findings: list[Finding] = field(default_factory=list)
    limits: dict[str, int] | None = None
    wrote: bool = False

    @property
    def quirks(self) -> list[str]:
        return sorted({f.quirk for f in self.findings if f.quirk and f.quirk_on})

    def as_json(self) -> dict[str, Any]:
        return {
            "format": PROFILE_FORMAT,
            "version": PROFILE_VERSION,
            "portal": self.portal,
            "taken_at": self.taken_at,
            "wrote": self.wrote,
            "quirks": self.quirks,
            "limits": self.limits,
            "findings": [asdict(f) for f in self.findings],
        }


def probe(client: PortalClient, *, write: bool = False, item: str | None = None) -> Profile:
    profile = Profile(client.url.portal, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    add = profile.findings.append
    user = client.signed_in_user()
    root = _try(lambda: client.call("GET", "", {}))
    version = root.get("currentVersion") if isinstance(root, dict) else None
    add(Finding("portal version (currentVersion)", str(version or _err(root)), "any"))
    record = client.user_info(user)
    listed = record.get("privileges")
    privileges: list[Any] = listed if isinstance(listed, list) else []
    admin = client.is_admin()
    can = [p for p in privileges if "schedule" in str(p).lower()]
    add(
        Finding(
            f"privileges of {user}",
            f"{'administrator' if admin else 'not an administrator'}; "
            f"scheduling privileges: {', '.join(map(str, can)) or 'none listed'}",
            "the owner of each task, or an administrator for other owners",
        )
    )
    profile.limits = _limits(client, add)
    if not write:
        _lists(client, user, admin, add)
        return profile
    if not item:
        raise PortalError("probe --write needs --item ID: an item the task can run against")
    base = f"community/users/{user}/tasks"
    info = client.call("GET", f"content/items/{item}", {})
    kind = next(
        (t.name for t in tasktypes.REGISTRY.values() if info.get("type") in t.item_types),
        "ExecuteNotebook",
    )
    title = f"taskform probe {secrets.token_hex(4)} (safe to delete)"
    form = {"title": title, "type": kind, "itemId": item, **SCHEDULE}
    created = client.call(
        "POST", f"{base}/createTask", {**form, "startDate": str(FAR_START)}, idempotent=False
    )
    task_id = str(created.get("taskId") or "")
    profile.wrote = True
    try:
        if not task_id:
            raise PortalError("createTask answered without a taskId")
        client.call("POST", f"{base}/{task_id}/disable", {})
        _lists(client, user, admin, add)  # now there is at least one task to look at
        _write_checks(client, base, task_id, form, add)
    finally:
        if task_id:
            client.call("POST", f"{base}/{task_id}/delete", {})
    return profile


def _limits(client: PortalClient, add: Callable[[Finding], None]) -> dict[str, int] | None:
    url = client.url.portal + "/portaladmin/system/limits"
    answer = _try(lambda: client.get_json(url, {"category": "ScheduleTask"}))
    listed = answer.get("ScheduleTask") if isinstance(answer, dict) else None
    if not isinstance(listed, list):
        add(
            Finding(
                "active-task limits (portaladmin system/limits)",
                f"not readable: {_err(answer)}",
                "activeTasksAvailable of each list",
            )
        )
        return None
    limits = {
        str(x["limitName"]): int(x["numLimit"])
        for x in listed
        if isinstance(x, dict) and isinstance(x.get("numLimit"), int) and x.get("limitName")
    }
    shown = ", ".join(f"{k}={v}" for k, v in sorted(limits.items()))
    add(Finding("active-task limits (portaladmin system/limits)", shown, "per type, user and org"))
    return limits


def _lists(client: PortalClient, user: str, admin: bool, add: Callable[[Finding], None]) -> None:
    path = f"community/users/{user}/tasks"
    plain = _try(lambda: client.call("GET", path, {"num": "100"}))
    tasks = plain.get("tasks") if isinstance(plain, dict) else None
    if isinstance(tasks, list) and tasks:
        keys = sorted({k for t in tasks if isinstance(t, dict) for k in t})
        full = all(isinstance(t, dict) and "cronSchedule" in t and "type" in t for t in tasks)
        shape = "full objects" if full else "partial objects"
        add(
            Finding(
                "fields of a listed task",
                f"{shape}: {', '.join(keys)}",
                "full task objects (no per-task reads)",
            )
        )
        created = [t.get("created") for t in tasks if isinstance(t, dict)]
        ordered = created == sorted(c for c in created if isinstance(c, int))
        add(
            Finding(
                "list order without sortField",
                "creation order" if ordered else "not creation order",
                "taskform sends sortField=created, so this does not matter",
            )
        )
    else:
        add(
            Finding(
                "fields of a listed task",
                f"no tasks to look at ({_err(plain)})",
                "full task objects",
            )
        )
    sorted_ = _try(
        lambda: client.call("GET", path, {"num": "1", "sortField": "created", "sortOrder": "asc"})
    )
    add(
        Finding(
            "sortField=created on the task list",
            "accepted" if isinstance(sorted_, dict) and "tasks" in sorted_ else _err(sorted_),
            "accepted (taskform sends it)",
        )
    )
    both = _try(
        lambda: client.call(
            "GET", path, {"num": "1", "types": "ExecuteNotebook,UpdateInsightsWorkbook"}
        )
    )
    ok = isinstance(both, dict) and "tasks" in both
    add(
        Finding(
            "types with a comma list",
            "accepted" if ok else f"refused: {_err(both)}",
            "never sent",
            "types_single_value",
            not ok,
        )
    )
    available = plain.get("activeTasksAvailable") if isinstance(plain, dict) else None
    add(Finding("activeTasksAvailable", str(available), "headroom under the notebook limit"))
    if not admin:
        add(
            Finding(
                "org-wide list (allScheduledTasks)",
                "not tried: not an administrator",
                "read only by administrators",
                "org_list_partial",
                None,
            )
        )
        return
    org = _try(lambda: client.call("GET", "portals/self/allScheduledTasks", {"num": "10"}))
    items = org.get("tasks") if isinstance(org, dict) else None
    if not isinstance(items, list):
        add(
            Finding(
                "org-wide list (allScheduledTasks)",
                f"refused: {_err(org)}",
                "falls back to each owner's list",
            )
        )
    elif not items:
        add(
            Finding(
                "org-wide list (allScheduledTasks)",
                "readable, empty",
                "full objects, else each owner's list",
                "org_list_partial",
                None,
            )
        )
    else:
        partial = not all(
            isinstance(t, dict) and "cronSchedule" in t and "type" in t for t in items
        )
        keys = sorted({k for t in items if isinstance(t, dict) for k in t})
        add(
            Finding(
                "org-wide list (allScheduledTasks)",
                f"{'partial' if partial else 'full'} objects: {', '.join(keys)}",
                "full objects, else each owner's list",
                "org_list_partial",
                partial,
            )
        )


def _write_checks(
    client: PortalClient,
    base: str,
    task_id: str,
    update: dict[str, str],
    add: Callable[[Finding], None],
) -> None:
    """What the disposable task (created with a startDate, no maxOccurrences) shows."""
    task = client.call("GET", f"{base}/{task_id}", {})
    occurrences = task.get("maxOccurrences")
    add(
        Finding(
            "maxOccurrences when createTask sends none",
            str(occurrences),
            "unmanaged when unset (declare max_occurrences to be sure)",
            "max_occurrences_default_10",
            occurrences == 10,
        )
    )
    before = task.get("updated")
    time.sleep(0.01)  # so that a portal that does set 'updated' sets another millisecond
    client.call("POST", f"{base}/{task_id}/enable", {})
    client.call("POST", f"{base}/{task_id}/disable", {})
    after = client.call("GET", f"{base}/{task_id}", {}).get("updated")
    add(
        Finding(
            "enable/disable change 'updated'",
            "yes" if after != before else "no",
            "never relied on",
            "state_change_bumps_updated",
            after != before,
        )
    )
    sent = time.time() * 1000
    client.call("POST", f"{base}/{task_id}/update", update)
    task = client.call("GET", f"{base}/{task_id}", {})
    start = task.get("startDate")
    kept = start == FAR_START
    filled = isinstance(start, int) and not kept and abs(start - sent) < 600_000
    add(
        Finding(
            "update without startDate",
            "kept"
            if kept
            else ("set to now" if filled else ("cleared" if start is None else str(start))),
            "unmanaged when unset; taskform resends the live value",
            "update_patches_optional_fields",
            kept,
        )
    )
    add(
        Finding(
            "startDate filled in by the portal",
            "yes" if filled else "no",
            "unmanaged when unset",
            "fills_start_date",
            filled,
        )
    )
    bad = _try(lambda: client.call("POST", f"{base}/{task_id}/update", {**update, "hour": "25"}))
    code = bad.code if isinstance(bad, PortalError) else None
    add(
        Finding(
            "error code of a bad schedule",
            str(code or "accepted?!"),
            "400, or 500 (then createTask is re-listed before any resend)",
            "validation_errors_as_500",
            code == 500 if code else None,
        )
    )
    missing = _try(lambda: client.call("GET", f"{base}/{secrets.token_hex(16)}", {}))
    add(
        Finding(
            "error code of an unknown task",
            str(missing.code if isinstance(missing, PortalError) else "answered?!"),
            "404 (a delete of it counts as done)",
        )
    )
    unlimited = _try(
        lambda: client.call("POST", f"{base}/{task_id}/update", {**update, "maxOccurrences": "-1"})
    )
    add(
        Finding(
            "maxOccurrences=-1 (unlimited)",
            "accepted" if isinstance(unlimited, dict) else f"refused: {_err(unlimited)}",
            "only sent when the configuration says -1",
        )
    )
    _completed_then_updated(client, base, task_id, update, add)


def _completed_then_updated(
    client: PortalClient,
    base: str,
    task_id: str,
    update: dict[str, str],
    add: Callable[[Finding], None],
) -> None:
    """End the task (an endDate already past), then update it with a future one: does the
    portal restart it? (The task fires on 29 February only, so even running it is harmless.)"""
    past = {"startDate": "946684800000", "endDate": "946684800001"}  # 2000-01-01
    ended = _try(lambda: client.call("POST", f"{base}/{task_id}/update", {**update, **past}))
    state = client.call("GET", f"{base}/{task_id}", {}) if isinstance(ended, dict) else {}
    if state.get("taskState") != "completed":
        observed = f"not settled: a task past its endDate reads {state.get('taskState')!r}"
        if not isinstance(ended, dict):
            observed = f"not settled: {_err(ended)}"
        add(
            Finding(
                "update of a completed task",
                observed,
                "taskform switches it off again if an update restarts it",
                "update_reactivates_completed",
                None,
            )
        )
        return
    future = {"startDate": str(FAR_START), "endDate": str(FAR_START + 86_400_000)}
    client.call("POST", f"{base}/{task_id}/update", {**update, **future})
    after = client.call("GET", f"{base}/{task_id}", {})
    restarted = after.get("active") is True
    add(
        Finding(
            "update of a completed task",
            f"restarts it ({after.get('taskState')})"
            if restarted
            else f"leaves it {after.get('taskState')}",
            "taskform switches it off again if an update restarts it",
            "update_reactivates_completed",
            restarted,
        )
    )


def _try(fn: Callable[[], dict[str, Any]]) -> dict[str, Any] | PortalError:
    try:
        return fn()
    except PortalError as exc:
        return exc


def _err(answer: Any) -> str:
    if isinstance(answer, PortalError):
        return f"error {answer.code}: {answer.message}" if answer.code else answer.message
    return "no answer"
