"""Portal items: what a task runs against (a notebook, an Insights workbook, a web tool...).

Items are registered by tests and demos with ``POST /__emulator/items`` (a JSON object or a
list of ``{"id", "owner", "type", "title", "access"?}``; ``GET`` lists them). They live in
memory only, like GP task descriptions: not in the state file, kept by ``/__emulator/reset``.

The Sharing API resources answered for them:

- ``GET content/items/<id>``: the item (``id``, ``owner``, ``type``, ``title``, ``access``,
  ...), or error 400 "Item does not exist or is inaccessible." for an item the caller may
  not see;
- ``search`` (GET or POST; taskform and Esri's client POST) with
  ``q=id:(<id> OR <id> ...)`` (also ``id:<id> OR id:<id>``): the usual search envelope
  ``{"total", "start", "num", "nextStart", "results": [...]}`` of the items the caller may see
  (its own, ``org`` and ``public`` ones; an admin sees all);
- ``POST content/users/<owner>/items/<id>/reassign`` with ``targetUsername`` (admins): the
  item changes owner, and its tasks move to the new owner, switched off (the Enterprise
  notebook documentation: tasks of a notebook whose owner changes are deactivated and
  assigned to the new owner).

createTask and update check the item (:meth:`Items.check`): an item whose type does not fit
the task type, or that the task's owner cannot use (not theirs and not shared with the org;
for GPService only the web tool's owner or an administrator), is refused; an id that was
never registered is refused with ``--strict-items`` and accepted otherwise. Without
``--strict-items`` the item API also answers for such ids, as an item of no stated type that
everyone may use, so that configurations written before items existed keep planning.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from werkzeug.wrappers import Request, Response

from ..server.errors import PortalError

CONTROL_PATH = "/__emulator/items"

#: Which item types each task type runs against (the portal's item type names).
ITEM_TYPES: Mapping[str, tuple[str, ...]] = {
    "ExecuteNotebook": ("Notebook",),
    "UpdateInsightsWorkbook": ("Insights Workbook",),
    "ExecuteSceneCook": ("Scene Service",),
    "ExecuteWorkflowManager": ("Workflow",),
    "GPService": ("Geoprocessing Service",),
    "RunDataPipeline": ("Data Pipeline",),
    # ExecuteReport: the item is optional and its type is not documented; any type is taken
}
ACCESS = ("private", "shared", "org", "public")
INACCESSIBLE = "Item does not exist or is inaccessible."
_ITEM_ID = re.compile(r"[0-9a-fA-F]{32}")
_ID_TERM = re.compile(r"id:\s*\(([^)]*)\)|id:\s*([0-9a-fA-F]{32})", re.I)
PAGE_MAX = 100


@dataclass(frozen=True)
class Item:
    id: str
    owner: str
    type: str
    title: str
    access: str = "private"


class Items:
    def __init__(self, strict: bool = False) -> None:
        self.strict = strict
        self.lock = threading.Lock()
        self.items: dict[str, Item] = {}

    # -- control ---------------------------------------------------------------------------

    def control(self, request: Request) -> Response:
        if request.method == "GET":
            with self.lock:
                listed = [asdict(i) for i in self.items.values()]
            return _json(200, {"items": listed, "strict": self.strict})
        if request.method != "POST":
            return _json(405, {"error": f"no control endpoint {request.method} {CONTROL_PATH}"})
        try:
            parsed = self.load(request.get_data(as_text=True) or "null")
        except (ValueError, TypeError) as exc:
            return _json(400, {"error": str(exc)})
        return _json(200, {"items": [asdict(i) for i in parsed]})

    def load(self, text: str) -> list[Item]:
        """Register the items of a JSON object or list (raises ValueError when malformed)."""
        body = json.loads(text)
        entries = body if isinstance(body, list) else [body]
        parsed = [_parse(entry) for entry in entries]
        with self.lock:
            for item in parsed:
                self.items[item.id] = item
        return parsed

    # -- what createTask / update check ------------------------------------------------------

    def check(self, task_type: str, item_id: str | None, owner: str, owner_admin: bool) -> None:
        """Raise the portal's error if a task of ``owner`` may not run against the item."""
        if item_id is None:
            return
        with self.lock:
            item = self.items.get(item_id.lower())
        if item is None:
            if self.strict:
                raise PortalError(400, INACCESSIBLE, [f"Item '{item_id}' was not found."])
            return
        fits = ITEM_TYPES.get(task_type)
        if fits is not None and item.type not in fits:
            raise PortalError(
                400,
                f"Invalid item type '{item.type}' for a {task_type} task.",
                [f"Item '{item_id}' is a {item.type}; a {task_type} task needs a {fits[0]}."],
            )
        if not usable(item, task_type, owner, owner_admin):
            raise PortalError(
                403,
                "You do not have permissions to access this resource or perform this operation.",
                [f"User '{owner}' cannot use item '{item_id}'."],
            )

    # -- the Sharing API resources -----------------------------------------------------------

    def get(self, item_id: str, caller: str | None, admin: bool) -> dict[str, Any]:
        item = self._visible(item_id, caller, admin)
        if item is None:
            raise PortalError(400, INACCESSIBLE, [INACCESSIBLE])
        return item

    def search(self, values: Mapping[str, str], caller: str | None, admin: bool) -> dict[str, Any]:
        query = values.get("q") or ""
        ids: list[str] = []
        for group, single in _ID_TERM.findall(query):
            ids.extend(re.findall(r"[0-9a-fA-F]{32}", group) if group else [single])
        if not ids and query.strip():
            raise PortalError(400, "Unable to search.", ["Only id: queries are supported."])
        try:
            num = min(max(int(values.get("num") or 10), 1), PAGE_MAX)
            start = max(int(values.get("start") or 1), 1)
        except ValueError:
            raise PortalError(400, "Invalid num or start.") from None
        found = [
            item
            for item_id in dict.fromkeys(i.lower() for i in ids)
            if (item := self._visible(item_id, caller, admin)) is not None
        ]
        page = found[start - 1 : start - 1 + num]
        more = start - 1 + num < len(found)
        return {
            "query": query,
            "total": len(found),
            "start": start,
            "num": num,
            "nextStart": start + num if more else -1,
            "results": page,
        }

    def reassign(self, item_id: str, owner: str, target: str) -> Item:
        with self.lock:
            item = self.items.get(item_id.lower())
            if item is None or item.owner != owner:
                raise PortalError(400, INACCESSIBLE, [INACCESSIBLE])
            moved = Item(item.id, target, item.type, item.title, item.access)
            self.items[item.id] = moved
            return moved

    def _visible(self, item_id: str, caller: str | None, admin: bool) -> dict[str, Any] | None:
        if not _ITEM_ID.fullmatch(item_id):
            return None
        with self.lock:
            item = self.items.get(item_id.lower())
        if item is None:
            if self.strict:
                return None
            # Not registered, not strict: an item of no stated type that anyone may use.
            return {"id": item_id.lower(), "owner": "", "title": "", "access": "public"}
        if not (admin or item.owner == caller or item.access in ("org", "public")):
            return None
        return _render(item)


