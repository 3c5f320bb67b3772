"""The writes of the portal client: create (never a duplicate on retry), full-replacement
update, enable, disable and delete.

A createTask that got no clear answer (:class:`AmbiguousWriteError`) is checked by listing the
owner's tasks before it is sent again: a task with the same title, type and item that was not
there before is the one the portal created after all (docs/design.md §A8).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from taskform.errors import AmbiguousWriteError, BadResponse, NotFound, PortalError, TransientError
from taskform.model import DesiredTask, LiveTask
from taskform.portal.resources.codec import task_form, task_from_json
from taskform.portal.transport.http import Transport
from taskform.portal.transport.retry import RetryPolicy

log = logging.getLogger("taskform.http")


def quote_segment(segment: str) -> str:
    """One path segment, percent-encoded (a username may hold ``/`` or ``@``)."""
    return quote(segment, safe="")


def tasks_path(owner: str, *rest: str) -> tuple[str, str]:
    """The path of ``owner``'s tasks resource (quoted, to send) and its readable form."""
    sent = "/".join(["community/users", quote_segment(owner), "tasks", *map(quote_segment, rest)])
    shown = "/".join(["community/users", owner, "tasks", *rest])
    return sent, shown


class TaskWrites:
    """Mixed into :class:`~taskform.portal.client.PortalClient`, which provides the transport,
    the lock, the ids it has seen per owner, the retry policy and the two reads below."""

    retry: RetryPolicy
    _http: Transport
    _lock: threading.Lock
    _known: dict[str, set[str]]
    _sleep: Callable[[float], None]

    def list_tasks(self, owners: Sequence[str]) -> dict[str, list[LiveTask]]:
        raise NotImplementedError  # PortalClient's

    def _read_per_owner(self, owners: list[str]) -> dict[str, list[LiveTask]]:
        raise NotImplementedError  # PortalClient's

    def create_task(self, task: DesiredTask) -> str:
        owner = task.owner
        path, shown = tasks_path(owner, "createTask")
        name = f"POST {shown}"
        form = self._form(task, None, name)
        known = self._known_ids(owner)
        attempts = self.retry.start()
        while True:
            try:
                body = self._http.call(
                    "POST", path, data=form, idempotent=False, attempts=attempts, owner=owner
                )
            except AmbiguousWriteError as exc:
                found = self._find_created(task, known, name, exc)
                if found is not None:
                    return found
                delay = attempts.next_delay()
                if delay is None:
                    raise TransientError(
                        f"could not create the task {task.title!r} ({exc.message}); "
                        "the portal's task list shows it was not created",
                        request=name,
                        owner=owner,
                    ) from None
                log.info(
                    "retrying %s after no clear answer (attempt %d/%d, waiting %.1fs)",
                    name,
                    attempts.count + 1,
                    self.retry.max_attempts,
                    delay,
                )
                self._sleep(delay)
                continue
            self._check_success(body, name, owner)
            task_id = body.get("taskId", body.get("id"))
            if not isinstance(task_id, str) or not task_id:
                raise BadResponse("createTask answered without a 'taskId'", request=name)
            self._remember(owner, task_id)
            return task_id

    def update_task(self, task_id: str, task: DesiredTask, live: LiveTask) -> None:
        owner = live.owner
        path, shown = tasks_path(owner, task_id, "update")
        name = f"POST {shown}"
        body = self._http.call("POST", path, data=self._form(task, live, name), owner=owner)
        self._check_success(body, name, owner)
        if not live.active:
            self._keep_inactive(owner, task_id, live)

    def _keep_inactive(self, owner: str, task_id: str, live: LiveTask) -> None:
        """An update changes fields, never whether a task runs; but a portal may restart a
        completed task when it is updated (the documentation's two snapshots of one task
        suggest so). After updating an inactive task, read it back (one request, only for
        inactive tasks) and switch it off again if the update switched it on; an enable that
        the plan asked for follows as its own step."""
        path, shown = tasks_path(owner, task_id)
        body = self._http.call("GET", path, params={"f": "json"}, owner=owner)
        try:
            now = task_from_json(body, owner=owner)
        except ValueError as exc:
            raise BadResponse(f"unexpected answer: {exc}", request=f"GET {shown}") from None
        if now.active:
            log.info(
                "the update made %s active (it was %s); disabling it again",
                task_id,
                live.task_state or "inactive",
            )
            self.set_active(owner, task_id, False)

    def set_active(self, owner: str, task_id: str, active: bool) -> None:
        verb = "enable" if active else "disable"
        path, shown = tasks_path(owner, task_id, verb)
        body = self._http.call("POST", path, data={"f": "json"}, owner=owner)
        self._check_success(body, f"POST {shown}", owner)

    def delete_task(self, owner: str, task_id: str) -> None:
        path, shown = tasks_path(owner, task_id, "delete")
        try:
            body = self._http.call("POST", path, data={"f": "json"}, owner=owner)
        except NotFound:
            log.info("task %s of %s was already deleted", task_id, owner)
            return
        self._check_success(body, f"POST {shown}", owner)

    def _form(self, task: DesiredTask, live: LiveTask | None, name: str) -> dict[str, str]:
        try:
            return task_form(task, live)
        except ValueError as exc:
            raise PortalError(f"cannot send the task: {exc}", request=name) from None

    def _check_success(self, body: Mapping[str, Any], name: str, owner: str) -> None:
        if body.get("success") is False:
            raise PortalError(
                "the portal did not confirm the change (success: false)", request=name, owner=owner
            )

    def _known_ids(self, owner: str) -> set[str]:
        with self._lock:
            known = self._known.get(owner)
            if known is not None:
                return set(known)
        self.list_tasks([owner])  # no listing yet: take one so a retry can tell new from old
        with self._lock:
            return set(self._known.get(owner, ()))

    def _remember(self, owner: str, task_id: str) -> None:
        with self._lock:
            self._known.setdefault(owner, set()).add(task_id)

    def _find_created(
        self, task: DesiredTask, known: set[str], name: str, exc: AmbiguousWriteError
    ) -> str | None:
        """After a createTask without a clear answer: the id of a task with the same title,
        type and item that was not there before, if the portal created it after all."""
        owner = task.owner
        log.info("%s: %s; listing the tasks of %s to check", name, exc.message, owner)
        try:
            tasks = self._read_per_owner([owner])[owner]
        except PortalError as err:
            raise AmbiguousWriteError(
                f"{exc.message}, and listing the tasks to check failed ({err.message}); "
                f"run 'taskform plan' to see whether {task.title!r} exists",
                request=name,
                owner=owner,
            ) from None
        matches = [
            t
            for t in tasks
            if t.id not in known
            and t.title == task.title
            and t.type == task.type
            and (t.item_id or None) == (task.item_id or None)
        ]
        if not matches:
            log.info("%s: the task was not created; sending it again", name)
            return None
        matches.sort(key=lambda t: (t.created or 0, t.id))
        if len(matches) > 1:
            log.warning(
                "%s: %d new tasks titled %r appeared; using %s",
                name,
                len(matches),
                task.title,
                matches[0].id,
            )
        self._remember(owner, matches[0].id)
        log.info("%s: the task was created after all (id %s)", name, matches[0].id)
        return matches[0].id
