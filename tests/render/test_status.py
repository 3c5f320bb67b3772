"""Status rows (the data behind ``taskform status``), in process."""

from __future__ import annotations

import json

from taskform.model import Run
from taskform.render.live.status import (
    pending_renames,
    render_status_json,
    render_status_text,
    status_rows,
)
from tests.support.changes import stand_in_desired
from tests.support.fakes import live_task

DAY = 86_400_000
T0 = 1_795_000_000_000  # 2026-11-18T11:06:40Z


def run(status: str, created: int, result: str | None = None) -> Run:
    return Run(run_id=f"r{created}", status=status, result=result, created=created)


def test_failing_tasks_come_first_then_owner_and_title() -> None:
    ok = live_task(title="B ok", next_start=T0 + DAY)
    failing = live_task(title="Z failing")
    other = live_task("alice", "A never ran")
    runs = {
        ok.id: [run("success", T0), run("failed", T0 - DAY)],
        failing.id: [run("failed", T0, "boom"), run("success", T0 - DAY)],
    }
    rows = status_rows([ok, failing, other], runs)
    assert [(r["owner"], r["title"], r["failing"]) for r in rows] == [
        ("admin", "Z failing", True),
        ("admin", "B ok", False),
        ("alice", "A never ran", False),
    ]
    assert rows[0]["runs"][0] == {
        "status": "failed",
        "time": "2026-11-18T11:06:40Z",
        "result": "boom",
    }
    assert rows[1]["next_run"] == "2026-11-19T11:06:40Z"
    assert rows[1]["failing"] is False  # an older failure does not count
    assert rows[2]["runs"] == []


def test_rows_sort_by_owner_then_title_and_keep_the_latest_runs() -> None:
    tasks = [live_task("bob", "b"), live_task("alice", "z"), live_task("alice", "a")]
    many = [run("success", T0 + i * DAY) for i in range(6)]
    rows = status_rows(tasks, {tasks[0].id: many}, last=2)
    assert [(r["owner"], r["title"]) for r in rows] == [
        ("alice", "a"),
        ("alice", "z"),
        ("bob", "b"),
    ]
    bob = rows[2]
    assert [r["time"] for r in bob["runs"]] == [
        "2026-11-23T11:06:40Z",
        "2026-11-22T11:06:40Z",
    ]
    assert bob["last_run"] is None and bob["next_run"] is None


def test_state_falls_back_to_active_or_inactive() -> None:
    tasks = [
        live_task(title="a"),
        live_task(title="b", active=False),
        live_task(title="c", active=False, task_state="disabled"),
    ]
    states = {r["title"]: (r["state"], r["active"]) for r in status_rows(tasks, {})}
    assert states == {"a": ("active", True), "b": ("inactive", False), "c": ("disabled", False)}


def test_text_and_json_views_of_the_rows() -> None:
    task = live_task(title="Nightly", next_start=T0)
    rows = status_rows([task], {task.id: [run("submitfailed", T0 - DAY, "no\nslot")]})
    text = render_status_text(rows)
    assert text.startswith("FAILING admin/Nightly (")
    assert "submitfailed - no slot\n" in text  # a run's result stays on one line
    assert "Status: 1 task(s), 1 failing." in text
    assert json.loads(render_status_json(rows)) == {"format_version": "1", "tasks": rows}
    assert render_status_text([]) == "No managed tasks in the portal.\n"


def test_a_pending_rename_is_the_declared_task_under_its_old_title() -> None:
    old = live_task(title="Old title", created=2)
    older_copy = live_task(title="Old title", created=1)  # the oldest copy is the one renamed
    done = live_task(title="Done")
    other = live_task("jo", "Old title")  # another owner's task of that title is not it
    declared = [
        stand_in_desired("admin", "New title", renamed_from="Old title"),
        stand_in_desired("admin", "Done", renamed_from="Gone"),  # renamed already: nothing to do
        stand_in_desired("admin", "Nowhere", renamed_from="Never there"),
    ]
    live = {"admin": [old, older_copy, done], "jo": [other]}
    renamed = pending_renames(declared, live)
    assert renamed == {older_copy.id: "New title"}
    rows = status_rows([older_copy, done], {}, renamed=renamed)
    assert [(r["title"], r.get("renamed_from")) for r in rows] == [
        ("Done", None),
        ("New title", "Old title"),
    ]
    text = render_status_text(rows)
    assert f"admin/New title ({older_copy.id})\n    state: active" in text
    assert (
        "    rename pending: the portal still titles it 'Old title'; apply renames it "
        "(same task id, run history kept)\n"
    ) in text
    assert "Status: 2 task(s), 0 failing." in text
