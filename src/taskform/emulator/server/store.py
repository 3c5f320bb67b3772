"""All mutable emulator state behind one lock, and its crash-safe persistence.

Callers take ``store.lock`` around every read-modify-write and call :meth:`Store.save`
before they answer, so a client that saw a response can rely on the change being on disk.
``save`` writes a temporary file in the state file's directory, fsyncs it and
``os.replace``-s it over the old file, so the file is always either the old or the new state.

The state file is JSON::

    {"format": "taskform-emulator-state", "version": 1,
     "tasks": [<task record>, ...],          # creation order
     "runs": {"<taskId>": [<run>, ...]},     # oldest first, at most 30 per task
     "tokens": {"<token>": {"username": ..., "expires": <epoch ms>}},
     "clock": null | <epoch ms>}

A task record holds what the portal stores (see tasks.py); derived fields such as
``nextStart`` and the effective ``taskState`` are computed when a task is read.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

STATE_FORMAT = "taskform-emulator-state"
STATE_VERSION = 1


class StateFileError(Exception):
    """The state file exists but cannot be read or is not an emulator state file."""


class TaskTable(dict[str, dict[str, Any]]):
    """Task records by id in creation order, also indexed by owner (same order), so that
    listing one owner's tasks does not scan everyone's. Every way of changing a dict keeps
    the index in step; a record's ``owner`` and ``created`` must not be changed in place.

    It also knows whether each list is in ``created`` order (a task moved to another owner
    joins the end of that owner's list with its old ``created``), so that a page sorted by
    ``created`` (what taskform asks for) is a slice, not a sort of every task, as a database
    index serves it."""

    def __init__(self, records: Mapping[str, dict[str, Any]] | None = None) -> None:
        super().__init__()
        self._by_owner: dict[str, dict[str, dict[str, Any]]] = {}
        self._disordered: set[str | None] = set()  # owners (None: the whole table)
        for key, record in (records or {}).items():
            self[key] = record

    def of_owner(self, owner: str) -> dict[str, dict[str, Any]]:
        """The owner's records by id, in creation order (a live view: do not modify)."""
        return self._by_owner.get(owner, {})

    def in_created_order(self, owner: str | None = None) -> bool:
        """Whether the owner's records (None: all records) are in ascending ``created``."""
        return owner not in self._disordered

    def __setitem__(self, key: str, record: dict[str, Any]) -> None:
        old = self.get(key)
        if old is not None and old["owner"] != record["owner"]:
            self._unindex(key, old)
        if old is None:
            _note_order(self, None, record, self._disordered)
        elif old.get("created") != record.get("created"):
            self._disordered.update((None, record["owner"]))
        super().__setitem__(key, record)
        mine = self._by_owner.setdefault(record["owner"], {})
        if key not in mine:
            _note_order(mine, record["owner"], record, self._disordered)
        mine[key] = record

    def __delitem__(self, key: str) -> None:
        record = self[key]
        super().__delitem__(key)
        self._unindex(key, record)

    def _unindex(self, key: str, record: dict[str, Any]) -> None:
        mine = self._by_owner.get(record["owner"], {})
        mine.pop(key, None)
        if not mine:
            self._by_owner.pop(record["owner"], None)
            self._disordered.discard(record["owner"])

    _MISSING: Any = object()

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        if key in self:
            record = self[key]
            del self[key]
            return record
        if default is TaskTable._MISSING:
            raise KeyError(key)
        return default

    def popitem(self) -> tuple[str, dict[str, Any]]:
        key = next(reversed(self))
        return key, self.pop(key)

    def clear(self) -> None:
        super().clear()
        self._by_owner.clear()
        self._disordered.clear()

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kw: Any) -> None:
        for key, record in dict(*args, **kw).items():
            self[key] = record

    def __ior__(self, other: Any) -> TaskTable:  # type: ignore[override,misc]
        self.update(other)
        return self


