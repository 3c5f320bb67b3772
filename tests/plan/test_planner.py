"""The planner as a pure function: desired tasks and live tasks in, a Plan out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import pytest

from taskform.changes import Action, Op, Plan, Reason
from taskform.errors import UnsafePlanError
from taskform.model import AbsentTask, CronFields, Declared, DesiredTask, LifecycleState
from taskform.plan.planner import fingerprint, make_plan
from taskform.plan.safety import check_safety
from taskform.schedule.translate import to_portal
from tests.support.fakes import live_task

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
ITEM = "029b61ca770e428d9468a2a55f40b9fb"


def desired(title: str = "Task", schedule: str = "0 2 * * 1-5", **fields: Any) -> DesiredTask:
    fields.setdefault("owner", "admin")
    fields.setdefault("type", "ExecuteNotebook")
    fields.setdefault("item_id", ITEM)
    return DesiredTask(title=title, schedule=schedule, cron=to_portal(schedule), **fields)


def plan(desired_tasks: Sequence[Declared], live: list[Any], **kw: Any) -> Plan:
    owners = {t.owner for t in desired_tasks} | {t.owner for t in live}
    by_owner = {o: [t for t in live if t.owner == o] for o in owners}
    return make_plan(desired_tasks, by_owner, now=NOW, **kw)


def test_missing_task_is_created_with_every_field_and_next_runs() -> None:
    result = plan([desired(max_occurrences=1000)], [])
    (change,) = result.changes
    assert change.action is Action.CREATE and change.task_id is None
    assert change.fields["schedule"].after == "0 2 * * 1-5"
    assert change.fields["schedule"].before is None
    assert change.fields["max_occurrences"].after == 1000
    assert change.fields["active"].after is True
    assert change.ops == (Op.CREATE,)
    # 2026-11-23 is a Monday: next weekday 02:00 runs are Tue, Wed, Thu.
    assert [datetime.fromtimestamp(ms / 1000, timezone.utc).day for ms in change.next_runs] == [
        24,
        25,
        26,
    ]
    assert result.summary == {"create": 1, "update": 0, "delete": 0, "unchanged": 0}


def test_inactive_create_is_created_then_disabled() -> None:
    (change,) = plan([desired(active=False)], []).changes
    assert change.ops == (Op.CREATE, Op.DISABLE)


@pytest.mark.parametrize(
    "cron",
    [
        CronFields("0", "2", "?", "*", "2-6"),
        CronFields("0", "2", "?", "*", "MON-FRI"),
        CronFields("0", "2", "?", "*", "2,3,4,5,6"),
        CronFields("0", "2", "?", "*", "mon-fri"),
    ],
)
def test_equivalent_live_schedules_are_unchanged(cron: CronFields) -> None:
    live = live_task(cron=cron, parameters={"notebookParameters": "{}"})
    result = plan([desired()], [live])
    assert result.empty and result.unchanged == 1


def test_unrestricted_day_fields_spelled_three_ways_are_equal() -> None:
    for cron in (
        CronFields("0", "3", "*", "*", "?"),
        CronFields("0", "3", "?", "*", "*"),
        CronFields("0", "3", "*", "*", "*"),
    ):
        assert plan([desired(schedule="0 3 * * *")], [live_task(cron=cron)]).empty, cron


def test_notebook_parameters_json_string_equals_mapping_and_defaults_fill_in() -> None:
    live = live_task(
        cron=to_portal("0 2 * * 1-5"),
        parameters={
            "updatePortalItem": False,
            "saveInjectedParameters": False,
            "notebookParameters": '{"region": "west"}',
        },
    )
    task = desired(parameters={"notebookParameters": {"region": "west"}})
    assert plan([task], [live]).empty


def test_changed_fields_show_before_and_after_with_parameter_paths() -> None:
    live = live_task(
        cron=to_portal("0 2 * * 1-5"),
        max_occurrences=10,
        parameters={"notebookParameters": '{"region": "east", "keep": 1}'},
    )
    task = desired(
        schedule="30 4 * * *",
        max_occurrences=1000,
        parameters={"notebookParameters": {"region": "west", "keep": 1}},
    )
    (change,) = plan([task], [live]).changes
    assert change.action is Action.UPDATE and change.task_id == live.id
    assert change.fields["schedule"].before == "0 2 * * 1-5"
    assert change.fields["schedule"].after == "30 4 * * *"
    assert change.fields["max_occurrences"].before == 10
    assert change.fields["parameters.notebookParameters.region"].before == "east"
    assert change.fields["parameters.notebookParameters.region"].after == "west"
    assert "parameters.notebookParameters.keep" not in change.fields
    assert change.ops == (Op.UPDATE,)
    assert change.fingerprint == fingerprint(live)
    assert len(change.next_runs) == 3


def test_unmanaged_max_occurrences_is_not_compared() -> None:
    live = live_task(cron=to_portal("0 2 * * 1-5"), max_occurrences=10)
    assert plan([desired(max_occurrences=None)], [live]).empty
    (change,) = plan([desired(max_occurrences=5)], [live]).changes
    assert change.fields["max_occurrences"].before == 10


def test_secret_parameters_are_masked_but_changes_visible() -> None:
    live = live_task(
        cron=to_portal("0 2 * * 1-5"),
        parameters={"notebookParameters": '{"api_key": "old-value-123", "region": "a"}'},
    )
    task = desired(
        parameters={"notebookParameters": {"api_key": "new-value-456", "region": "a"}},
        secrets=frozenset({"notebookParameters.api_key"}),
    )
    (change,) = plan([task], [live]).changes
    field = change.fields["parameters.notebookParameters.api_key"]
    assert field.secret and field.before == "(secret)" and field.after == "(secret, changed)"
    assert "value" not in repr(change.fields)
    created = plan([task], []).changes[0]
    assert created.fields["parameters.notebookParameters.api_key"].after == "(secret)"
    assert "new-value-456" not in repr(created.fields)


def test_active_toggles_are_updates_of_active_only() -> None:
    live = live_task(cron=to_portal("0 2 * * 1-5"), active=True)
    (change,) = plan([desired(active=False)], [live]).changes
    assert change.fields == {"active": change.fields["active"]}
    assert (change.fields["active"].before, change.fields["active"].after) == (True, False)
    assert change.ops == (Op.DISABLE,)


def test_paused_task_is_re_enabled_by_default_with_a_note() -> None:
    live = live_task(cron=to_portal("0 2 * * 1-5"), active=False, task_state="paused")
    (change,) = plan([desired()], [live]).changes
    assert change.ops == (Op.ENABLE,)
    assert (change.reason, change.state) == (Reason.LIFECYCLE_ENABLE, LifecycleState.PAUSED)
    assert change.note == "paused in the portal; lifecycle.paused = enable"


def test_deletes_carry_their_reason() -> None:
    gone = live_task(title="Gone", cron=to_portal("0 2 * * 1-5"))
    extra = live_task(title="Extra", id="b" * 32, cron=to_portal("0 2 * * 1-5"))
    result = plan([AbsentTask(owner="admin", title="Gone")], [gone, extra], prune=True)
    reasons = {c.title: c.reason for c in result.changes}
    assert reasons == {"Gone": Reason.DECLARED_ABSENT, "Extra": Reason.PRUNED}
    notes = {c.title: c.note for c in result.changes}
    assert notes == {"Gone": "declared absent", "Extra": "not in the configuration; prune is on"}


def test_every_reason_has_a_note() -> None:
    for reason in Reason:
        for state in (None, *LifecycleState):
            text = reason.note(state, "extra words")
            assert text and "{" not in text and "extra words" in text


@pytest.mark.parametrize("state", ["completed", "disabled"])
def test_portal_lifecycle_states_are_kept_by_default_and_reported(state: str) -> None:
    live = live_task(cron=to_portal("0 2 * * 1-5"), active=False, task_state=state)
    result = plan([desired()], [live])
    assert result.empty
    assert any(state in w for w in result.warnings)


def test_lifecycle_policy_enable_switches_a_completed_task_on() -> None:
    live = live_task(cron=to_portal("0 2 * * 1-5"), active=False, task_state="completed")
    task = desired(lifecycle={"completed": "enable", "paused": "enable", "disabled": "keep"})
    (change,) = plan([task], [live]).changes
    assert change.ops == (Op.ENABLE,)


def test_update_and_disable_together_disable_first() -> None:
    live = live_task(cron=to_portal("0 2 * * 1-5"), active=True)
    (change,) = plan([desired(schedule="0 5 * * *", active=False)], [live]).changes
    assert change.ops == (Op.DISABLE, Op.UPDATE)


def test_absent_task_is_deleted_and_missing_absent_is_nothing() -> None:
    live = live_task(title="Old job")
    gone = AbsentTask(owner="admin", title="Old job")
    (change,) = plan([gone], [live]).changes
    assert change.action is Action.DELETE and change.task_id == live.id
    assert plan([gone], []).empty


def test_undeclared_tasks_are_unmanaged_without_prune_and_deleted_with_it() -> None:
    extra = live_task(title="Hand made")
    result = plan([], [extra], managed_owners=["admin"])
    assert result.empty and result.unmanaged == (extra,)
    pruned = plan([], [extra], managed_owners=["admin"], prune=True)
    assert [c.action for c in pruned.changes] == [Action.DELETE]


def test_other_owners_are_never_touched() -> None:
    other = live_task(owner="someone_else", title="Theirs")
    result = make_plan([desired()], {"admin": [], "someone_else": [other]}, prune=True, now=NOW)
    assert [c.action for c in result.changes] == [Action.CREATE]


def test_two_differing_live_tasks_with_a_declared_title_block_that_title_only() -> None:
    a = live_task(title="Task", created=1)
    b = live_task(title="Task", created=2, cron=CronFields("5", "2", "?", "*", "2-6"))
    result = plan([desired(), desired(title="Other")], [a, b])
    assert [(b.title, b.task_ids) for b in result.blocked] == [("Task", (a.id, b.id))]
    assert "2 live tasks titled 'Task'" in result.blocked[0].message
    assert [(c.action, c.title) for c in result.changes] == [(Action.CREATE, "Other")]


def test_safety_refuses_large_deletes_of_an_owner_with_many_tasks() -> None:
    live = [live_task(title=f"T{i}") for i in range(10)]
    result = plan([], live, managed_owners=["admin"], prune=True)
    with pytest.raises(UnsafePlanError, match="deletes 10 of admin's 10"):
        check_safety(result)
    small = plan([], live[:9], managed_owners=["admin"], prune=True)
    check_safety(small)  # fewer than 10 live tasks: no threshold
    kept = [desired(title=f"T{i}") for i in range(7)]
    ok = plan(
        kept,
        [live_task(title=f"T{i}", cron=to_portal("0 2 * * 1-5")) for i in range(10)],
        prune=True,
    )
    assert ok.summary["delete"] == 3
    check_safety(ok)  # exactly 30%: allowed


def test_fingerprint_ignores_fields_that_move_by_themselves() -> None:
    a = live_task(title="T", id="a" * 32)
    raw = dict(a.raw, nextStart=123, lastStart=99)
    b = live_task(title="T", id="a" * 32)
    object.__setattr__(b, "raw", raw)
    assert fingerprint(a) == fingerprint(b)
    object.__setattr__(b, "raw", dict(raw, updated=2))
    assert fingerprint(a) != fingerprint(b)


def test_lifecycle_state_from_runs_decides_the_policy() -> None:
    """A paused-looking task whose runs show a failure streak is kept off, like drift says."""
    live = live_task(cron=to_portal("0 2 * * 1-5"), active=False, task_state="paused")
    kept = plan([desired()], [live], states={live.id: LifecycleState.DISABLED_BY_FAILURES})
    assert kept.empty and "after failed runs" in kept.warnings[0]
    enabled = plan([desired()], [live])
    assert enabled.changes[0].ops == (Op.ENABLE,)


def test_credentials_the_configuration_does_not_know_are_masked_too() -> None:
    live = live_task(
        cron=to_portal("0 2 * * 1-5"),
        parameters={"password": "hunter22", "creds": [{"token": "tok-998877"}], "region": "a"},
    )
    (change,) = plan([desired(parameters={"region": "b"})], [live]).changes
    text = repr(change.fields)
    assert "hunter22" not in text and "tok-998877" not in text
    assert change.fields["parameters.password"].before == "(secret)"
    assert change.fields["parameters.region"].after == "b"
