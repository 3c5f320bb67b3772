"""Saved plans: written by ``plan --out``, applied by ``apply PLANFILE``.

A saved plan is the plan JSON (docs/design.md §6) plus, for every change, a fingerprint of the task
as it was live, and in ``meta`` the portal URL and a digest of the configuration. It never holds
a secret value or a credential: the values to write are taken from the configuration again at
apply time, and the digest proves it is the configuration the plan was made from.

``apply PLANFILE`` re-reads live and makes a fresh plan; if any task the saved plan touches has
changed since (different fingerprint, gone, or a task it would create now exists), or the
configuration changed, nothing is applied.
"""

from __future__ import annotations

import hashlib
import json
import secrets as secrets_module
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from taskform import secrets
from taskform.changes import Action, Change, FieldChange, Op, Plan, Recorded, ScheduleSummary
from taskform.errors import StalePlanError, TaskformError
from taskform.model import CronFields, DesiredTask, LiveTask
from taskform.render import FORMAT_VERSION, format_summary
from taskform.render.plan.schedule import from_document


@dataclass(frozen=True)
class SavedChange:
    action: str
    owner: str
    title: str
    task_id: str | None
    fingerprint: str | None
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class SavedPlan:
    path: str
    meta: Mapping[str, Any]
    changes: tuple[SavedChange, ...]
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def config(self) -> str | None:
        value = self.meta.get("config")
        return str(value) if value is not None else None