def _note_order(
    records: dict[str, dict[str, Any]],
    owner: str | None,
    record: Mapping[str, Any],
    disordered: set[str | None],
) -> None:
    """Mark ``owner``'s list disordered if ``record``, about to join its end, was created
    before the record now last."""
    last = next(reversed(records.values()), None) if records else None
    if last is not None and record.get("created", 0) < last.get("created", 0):
        disordered.add(owner)


class Store:
    """Tasks, runs, tokens and the emulator clock. Hold ``lock`` while touching any of them."""

    def __init__(self, path: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.path = path
        self._tasks = TaskTable()
        self.runs: dict[str, list[dict[str, Any]]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.token_uses: dict[str, int] = {}  # not persisted: counts for token_ttl_requests
        self.clock_ms: int | None = None
        self._saved: bytes | None = None  # what the state file holds, for rollback()
        self.version = 0  # bumped by every save (and rollback): "the state may have changed"

    @property
    def tasks(self) -> TaskTable:
        """Task records by id (creation order), indexed by owner (:meth:`TaskTable.of_owner`)."""
        return self._tasks

    @tasks.setter
    def tasks(self, records: Mapping[str, dict[str, Any]]) -> None:
        self._tasks = records if isinstance(records, TaskTable) else TaskTable(records)

    # -- time ---------------------------------------------------------------------------------

    def now_ms(self) -> int:
        """The emulator clock: real time unless a test set it with POST /__emulator/clock."""
        return self.clock_ms if self.clock_ms is not None else int(time.time() * 1000)

    # -- persistence -------------------------------------------------------------------------

    def load(self) -> None:
        """Read the state file if it exists; raise StateFileError if it is unusable."""
        if self.path is None or not self.path.exists():
            return
        try:
            raw = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise StateFileError(f"cannot read state file {self.path}: {exc}") from exc
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise StateFileError(f"state file {self.path} is not valid JSON: {exc}") from exc
        try:
            self._restore(data)
            self._saved = raw.encode("utf-8")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateFileError(
                f"state file {self.path} is not a taskform emulator state file: {exc}"
            ) from exc

    def rollback(self) -> None:
        """After a failed save: forget the unsaved change (back to the last saved state)."""
        self.version += 1
        self.tasks, self.runs, self.tokens, self.clock_ms = {}, {}, {}, None
        if self._saved is not None:
            self._restore(json.loads(self._saved))

    def _restore(self, data: Any) -> None:
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise ValueError(f'missing "format": "{STATE_FORMAT}"')
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported version {data.get('version')!r}")
        tasks: dict[str, dict[str, Any]] = {}
        for record in data["tasks"]:
            if not isinstance(record, dict) or not isinstance(record["id"], str):
                raise ValueError("a task record is malformed")
            for key in ("owner", "type", "cronSchedule", "state", "parameters"):
                if key not in record:
                    raise ValueError(f"task {record['id']} has no {key!r}")
            tasks[record["id"]] = record
        runs = data.get("runs", {})
        if not isinstance(runs, dict) or not all(isinstance(v, list) for v in runs.values()):
            raise ValueError('"runs" must map task ids to lists')
        tokens = data.get("tokens", {})
        if not isinstance(tokens, dict):
            raise ValueError('"tokens" must be an object')
        clock = data.get("clock")
        if clock is not None and not isinstance(clock, int):
            raise ValueError('"clock" must be null or epoch milliseconds')
        self.tasks, self.runs, self.tokens, self.clock_ms = tasks, runs, tokens, clock

    def snapshot(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "tasks": list(self.tasks.values()),
            "runs": self.runs,
            "tokens": self.tokens,
            "clock": self.clock_ms,
        }

    def save(self) -> None:
        """Atomically replace the state file with the current state (no-op without a file)."""
        self.version += 1
        if self.path is None:
            return
        payload = json.dumps(self.snapshot(), separators=(",", ":")).encode("utf-8")
        directory = self.path.parent
        fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, self.path)
            self._saved = payload
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
        _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
