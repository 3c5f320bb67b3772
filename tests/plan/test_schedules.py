"""The semantic schedule diff on plans, its JSON, the plan file round trip, and drift's
``offset_changed``."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from taskform.config.loader import load_config
from taskform.model import LiveTask
from taskform.plan.drift import DriftKind, classify
from taskform.plan.planfile import as_plan, read_plan
from taskform.plan.planner import make_plan
from taskform.render import render_json, render_text
from taskform.schedule.translate import to_portal

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
ITEM = "029b61ca770e428d9468a2a55f40b9fb"


def config(tmp_path: Path, schedule: str, zone: str = "UTC") -> Path:
    path = tmp_path / "taskform.yaml"
    path.write_text(
        f"version: 1\nowner: admin\ntimezone: {zone}\ntasks:\n"
        f"  - title: T\n    type: ExecuteNotebook\n    item_id: {ITEM}\n"
        f'    schedule: "{schedule}"\n'
    )
    return path


def live(expr: str) -> LiveTask:
    return LiveTask(
        id="t1",
        owner="admin",
        title="T",
        type="ExecuteNotebook",
        cron=to_portal(expr),
        item_id=ITEM,
    )


def test_reschedule_summary_in_json_and_plan_file(tmp_path: Path) -> None:
    cfg = load_config(config(tmp_path, "0 5 * * 1-5"), now=NOW)
    plan = make_plan(cfg.tasks, {"admin": [live("0 5 * * *")]}, now=NOW)
    doc = json.loads(render_json(plan))
    summary = doc["changes"][0]["schedule"]
    assert summary["description"] == "at 05:00 UTC, Monday to Friday"
    assert (summary["runs_per_week_before"], summary["runs_per_week_after"]) == (7, 5)
    assert summary["next_14_days"]["added"] == 0
    assert summary["next_14_days"]["removed"] == 4  # two weekends
    text = render_text(plan)
    assert "runs per week: 7 -> 5" in text
    saved = tmp_path / "plan.json"
    meta = {"config_digest": cfg.digest(), "portal": "http://127.0.0.1:1"}
    saved.write_text(render_json(plan, meta=meta))
    assert render_text(as_plan(read_plan(saved))) == text


def test_a_paused_create_counts_its_runs_once_enabled_in_every_view(tmp_path: Path) -> None:
    path = config(tmp_path, "0 5 * * *")
    path.write_text(path.read_text() + "    active: false\n")
    cfg = load_config(path, now=NOW)
    plan = make_plan(cfg.tasks, {}, now=NOW)
    text = render_text(plan)
    assert "runs per week: 0 -> 7 once enabled (active: false)" in text
    summary = json.loads(render_json(plan))["changes"][0]["schedule"]
    assert (summary["runs_per_week_after"], summary["paused"]) == (7, True)
    saved = tmp_path / "plan.json"
    meta = {"config_digest": cfg.digest(), "portal": "http://127.0.0.1:1"}
    saved.write_text(render_json(plan, meta=meta))
    assert render_text(as_plan(read_plan(saved))) == text
    active = make_plan(load_config(config(tmp_path, "0 5 * * *"), now=NOW).tasks, {}, now=NOW)
    assert "runs per week: 0 -> 7\n" in render_text(active)
    assert json.loads(render_json(active))["changes"][0]["schedule"]["paused"] is False


def test_unchanged_schedule_has_no_summary(tmp_path: Path) -> None:
    cfg = load_config(config(tmp_path, "0 5 * * *"), now=NOW)
    plan = make_plan(cfg.tasks, {"admin": [live("0 5 * * *")]}, now=NOW)
    assert plan.empty


def test_offset_change_is_its_own_drift_kind(tmp_path: Path) -> None:
    cfg = load_config(config(tmp_path, "0 5 * * 1-5", "Europe/Oslo"), now=NOW)
    # applied in summer: 05:00 Oslo was 03:00 UTC; now it is 04:00 UTC
    summer = {"admin": [live("0 3 * * 1-5")]}
    plan = make_plan(cfg.tasks, summer, now=NOW)
    items = classify(plan, cfg.tasks, summer, {}, now=NOW)
    assert [i.kind for i in items] == [DriftKind.OFFSET_CHANGED]
    assert "re-aligns" in render_text(plan)
    # a real edit of the live schedule stays config_changed
    edited = {"admin": [live("0 7 * * 1-5")]}
    plan = make_plan(cfg.tasks, edited, now=NOW)
    assert [i.kind for i in classify(plan, cfg.tasks, edited, {}, now=NOW)] == [
        DriftKind.CONFIG_CHANGED
    ]


def test_markdown_carries_the_schedule_lines(tmp_path: Path) -> None:
    from taskform.render import render_markdown

    cfg = load_config(config(tmp_path, "0 5 * * 1-5", "Europe/Oslo"), now=NOW)
    plan = make_plan(cfg.tasks, {"admin": [live("0 5 * * *")]}, now=NOW)
    text = render_markdown(plan)
    assert "Schedule: at 05:00 Europe/Oslo, Monday to Friday" in text
    assert "Runs per week: 7 -&gt; 5" in text  # GitHub shows the entity as ">"
    assert "Next runs: 2026-11-24 05:00 Europe/Oslo (04:00 UTC)" in text
