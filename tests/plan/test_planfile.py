"""Saved plans: read back, and refused when the portal or the configuration moved on."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from taskform.changes import Plan
from taskform.errors import StalePlanError, TaskformError
from taskform.model import DesiredTask
from taskform.plan import planfile
from taskform.plan.planfile import SavedPlan
from taskform.plan.planner import make_plan
from taskform.render import render_json
from taskform.schedule.translate import to_portal
from tests.support.fakes import live_task

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
ITEM = "029b61ca770e428d9468a2a55f40b9fb"
CRON = to_portal("0 2 * * *")


def desired(key: str) -> DesiredTask:
    return DesiredTask(
        owner="admin",
        title="Sync",
        type="ExecuteNotebook",
        item_id=ITEM,
        schedule="0 2 * * *",
        cron=CRON,
        parameters={"notebookParameters": {"api_key": key}},
        secrets=frozenset({"notebookParameters.api_key"}),
    )


def saved(
    tmp_path: Path, plan: Plan, tasks: Sequence[DesiredTask] = (), owners: Sequence[str] = ()
) -> planfile.SavedPlan:
    path = tmp_path / "plan.json"
    meta = {"portal": "https://portal", "config_digest": "d1"}
    extra = planfile.file_meta(tasks, owners)
    path.write_text(planfile.seal(render_json(plan, meta=meta), extra))
    return planfile.read_plan(path)


def edited(tmp_path: Path, plan: Plan, edit: Callable[[dict[str, Any]], None]) -> SavedPlan:
    """A sealed plan file, then edited by hand."""
    path = saved(tmp_path, plan).path
    document = json.loads(Path(path).read_text())
    edit(document)
    Path(path).write_text(json.dumps(document, indent=2))
    return planfile.read_plan(path)


def test_a_rotated_secret_makes_the_saved_plan_stale(tmp_path: Path) -> None:
    live = live_task(
        title="Sync",
        cron=CRON,
        parameters={"notebookParameters": '{"api_key": "k-old-1"}'},
        max_occurrences=5,
    )
    # the plan changes max_occurrences only; the secret is as live
    task = DesiredTask(**{**desired("k-old-1").__dict__, "max_occurrences": 9})
    plan = make_plan([task], {"admin": [live]}, now=NOW)
    assert list(plan.changes[0].fields) == ["max_occurrences"]
    old = saved(tmp_path, plan)
    same = planfile.select(old, plan, portal="https://portal", config_digest="d1")
    assert same.changes == plan.changes
    rotated = DesiredTask(
        **{**task.__dict__, "parameters": {"notebookParameters": {"api_key": "k-new-2"}}}
    )
    fresh = make_plan([rotated], {"admin": [live]}, now=NOW)
    with pytest.raises(StalePlanError, match="differs now"):
        planfile.select(old, fresh, portal="https://portal", config_digest="d1")


def test_another_portal_or_config_is_refused(tmp_path: Path) -> None:
    plan = make_plan([desired("k")], {"admin": []}, now=NOW)
    old = saved(tmp_path, plan)
    with pytest.raises(StalePlanError, match="made for"):
        planfile.select(old, plan, portal="https://other", config_digest="d1")
    with pytest.raises(StalePlanError, match="configuration changed"):
        planfile.select(old, plan, portal="https://portal", config_digest="d2")


@pytest.mark.parametrize(
    "text", ["", "{", "[]", '{"format_version": "9"}', '{"format_version": "1"}']
)
def test_a_file_that_is_not_a_plan_is_a_clear_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(text)
    with pytest.raises(TaskformError, match="plan"):
        planfile.read_plan(path)


def two_creates() -> Plan:
    other = DesiredTask(**{**desired("k").__dict__, "title": "Other"})
    return make_plan([desired("k"), other], {"admin": []}, now=NOW)


def test_a_plan_file_with_a_change_removed_is_refused(tmp_path: Path) -> None:
    plan = two_creates()
    old = edited(tmp_path, plan, lambda doc: doc["changes"].pop())
    with pytest.raises(StalePlanError, match="was edited after it was written"):
        planfile.select(old, plan, portal="https://portal", config_digest="d1")


@pytest.mark.parametrize(
    "edit",
    [
        lambda doc: doc["meta"].update(portal=""),
        lambda doc: doc["meta"].pop("portal"),
        lambda doc: doc["meta"].update(owners=["someone"]),
        lambda doc: doc["meta"].update(format_version="1"),
        lambda doc: (
            doc["changes"][0]["fields"].pop("max_occurrences", None)
            or doc["changes"][0].update(action="delete")
        ),
        lambda doc: doc["meta"].pop(planfile.SEAL),
    ],
    ids=["blank-portal", "no-portal", "owners", "meta-field", "change", "no-digest"],
)
def test_any_edit_of_changes_or_meta_is_refused(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None]
) -> None:
    plan = two_creates()
    old = edited(tmp_path, plan, edit)
    with pytest.raises(StalePlanError, match="was edited after it was written"):
        planfile.select(old, plan, portal="https://portal", config_digest="d1")


def test_a_blank_portal_is_refused_even_with_a_matching_digest(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    plan = two_creates()
    text = render_json(plan, meta={"portal": "", "config_digest": "d1"})
    path.write_text(planfile.seal(text, planfile.file_meta((), ())))
    with pytest.raises(StalePlanError, match="made for no portal"):
        planfile.select(planfile.read_plan(path), plan, portal="https://portal", config_digest="d1")


def test_a_secret_rotated_before_a_create_makes_the_plan_stale(tmp_path: Path) -> None:
    """A create shows its secret masked either way: only the salted digest can tell."""
    plan = make_plan([desired("k-old-1")], {"admin": []}, now=NOW)
    old = saved(tmp_path, plan, tasks=[desired("k-old-1")], owners=["admin"])
    text = Path(old.path).read_text()
    assert "k-old-1" not in text
    rotated = [desired("k-new-2")]
    fresh = make_plan(rotated, {"admin": []}, now=NOW)
    assert fresh.changes[0].fields == plan.changes[0].fields  # masked alike
    same = planfile.select(
        old,
        plan,
        portal="https://portal",
        config_digest="d1",
        owners=["admin"],
        tasks=[desired("k-old-1")],
    )
    assert same.changes == plan.changes
    with pytest.raises(StalePlanError, match="a secret changed since the plan was made"):
        planfile.select(
            old,
            fresh,
            portal="https://portal",
            config_digest="d1",
            owners=["admin"],
            tasks=rotated,
        )


def test_secret_digests_are_salted_per_plan() -> None:
    one = planfile.file_meta([desired("k-old-1")], ["admin"])
    two = planfile.file_meta([desired("k-old-1")], ["admin"])
    assert one["secret_salt"] != two["secret_salt"]
    assert one["secret_digests"] != two["secret_digests"]
    assert list(one["secret_digests"]) == ["admin/Sync parameters.notebookParameters.api_key"]


def test_an_empty_saved_plan_says_when_the_portal_drifted(tmp_path: Path) -> None:
    empty = make_plan([], {"admin": []}, now=NOW)
    old = saved(tmp_path, empty)
    assert planfile.select(old, empty, portal="https://portal", config_digest="d1").empty
    drifted = make_plan([desired("k")], {"admin": []}, now=NOW)
    with pytest.raises(StalePlanError, match="no changes, but the portal drifted"):
        planfile.select(old, drifted, portal="https://portal", config_digest="d1")


def test_a_plan_applied_already_says_so(tmp_path: Path) -> None:
    create = make_plan([desired("k")], {"admin": []}, now=NOW)
    old = saved(tmp_path, create, [desired("k")])
    done = live_task(
        "admin", "Sync", cron=CRON, parameters={"notebookParameters": {"api_key": "k"}}
    )
    applied = make_plan([desired("k")], {"admin": [done]}, now=NOW)
    assert applied.empty
    with pytest.raises(StalePlanError) as caught:
        planfile.select(old, applied, portal="https://portal", config_digest="d1")
    assert "admin/Sync: nothing to do any more, the portal has it as planned" in str(caught.value)
    assert "was this plan applied already?" in str(caught.value)
