"""Portal JSON ⇄ model: task objects, runs and the createTask/update form."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskform.model import CronFields, DesiredTask, LiveTask
from taskform.portal.resources.codec import run_from_json, task_form, task_from_json

WEEKDAYS = CronFields("0", "2", "?", "*", "2-6")

DOC_EXAMPLE: dict[str, Any] = {
    "id": "5837c7bc37ac404e8e3c16d9022b2b59",
    "itemId": "029b61ca770e428d9468a2a55f40b9fb",
    "type": "ExecuteNotebook",
    "title": "Nightly",
    "userId": "NBadmin",
    "cronSchedule": {
        "minute": "*/1",
        "hour": "*",
        "dayOfMonth": "*",
        "month": "*",
        "dayOfWeek": "?",
    },
    "runIntervalSeconds": 60,
    "lastStart": 1589457360000,
    "maxOccurrences": 10,
    "parameters": {
        "updatePortalItem": True,
        "saveInjectedParameters": False,
        "notebookParameters": "{}",
    },
    "created": 1589456737000,
    "updated": 1589457404000,
    "startDate": 1589428800000,
    "active": False,
    "taskState": "completed",
}


def desired(**kw: Any) -> DesiredTask:
    base: dict[str, Any] = {
        "owner": "jo",
        "title": "Nightly",
        "type": "ExecuteNotebook",
        "item_id": "029b61ca770e428d9468a2a55f40b9fb",
        "schedule": "0 2 * * 1-5",
        "cron": WEEKDAYS,
        "parameters": {"updatePortalItem": True, "notebookParameters": {"region": "west"}},
    }
    base.update(kw)
    return DesiredTask(**base)


def stored(form: dict[str, str], task_id: str = "a" * 32, owner: str = "jo") -> dict[str, Any]:
    """What a portal keeps from a createTask form and returns as the task object."""
    raw: dict[str, Any] = {
        "id": task_id,
        "userId": owner,
        "title": form["title"],
        "type": form["type"],
        "cronSchedule": {
            k: form[k] for k in ("minute", "hour", "dayOfMonth", "month", "dayOfWeek")
        },
        "parameters": json.loads(form["parameters"]),
        "active": True,
        "taskState": "active",
    }
    for key in ("itemId", "taskUrl"):
        if key in form:
            raw[key] = form[key]
    for key in ("maxOccurrences", "startDate", "endDate"):
        if key in form:
            raw[key] = int(form[key])
    return raw


def test_decodes_the_documented_task_object() -> None:
    task = task_from_json(DOC_EXAMPLE)
    assert task.id == DOC_EXAMPLE["id"]
    assert task.owner == "NBadmin"
    assert task.cron == CronFields("*/1", "*", "*", "*", "?")
    assert task.parameters == DOC_EXAMPLE["parameters"]  # kept as returned: a string inside
    assert task.max_occurrences == 10
    assert (task.active, task.task_state) == (False, "completed")
    assert (task.start_date, task.end_date) == (1589428800000, None)
    assert (task.created, task.updated, task.last_start) == (
        1589456737000,
        1589457404000,
        1589457360000,
    )
    assert task.raw == DOC_EXAMPLE


def test_owner_falls_back_to_the_listed_user_and_task_url_either_spelling() -> None:
    raw = {k: v for k, v in DOC_EXAMPLE.items() if k != "userId"}
    raw.update(
        type="GPService", taskURL="https://gis.example.com/server/rest/services/X/GPServer/Y"
    )
    task = task_from_json(raw, owner="jo")
    assert task.owner == "jo"
    assert task.task_url == raw["taskURL"]
    assert task_from_json({**raw, "taskUrl": "u"}, owner="jo").task_url == "u"


def test_parameters_sent_back_as_a_string_are_parsed() -> None:
    task = task_from_json({**DOC_EXAMPLE, "parameters": '{"a": 1}'})
    assert task.parameters == {"a": 1}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": None}, "no 'id'"),
        ({"type": ""}, "no 'type'"),
        ({"cronSchedule": "0 2 * * *"}, "cronSchedule"),
        ({"maxOccurrences": "many"}, "maxOccurrences"),
        ({"parameters": [1]}, "parameters"),
        ({"userId": None}, "userId"),
    ],
)
def test_malformed_task_objects_raise_value_error(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        task_from_json({**DOC_EXAMPLE, **change})


def test_missing_active_is_read_from_task_state() -> None:
    raw = {k: v for k, v in DOC_EXAMPLE.items() if k != "active"}
    assert task_from_json({**raw, "taskState": "active"}).active is True
    assert task_from_json({**raw, "taskState": "paused"}).active is False


def test_run_from_json() -> None:
    run = run_from_json({"runId": "r1", "status": "failed", "result": {"x": 1}, "created": 5})
    assert (run.run_id, run.status, run.result, run.created, run.modified) == (
        "r1",
        "failed",
        '{"x": 1}',
        5,
        None,
    )
    with pytest.raises(ValueError, match="runId"):
        run_from_json({"status": "failed"})


def test_create_form_fields() -> None:
    form = task_form(desired(start_date=1_700_000_000_000))
    assert form == {
        "title": "Nightly",
        "type": "ExecuteNotebook",
        "itemId": "029b61ca770e428d9468a2a55f40b9fb",
        "minute": "0",
        "hour": "2",
        "dayOfMonth": "?",
        "month": "*",
        "dayOfWeek": "2-6",
        "parameters": json.dumps(
            {"updatePortalItem": True, "notebookParameters": '{"region": "west"}'}
        ),
        "startDate": "1700000000000",
        "f": "json",
    }
    assert "isActive" not in task_form(desired(active=False))


def test_notebook_parameters_become_a_json_string_inside_parameters() -> None:
    params = json.loads(task_form(desired())["parameters"])
    assert isinstance(params["notebookParameters"], str)
    assert json.loads(params["notebookParameters"]) == {"region": "west"}
    already = desired(parameters={"notebookParameters": '{"a": 1}'})
    assert json.loads(task_form(already)["parameters"]) == {"notebookParameters": '{"a": 1}'}
    other = desired(type="ExecuteSceneCook", parameters={"layer": {"a": 1}})
    assert json.loads(task_form(other)["parameters"]) == {"layer": {"a": 1}}


def test_max_occurrences_is_kept_from_live_on_update_and_omitted_on_create() -> None:
    live = task_from_json({**DOC_EXAMPLE, "maxOccurrences": 1000})
    assert "maxOccurrences" not in task_form(desired())
    assert task_form(desired(), live)["maxOccurrences"] == "1000"
    assert task_form(desired(max_occurrences=5), live)["maxOccurrences"] == "5"


def test_optional_fields_are_omitted_when_unset() -> None:
    form = task_form(desired(type="ExecuteReport", item_id=None, parameters={}))
    assert "itemId" not in form and "startDate" not in form and "endDate" not in form
    assert form["parameters"] == "{}"


def test_gp_service_sends_task_url_and_keeps_the_live_one() -> None:
    url = "https://gis.example.com/server/rest/services/Tools/GPServer/Clip"
    form = task_form(desired(type="GPService", task_url=url, parameters={}))
    assert form["taskURL"] == url and "taskUrl" not in form  # create: as Esri's client sends
    live = task_from_json({**DOC_EXAMPLE, "type": "GPService", "taskUrl": url})
    updated = task_form(desired(type="GPService", parameters={}), live)
    assert updated["taskUrl"] == url and "taskURL" not in updated  # update: ditto


def test_update_keeps_unmanaged_dates_of_the_live_task() -> None:
    live = task_from_json({**DOC_EXAMPLE, "startDate": 1589428800000, "endDate": 1900000000000})
    form = task_form(desired(start_date=None, end_date=None), live)
    assert (form["startDate"], form["endDate"]) == ("1589428800000", "1900000000000")
    form = task_form(desired(start_date=1, end_date=2), live)
    assert (form["startDate"], form["endDate"]) == ("1", "2")


def test_form_needs_a_type() -> None:
    with pytest.raises(ValueError, match="type"):
        task_form(desired(type=""))


def test_round_trip_through_what_the_portal_stores() -> None:
    task = desired(max_occurrences=30, start_date=1, end_date=2)
    live = task_from_json(stored(task_form(task)))
    assert live.cron == task.cron
    assert (live.title, live.type, live.item_id) == (task.title, task.type, task.item_id)
    assert (live.max_occurrences, live.start_date, live.end_date) == (30, 1, 2)
    nb = live.parameters["notebookParameters"]
    assert json.loads(nb) == {"region": "west"}
    assert live.parameters["updatePortalItem"] is True


def test_update_after_round_trip_resends_the_same_form() -> None:
    task = desired(max_occurrences=None)
    live = task_from_json({**stored(task_form(task)), "maxOccurrences": 7})
    again = task_form(task, live)
    assert again == {**task_form(task), "maxOccurrences": "7"}
    assert isinstance(live, LiveTask)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(st.dictionaries(st.text(min_size=1, max_size=8), json_values, max_size=4))
def test_notebook_parameters_survive_the_round_trip(values: dict[str, Any]) -> None:
    task = desired(parameters={"updatePortalItem": False, "notebookParameters": values})
    live = task_from_json(stored(task_form(task)))
    assert json.loads(live.parameters["notebookParameters"]) == values


def test_a_decoded_task_is_what_its_constructor_makes() -> None:
    """The codec makes tasks without ``__init__`` (taskform.model.made): every field set, each
    equal to what ``LiveTask(...)`` and ``CronFields(...)`` would hold."""
    task = task_from_json(DOC_EXAMPLE)
    fields = [f.name for f in dataclasses.fields(LiveTask)]
    assert list(vars(task)) == fields
    rebuilt = LiveTask(**{name: getattr(task, name) for name in fields})
    assert task == rebuilt and repr(task) == repr(rebuilt) and task.raw == rebuilt.raw
    assert task.cron == CronFields("*/1", "*", "*", "*", "?")
    assert list(vars(task.cron)) == [f.name for f in dataclasses.fields(CronFields)]
    assert hash(task.cron) == hash(CronFields("*/1", "*", "*", "*", "?"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        task.title = "changed"  # type: ignore[misc]
