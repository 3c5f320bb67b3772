"""In-memory fakes for unit tests of the engine (the end-to-end tests use the real emulator)."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from typing import Any

from taskform.errors import PortalError
from taskform.model import CronFields, DesiredTask, LiveTask, Run

_ids = itertools.count(1)


def live_task(
    owner: str = "admin",
    title: str = "Task",
    *,
    id: str | None = None,
    type: str = "ExecuteNotebook",
    cron: CronFields | None = None,
    item_id: str | None = "029b61ca770e428d9468a2a55f40b9fb",
    **fields: Any,
) -> LiveTask:
    task_id = id or f"{next(_ids):032x}"
    cron = cron or CronFields("0", "2", "?", "*", "2-6")
    raw = {"id": task_id, "userId": owner, "title": title, "type": type, "updated": 1}
    raw.update({k: v for k, v in fields.items() if k != "raw"})
    raw["cronSchedule"] = cron.as_portal()
    return LiveTask(
        id=task_id,
        owner=owner,
        title=title,
        type=type,
        cron=cron,
        item_id=item_id,
        raw=raw,
        **fields,
    )


class MemoryPortal:
    """A Portal kept in memory. ``fail`` maps (op, title) to an error message to raise."""

    def __init__(self, user: str = "admin", tasks: Sequence[LiveTask] = ()) -> None:
        self.user = user
        self.tasks: dict[str, LiveTask] = {t.id: t for t in tasks}
        self.fail: dict[tuple[str, str], str] = {}
        self.available: dict[str, int] = {}
        #: Owners (casefolded) read "from the org-wide list": no headroom known for them.
        self.org_listed: set[str] = set()
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def _record(self, op: str, title: str) -> None:
        with self._lock:
            self.calls.append((op, title))
        message = self.fail.get((op, title))
        if message:
            raise PortalError(message, code=400, request=f"POST {op}")

    def signed_in_user(self) -> str:
        return self.user

    def list_tasks(self, owners: Sequence[str]) -> dict[str, list[LiveTask]]:
        return {
            o: [t for t in self.tasks.values() if t.owner.casefold() == o.casefold()]
            for o in owners
        }

    def create_task(self, task: DesiredTask) -> str:
        self._record("create", task.title)
        created = live_task(
            task.owner,
            task.title,
            type=task.type,
            cron=task.cron,
            item_id=task.item_id,
            parameters=dict(task.parameters),
            max_occurrences=task.max_occurrences,
            start_date=task.start_date,
            end_date=task.end_date,
            task_url=task.task_url,
        )
        with self._lock:
            self.tasks[created.id] = created
        return created.id

    def update_task(self, task_id: str, task: DesiredTask, live: LiveTask) -> None:
        self._record("update", task.title)
        old = self.tasks[task_id]
        updated = live_task(
            task.owner,
            task.title,
            id=task_id,
            type=task.type,
            cron=task.cron,
            item_id=task.item_id,
            parameters=dict(task.parameters),
            max_occurrences=task.max_occurrences
            if task.max_occurrences is not None
            else old.max_occurrences,
            start_date=task.start_date,
            end_date=task.end_date,
            task_url=task.task_url,
            active=old.active,
            task_state=old.task_state,
        )
        with self._lock:
            self.tasks[task_id] = updated

    def set_active(self, owner: str, task_id: str, active: bool) -> None:
        old = self.tasks[task_id]
        self._record("enable" if active else "disable", old.title)
        fields = {
            k: getattr(old, k)
            for k in (
                "item_id",
                "parameters",
                "max_occurrences",
                "start_date",
                "end_date",
                "task_url",
            )
        }
        with self._lock:
            self.tasks[task_id] = live_task(
                old.owner,
                old.title,
                id=task_id,
                type=old.type,
                cron=old.cron,
                active=active,
                task_state="active" if active else "paused",
                **fields,
            )

    def delete_task(self, owner: str, task_id: str) -> None:
        title = self.tasks[task_id].title if task_id in self.tasks else task_id
        self._record("delete", title)
        with self._lock:
            self.tasks.pop(task_id, None)

    def list_runs(self, owner: str, task_id: str) -> list[Run]:
        return []

    def active_available(self, owner: str, task_type: str) -> int | None:
        return self.available.get(owner)  # the same headroom for every type

    def headroom_unknown(self, owner: str) -> bool:
        return owner.casefold() in self.org_listed
