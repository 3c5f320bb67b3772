"""Named quirks: the other reading of each behaviour the portal's documentation leaves open.

The emulator's default is one reading (FIDELITY.md says which and why); ``--quirk NAME``
(repeatable) or a probe profile (``--profile FILE``, see :mod:`taskform.emulator.server.profile`)
switches on the other, so that taskform is tested against both. Each quirk is applied here, at
the one point where the portal's answer would differ, so the handlers stay readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import PortalError

#: Every quirk and what the emulator then does (shown by ``taskform emulator --help``).
QUIRKS: Mapping[str, str] = {
    "fills_start_date": "createTask/update without startDate store the current time as it",
    "update_patches_optional_fields": (
        "update keeps optional fields it is not sent (startDate, endDate, maxOccurrences, "
        "title, parameters, taskUrl) instead of resetting them"
    ),
    "update_reactivates_completed": "an update of a completed task makes it active again",
    "max_occurrences_default_10": "maxOccurrences left out means 10 (Esri's client default)",
    "create_reads_taskURL_only": (
        "createTask reads only 'taskURL' and update only 'taskUrl' (what Esri's client sends)"
    ),
    "validation_errors_as_500": "createTask/update validation errors carry code 500, not 400",
    "org_list_partial": "allScheduledTasks items carry only id, userId and title",
    "state_change_bumps_updated": "enable and disable set 'updated' to the current time",
    "types_single_value": "the list's 'types' takes one type name, not a comma list",
}

#: Optional createTask/update fields (form name -> stored name) that patch semantics keeps.
OPTIONAL_FIELDS: Mapping[str, tuple[str, ...]] = {
    "startDate": ("startDate",),
    "endDate": ("endDate",),
    "maxOccurrences": ("maxOccurrences",),
    "title": ("title",),
    "parameters": ("parameters",),
    "taskUrl": ("taskUrl", "taskURL"),
}

DEFAULT_MAX_OCCURRENCES = -1  # the emulator's own reading: unlimited
ESRI_CLIENT_MAX_OCCURRENCES = 10


class Quirks:
    """The quirks switched on for one emulator."""

    def __init__(self, names: frozenset[str] = frozenset()) -> None:
        unknown = sorted(names - set(QUIRKS))
        if unknown:
            raise ValueError(f"unknown quirk {', '.join(unknown)} (known: {', '.join(QUIRKS)})")
        self.names = names

    def __contains__(self, name: str) -> bool:
        assert name in QUIRKS, name
        return name in self.names

    def __repr__(self) -> str:
        return f"Quirks({sorted(self.names)})"

    # -- createTask / update ---------------------------------------------------------------

    def task_url_form(self, values: Mapping[str, str], *, creating: bool) -> str | None:
        """The GP task URL the portal reads from the form."""
        if "create_reads_taskURL_only" in self:
            return values.get("taskURL" if creating else "taskUrl") or None
        return values.get("taskUrl") or values.get("taskURL") or None

    def validation_error(self, error: PortalError) -> PortalError:
        """A createTask/update validation error as this portal reports it."""
        if "validation_errors_as_500" in self and error.code == 400:
            return PortalError(500, error.message, error.details)
        return error

    def fill_create(self, spec: dict[str, Any], values: Mapping[str, str], now_ms: int) -> None:
        """What the portal fills into a new task's fields that were not sent."""
        if not (values.get("maxOccurrences") or ""):
            spec["maxOccurrences"] = self._default_max()
        if spec.get("startDate") is None and "fills_start_date" in self:
            spec["startDate"] = now_ms

    def fill_update(
        self,
        spec: dict[str, Any],
        values: Mapping[str, str],
        record: Mapping[str, Any],
        now_ms: int,
    ) -> None:
        """Fields of an update that were not sent: kept (patch), or reset as on create."""
        if "update_patches_optional_fields" in self:
            for form_name, names in OPTIONAL_FIELDS.items():
                if not any(values.get(n) for n in names) and form_name in record:
                    spec[form_name] = record[form_name]
            if record["type"] != "GPService":
                spec["taskUrl"] = None
            end, start = spec.get("endDate"), spec.get("startDate")
            if start is not None and end is not None and start > end:
                raise PortalError(400, "startDate must not be after endDate.")
            return
        self.fill_create(spec, values, now_ms)

    def reactivates(self, state: str) -> bool:
        """Whether an update makes a task in ``state`` (effective) active again."""
        return state == "completed" and "update_reactivates_completed" in self

    def bumps_updated(self) -> bool:
        return "state_change_bumps_updated" in self

    # -- lists ---------------------------------------------------------------------------

    def org_item(self, task: dict[str, Any]) -> dict[str, Any]:
        """An allScheduledTasks item as this portal lists it."""
        if "org_list_partial" in self:
            return {k: task[k] for k in ("id", "userId", "title") if k in task}
        return task

    def _default_max(self) -> int:
        if "max_occurrences_default_10" in self:
            return ESRI_CLIENT_MAX_OCCURRENCES
        return DEFAULT_MAX_OCCURRENCES