def read_plan(path: str | Path) -> SavedPlan:
    """Read and check a saved plan file."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TaskformError(f"{name}: cannot read the plan file: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise TaskformError(
            f"{name}: not a taskform plan file (invalid JSON at line {getattr(exc, 'lineno', '?')})"
            "; write one with 'taskform plan --out FILE'"
        ) from None
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise TaskformError(
            f"{name}: not a taskform plan file of format_version {FORMAT_VERSION!r}; "
            "write one with 'taskform plan --out FILE'"
        )
    meta = data.get("meta")
    raw_changes = data.get("changes")
    if not isinstance(meta, dict) or not isinstance(raw_changes, list):
        raise TaskformError(f"{name}: the plan file has no 'meta' or 'changes'; plan again")
    changes = []
    try:
        for raw in raw_changes:
            changes.append(
                SavedChange(
                    action=str(raw["action"]),
                    owner=str(raw["owner"]),
                    title=str(raw["title"]),
                    task_id=raw.get("task_id"),
                    fingerprint=raw.get("fingerprint"),
                    fields=dict(raw.get("fields") or {}),
                )
            )
    except (KeyError, TypeError, AttributeError):
        raise TaskformError(f"{name}: a change in the plan file is malformed; plan again") from None
    return SavedPlan(path=name, meta=meta, changes=tuple(changes), document=data)


#: The key in ``meta`` of the digest over the whole plan file (:func:`seal`).
SEAL = "plan_digest"


def file_meta(tasks: Sequence[DesiredTask], owners: Sequence[str]) -> dict[str, Any]:
    """What a saved plan's ``meta`` adds to the plan's: the owners it read, and a salted digest
    of every secret value (:func:`taskform.secrets.value_digests`) under a fresh random salt."""
    salt = secrets_module.token_hex(16)
    return {
        "owners": sorted(owners),
        "secret_salt": salt,
        "secret_digests": secrets.value_digests(tasks, salt),
    }


def seal(text: str, extra: Mapping[str, Any]) -> str:
    """The plan JSON ``text`` as a plan file: ``extra`` (:func:`file_meta`) added to its meta,
    then ``meta.plan_digest``, a sha256 over everything else in it (changes, summary, meta:
    portal, owners, configuration digest, format version, ...), so that an edited file is
    refused. It guards against edits, not against someone who writes a new digest: ``apply``
    still checks the plan against live and the configuration."""
    data = json.loads(text)
    data["meta"].update(extra)
    data["meta"][SEAL] = _digest(data)
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def _digest(data: Mapping[str, Any]) -> str:
    meta = {k: v for k, v in dict(data.get("meta") or {}).items() if k != SEAL}
    canonical = json.dumps(
        {**data, "meta": meta}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def select(
    saved: SavedPlan,
    fresh: Plan,
    *,
    portal: str,
    config_digest: str,
    owners: Sequence[str] | None = None,
    tasks: Sequence[DesiredTask] | None = None,
) -> Plan:
    """The changes of ``saved``, taken from the ``fresh`` plan, or StalePlanError.

    ``fresh`` is a plan made just now from the same configuration against live (``owners``
    the owners read, ``tasks`` the configuration's tasks, their secrets resolved).
    """
    problems: list[str] = []
    if saved.meta.get(SEAL) != _digest(saved.document):
        raise StalePlanError(
            f"{saved.path} was edited after it was written (its digest does not match its "
            "content); nothing was applied. Run 'taskform plan --out' again and review it"
        )
    if saved.meta.get("portal") != portal:
        raise StalePlanError(
            f"{saved.path} was made for {saved.meta.get('portal') or 'no portal'}, not "
            f"{portal}; plan again against this portal"
        )
    if saved.meta.get("config_digest") != config_digest:
        raise StalePlanError(
            f"{saved.path} is stale: the configuration changed since the plan was made. "
            "Nothing was applied; run 'taskform plan --out' again and review it"
        )
    if owners is not None and saved.meta.get("owners") != sorted(owners):
        raise StalePlanError(
            f"{saved.path} is stale: it was made for the tasks of "
            f"{', '.join(saved.meta.get('owners') or ()) or 'nobody'}, not of "
            f"{', '.join(sorted(owners))}. Nothing was applied; plan again"
        )
    if tasks is not None:
        salt = str(saved.meta.get("secret_salt") or "")
        now = secrets.value_digests(tasks, salt)
        rotated = sorted(
            k
            for k in set(now) | set(saved.meta.get("secret_digests") or {})
            if now.get(k) != (saved.meta.get("secret_digests") or {}).get(k)
        )
        if rotated:
            raise StalePlanError(
                f"{saved.path} is stale: a secret changed since the plan was made "
                f"({'; '.join(rotated)}). Nothing was applied; plan again and review it"
            )
    if not saved.changes and not fresh.empty:
        raise StalePlanError(
            f"{saved.path} has no changes, but the portal drifted since it was made: "
            f"{format_summary(fresh)} Nothing was applied; run 'taskform plan' again"
        )
    by_key: dict[tuple[str, str, str | None], Change] = {}
    for change in fresh.changes:
        by_key[(change.owner, change.title, change.task_id)] = change
    chosen: list[Change] = []
    for old in saved.changes:
        new = by_key.get((old.owner, old.title, old.task_id))
        label = f"{old.owner}/{old.title}"
        moved = (
            new is not None
            and new.action is not Action.CREATE
            and (new.fingerprint != old.fingerprint)
        )
        if new is None:
            problems.append(
                f"{label}: nothing to do any more, the portal has it as planned "
                "(was this plan applied already?)"
            )
        elif new.action.value != old.action or moved:
            problems.append(f"{label}: changed in the portal since the plan was made")
        elif _fields(new) != old.fields:
            problems.append(f"{label}: the planned change differs now")
        else:
            chosen.append(new)
    if problems:
        raise StalePlanError(
            f"{saved.path} is stale; nothing was applied:\n  "
            + "\n  ".join(problems)
            + "\nRun 'taskform plan --out' again and review the new plan."
        )
    return Plan(
        changes=tuple(chosen),
        unchanged=fresh.unchanged,
        unmanaged=fresh.unmanaged,
        warnings=fresh.warnings,
        live_counts=fresh.live_counts,
    )


def _fields(change: Change) -> dict[str, Any]:
    """Fields as they appear in a plan file (JSON round trip)."""
    data = {name: {"before": f.before, "after": f.after} for name, f in change.fields.items()}
    loaded: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return loaded


def as_plan(saved: SavedPlan) -> Plan:
    """The plan a saved plan file holds, for rendering it again offline (``taskform show``).
    Secret values were masked when the file was written; they stay masked."""
    doc = saved.document
    changes: list[Change] = []
    try:
        for old, raw in zip(saved.changes, doc.get("changes") or [], strict=False):
            changes.append(
                Recorded(
                    action=Action(old.action),
                    owner=old.owner,
                    title=old.title,
                    task_id=old.task_id,
                    fields={
                        name: FieldChange(value.get("before"), value.get("after"))
                        for name, value in old.fields.items()
                    },
                    fingerprint=old.fingerprint,
                    next_runs=tuple(_ms(text) for text in raw.get("next_runs") or ()),
                    saved_note=raw.get("note"),
                    saved_ops=tuple(Op(op) for op in raw.get("ops") or ()),
                    schedule=_schedule(raw.get("schedule")),
                )
            )
        unmanaged = tuple(
            LiveTask(
                id=str(item.get("task_id")),
                owner=str(item["owner"]),
                title=str(item["title"]),
                type="",
                cron=_NO_CRON,
            )
            for item in doc.get("unmanaged") or ()
        )
        summary = doc.get("summary") or {}
        unchanged = int(summary.get("unchanged", 0))
        warnings = tuple(str(w) for w in doc.get("warnings") or ())
    except (KeyError, TypeError, ValueError, AttributeError):
        raise TaskformError(
            f"{saved.path}: a change in the plan file is malformed; plan again"
        ) from None
    return Plan(changes=tuple(changes), unchanged=unchanged, unmanaged=unmanaged, warnings=warnings)


def _schedule(data: Any) -> ScheduleSummary | None:
    return from_document(data) if isinstance(data, dict) else None


def _ms(text: str) -> int:
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return int(moment.timestamp() * 1000)


_NO_CRON = CronFields("?", "?", "?", "?", "?")  # unmanaged tasks in a plan file carry no schedule
