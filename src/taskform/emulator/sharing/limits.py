"""Active-task limits per task type, per user and per organisation, as ArcGIS Enterprise has them.

ArcGIS Enterprise 11.2+ keeps them in the portal admin API's ``system/limits`` resource,
category ``ScheduleTask`` (docs/design.md §A7.4, §A15): ``ExecuteNotebooksUserLimit`` (default 20
active notebook tasks per user), ``ExecuteNotebooksOrgLimit`` (200 per organisation), and the
same pair for Insights workbooks, Workflow Manager and GP services. A slot is taken by every
task in the Active state and freed when it leaves it (completed, failed, paused). Only the
notebook defaults are documented; the others default to the same numbers here. Scene cooks,
reports and data pipelines have no documented limit and are not limited.

The emulator answers:

- ``activeTasksAvailable`` in a user's task list: the headroom for the task type the list is
  filtered to (``types=`` with one name), else for notebook tasks (the documentation's example
  shows 20 = ``ExecuteNotebooksUserLimit``): the smaller of the user's and the organisation's;
- ``GET /portaladmin/system/limits?category=ScheduleTask`` (administrators):
  ``{"ScheduleTask": [{"limitName": ..., "numLimit": ...}, ...]}``, ``-1`` = unlimited;
- a createTask or enable that would pass a limit: error 400 naming the limit.

Set with ``taskform emulator --limit NAME=N`` (repeatable; 0 = unlimited),
``--active-task-limit N`` (every per-user limit N; 0 = no limit at all), or a probe profile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..server.errors import bad_request
from . import tasks

#: Task type -> (its per-user limit, its per-organisation limit).
TYPE_LIMITS: Mapping[str, tuple[str, str]] = {
    "ExecuteNotebook": ("ExecuteNotebooksUserLimit", "ExecuteNotebooksOrgLimit"),
    "UpdateInsightsWorkbook": ("UpdateInsightsUserLimit", "UpdateInsightsOrgLimit"),
    "ExecuteWorkflowManager": ("ExecuteWorkflowManagerUserLimit", "ExecuteWorkflowManagerOrgLimit"),
    "GPService": ("GPServiceUserLimit", "GPServiceOrgLimit"),
}
USER_DEFAULT, ORG_DEFAULT = 20, 200
DEFAULTS: Mapping[str, int] = {
    **{user: USER_DEFAULT for user, _ in TYPE_LIMITS.values()},
    **{org: ORG_DEFAULT for _, org in TYPE_LIMITS.values()},
}
#: Other ScheduleTask limits the admin resource lists (enforced elsewhere in the emulator).
OTHER_LIMITS: Mapping[str, int] = {
    "FailedRunsToDisableTask": tasks.FAILED_RUNS_TO_DISABLE_TASK,
    "TaskRunHistoryCount": tasks.TASK_RUN_HISTORY_COUNT,
}
UNLIMITED_AVAILABLE = 999_999  # activeTasksAvailable when nothing limits the type
DEFAULT_TYPE = "ExecuteNotebook"


class Limits:
    """The limits in force (name -> count; 0 = unlimited)."""

    def __init__(self, values: Mapping[str, int] | None = None) -> None:
        self.values = dict(DEFAULTS)
        for name, value in (values or {}).items():
            if name not in DEFAULTS:
                raise ValueError(f"unknown limit {name!r} (known: {', '.join(DEFAULTS)})")
            if value < 0:
                raise ValueError(f"limit {name} must be 0 (unlimited) or more, not {value}")
            self.values[name] = value

    @classmethod
    def uniform(cls, per_user: int) -> Limits:
        """``--active-task-limit N``: every per-user limit N; 0 = no limits at all."""
        if per_user == 0:
            return cls(dict.fromkeys(DEFAULTS, 0))
        return cls({user: per_user for user, _ in TYPE_LIMITS.values()})

    def available(
        self, records: Iterable[Mapping[str, Any]], owner: str, kind: str, now: int
    ) -> int:
        """Headroom for one more active ``kind`` task of ``owner``."""
        user_limit, org_limit = self._of(kind)
        if not user_limit and not org_limit:
            return UNLIMITED_AVAILABLE
        mine, org = self._counts(records, owner, kind, now)
        room = [limit - used for limit, used in ((user_limit, mine), (org_limit, org)) if limit]
        return max(0, min(room))

    def check(
        self, records: Iterable[Mapping[str, Any]], owner: str, kind: str, now: int, what: str
    ) -> None:
        """Raise error 400 if one more active ``kind`` task of ``owner`` passes a limit."""
        user_limit, org_limit = self._of(kind)
        if not user_limit and not org_limit:
            return
        mine, org = self._counts(records, owner, kind, now)
        names = TYPE_LIMITS[kind]
        if user_limit and mine >= user_limit:
            raise bad_request(
                [
                    f"{what}: user '{owner}' has reached the limit of {user_limit} active "
                    f"{kind} scheduled tasks ({names[0]}). Disable or delete an active task "
                    "first."
                ]
            )
        if org_limit and org >= org_limit:
            raise bad_request(
                [
                    f"{what}: the organization has reached the limit of {org_limit} active "
                    f"{kind} scheduled tasks ({names[1]}). Disable or delete an active task "
                    "first."
                ]
            )

    def admin_resource(self) -> dict[str, Any]:
        """``portaladmin/system/limits`` for category ScheduleTask (-1 = unlimited)."""
        listed = [
            {"limitName": name, "numLimit": value or -1} for name, value in self.values.items()
        ]
        listed += [{"limitName": n, "numLimit": v} for n, v in OTHER_LIMITS.items()]
        return {"ScheduleTask": listed}

    def _of(self, kind: str) -> tuple[int, int]:
        names = TYPE_LIMITS.get(kind)
        if names is None:
            return 0, 0
        return self.values[names[0]], self.values[names[1]]

    @staticmethod
    def _counts(
        records: Iterable[Mapping[str, Any]], owner: str, kind: str, now: int
    ) -> tuple[int, int]:
        mine = org = 0
        for record in records:
            if record["type"] == kind and tasks.is_active(record, now):
                org += 1
                mine += record["owner"] == owner
        return mine, org


def parse_setting(text: str) -> tuple[str, int]:
    """``NAME=N`` as given to ``--limit``."""
    name, sep, value = text.partition("=")
    if not sep or not value.strip().isdigit():
        raise ValueError(f"{text!r} is not NAME=N (N a whole number, 0 = unlimited)")
    return name.strip(), int(value)
