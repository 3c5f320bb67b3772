"""Task lists as the portal serves them: paging (``num``, ``start``), the filters (``itemId``,
``active``, ``types``), ``sortField``/``sortOrder``, and the page object."""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..server.errors import bad_request
from ..server.quirks import Quirks
from . import tasks

PAGE_DEFAULT, PAGE_MAX = 10, 100


def integer(values: Mapping[str, str], name: str, default: int) -> int:
    text = values.get(name) or ""
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise bad_request([f"Invalid {name} '{text}': must be an integer."]) from None


def paging(values: Mapping[str, str]) -> tuple[int, int]:
    num = min(max(integer(values, "num", PAGE_DEFAULT), 1), PAGE_MAX)
    start = max(integer(values, "start", 1), 1)
    return num, start


Filter = Callable[[Mapping[str, Any], int], bool]


def filters(values: Mapping[str, str], quirks: Quirks) -> Filter | None:
    """The list filters asked for (``itemId``, ``active``, ``types``), or None for none."""
    item_id = values.get("itemId") or None
    active_text = values.get("active") or None
    if active_text not in (None, "true", "false"):
        raise bad_request([f"Invalid active '{active_text}': must be true or false."])
    types_text = values.get("types") or ""
    # Esri's integration tests list with types="ExecuteNotebook,UpdateInsightsWorkbook".
    wanted = [t.strip() for t in types_text.split(",")] if types_text else []
    if len(wanted) > 1 and "types_single_value" in quirks:
        raise bad_request([f"Invalid types '{types_text}': must be one task type name."])
    for wanted_type in wanted:
        if wanted_type not in tasks.TASK_TYPES:
            raise bad_request(
                [f"Invalid types '{wanted_type}': must be one of {', '.join(tasks.TASK_TYPES)}."]
            )

    def keep(record: Mapping[str, Any], now: int) -> bool:
        if item_id is not None and record.get("itemId") != item_id:
            return False
        if wanted and record["type"] not in wanted:
            return False
        return active_text is None or tasks.is_active(record, now) == (active_text == "true")

    return None if item_id is None and active_text is None and not wanted else keep


#: ``sortField`` values (the documentation names type, title, created, updated, next run...).
SORT_FIELDS = {
    "created": lambda r, now: r["created"],
    "updated": lambda r, now: r["updated"],
    "title": lambda r, now: r["title"].lower(),
    "type": lambda r, now: r["type"],
    "nextstart": lambda r, now: tasks.render(r, now).get("nextStart", 1 << 62),
}


def sort_records(
    records: list[dict[str, Any]], values: Mapping[str, str], now: int
) -> list[dict[str, Any]]:
    """``sortField`` / ``sortOrder`` (asc by default); without a field, creation order. Ties
    keep creation order, so pages sorted by a field taskform sends (created) are stable."""
    field = (values.get("sortField") or "").lower()
    order = (values.get("sortOrder") or "asc").lower()
    if order not in ("asc", "desc"):
        raise bad_request([f"Invalid sortOrder '{order}': must be asc or desc."])
    if not field:
        return records
    key = SORT_FIELDS.get(field)
    if key is None:
        raise bad_request(
            [f"Invalid sortField '{field}': must be one of {', '.join(SORT_FIELDS)}."]
        )
    return sorted(records, key=lambda r: key(r, now), reverse=order == "desc")


def select(
    records: Mapping[str, dict[str, Any]],
    keep: Filter | None,
    values: Mapping[str, str],
    num: int,
    start: int,
    now: int,
    *,
    created_order: bool = False,
) -> tuple[list[dict[str, Any]], int]:
    """The page's records, filtered and sorted, and the total. Shallow copies, to render after
    the store lock is released (a write replaces a record's nested values rather than
    changing them). Without filters, and unsorted or sorted by ascending ``created`` when the
    records are in that order already (``created_order``), no task but the page's is touched
    (descending is sorted: ties keep creation order, which reading backwards would not)."""
    chosen: Iterator[dict[str, Any]]
    field = (values.get("sortField") or "").lower()
    ascending = (values.get("sortOrder") or "asc").lower() == "asc"
    if keep is None and (not field or (field == "created" and ascending and created_order)):
        sort_records([], values, now)  # still refuse a bad sortOrder
        total = len(records)
        chosen = itertools.islice(records.values(), start - 1, start - 1 + num)
    else:
        kept = [r for r in records.values() if keep is None or keep(r, now)]
        if field in ("created", "updated"):
            sort_records([], values, now)  # the same checks; a C-level key for the common case
            kept.sort(key=operator.itemgetter(field), reverse=not ascending)
        else:
            kept = sort_records(kept, values, now)
        total, chosen = len(kept), iter(kept[start - 1 : start - 1 + num])
    return [dict(r) for r in chosen], total


def page(
    chosen: list[dict[str, Any]], total: int, num: int, start: int, now: int
) -> dict[str, Any]:
    next_start = start + num if start - 1 + num < total else -1
    return {
        "total": total,
        "start": start,
        "num": num,
        "nextStart": next_start,
        "tasks": [tasks.render(r, now) for r in chosen],
    }