def usable(item: Item, task_type: str, owner: str, owner_admin: bool) -> bool:
    if task_type == "GPService":
        # "Only the portal administrator and web tool item owner can schedule" (Esri blog)
        return item.owner == owner or owner_admin
    return item.owner == owner or item.access in ("org", "public")


def _render(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "owner": item.owner,
        "title": item.title,
        "type": item.type,
        "typeKeywords": [],
        "access": item.access,
        "url": None,
    }


def _parse(entry: Any) -> Item:
    if not isinstance(entry, dict):
        raise ValueError("each item must be a JSON object")
    unknown = set(entry) - {"id", "owner", "type", "title", "access"}
    if unknown:
        raise ValueError(f"unknown item keys: {', '.join(sorted(unknown))}")
    item_id, owner, kind = entry.get("id"), entry.get("owner"), entry.get("type")
    if not isinstance(item_id, str) or not _ITEM_ID.fullmatch(item_id):
        raise ValueError(f"item id {item_id!r} is not 32 hexadecimal digits")
    if not isinstance(owner, str) or not owner:
        raise ValueError(f"item {item_id}: 'owner' must be a username")
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"item {item_id}: 'type' must be an item type, like 'Notebook'")
    title = entry.get("title", "")
    access = entry.get("access", "private")
    if not isinstance(title, str) or access not in ACCESS:
        raise ValueError(f"item {item_id}: 'title' is text, 'access' one of {', '.join(ACCESS)}")
    return Item(item_id.lower(), owner, kind, title, access)


def _json(status: int, body: Any) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")
