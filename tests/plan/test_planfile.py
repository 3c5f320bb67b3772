"""Saved plans: read back, and refused when the portal or the configuration moved on."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from taskform.errors import StalePlanError, TaskformError
from taskform.model import DesiredTask, Plan
from taskform.plan import planfile
from taskform.plan.planner import make_plan
from taskform.render import render_json
from taskform.schedule.translate import to_portal
from tests.fakes import live_task

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


def saved(tmp_path: Path, plan: Plan) -> planfile.SavedPlan:
    path = tmp_path / "plan.json"
    meta = {"portal": "https://portal", "config_digest": "d1"}
    path.write_text(render_json(plan, meta=meta))
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
