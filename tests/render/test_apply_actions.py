"""The apply result names an enable or a disable as such, not as an update."""

from __future__ import annotations

from taskform.changes import Action, ApplyReport, Change, FieldChange, Outcome, TaskResult
from taskform.render import render_apply_report
from tests.support.changes import make_change


def change(title: str, **fields: FieldChange) -> Change:
    return make_change(Action.UPDATE, "admin", title, task_id="id-" + title, fields=fields)


def test_enable_disable_and_update_rows() -> None:
    report = ApplyReport(
        (
            TaskResult(change("On", active=FieldChange(False, True)), Outcome.APPLIED),
            TaskResult(change("Off", active=FieldChange(True, False)), Outcome.APPLIED),
            TaskResult(
                change("Both", active=FieldChange(False, True), hour=FieldChange(1, 2)),
                Outcome.APPLIED,
            ),
        )
    )
    rows = {
        line.split()[2]: line.split()[1] for line in render_apply_report(report).splitlines()[1:4]
    }
    assert rows == {"admin/On": "enable", "admin/Off": "disable", "admin/Both": "update"}
