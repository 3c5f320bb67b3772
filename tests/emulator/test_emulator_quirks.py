"""Each quirk (the other reading of an open behaviour) against a real emulator process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from taskform.emulator.server.quirks import QUIRKS
from tests.emulator.conftest import ITEM2, STANDARD_ARGS, Api, error_of, task_form
from tests.support.emulator import EmulatorProcess

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
GP_URL = "https://gis.example.com/server/rest/services/Tools/GPServer/Trace"


@pytest.fixture(scope="module")
def quirky() -> Iterator[EmulatorProcess]:
    quirks = [arg for name in QUIRKS for arg in ("--quirk", name)]
    with EmulatorProcess().start(*STANDARD_ARGS, *quirks) as emu:
        yield emu


@pytest.fixture
def api(quirky: EmulatorProcess) -> Api:
    quirky.reset()
    quirky.set_clock(T0)
    return Api(quirky, quirky.token("admin", "admin"))


def update(api: Api, task_id: str, **form: str) -> dict[str, object]:
    return api.post(f"community/users/admin/tasks/{task_id}/update", **task_form(**form))


def test_create_fills_start_date_and_ten_occurrences(api: Api) -> None:
    task = api.task(api.create())
    assert task["startDate"] == T0 and task["maxOccurrences"] == 10


def test_update_keeps_what_it_is_not_sent(api: Api) -> None:
    task_id = api.create(
        title="Kept", maxOccurrences="7", endDate="1900000000000", parameters='{"a": 1}'
    )
    form = task_form(itemId=ITEM2)
    form.pop("title")
    assert api.post(f"community/users/admin/tasks/{task_id}/update", **form)["success"] is True
    task = api.task(task_id)
    assert (task["title"], task["maxOccurrences"], task["endDate"]) == ("Kept", 7, 1900000000000)
    assert task["parameters"]["a"] == 1 and task["itemId"] == ITEM2
    assert task["startDate"] == T0


def test_update_restarts_a_completed_task(api: Api, quirky: EmulatorProcess) -> None:
    task_id = api.create(maxOccurrences="1")
    quirky.record_run(task_id, "succeeded")
    assert api.task(task_id)["taskState"] == "completed"
    assert update(api, task_id, maxOccurrences="1")["success"] is True
    assert api.task(task_id)["taskState"] == "active"


def test_task_url_casing_per_operation(api: Api) -> None:
    body = api.post(
        "community/users/admin/tasks/createTask", **task_form(type="GPService", taskUrl=GP_URL)
    )
    assert error_of(body)[0] == 500  # create reads taskURL only (and errors are 500)
    task_id = api.create(type="GPService", taskURL=GP_URL)
    assert api.task(task_id)["taskUrl"] == GP_URL
    other = GP_URL.replace("Trace", "Route")
    assert update(api, task_id, type="GPService", taskUrl=other)["success"] is True
    assert api.task(task_id)["taskUrl"] == other


def test_validation_errors_carry_code_500(api: Api) -> None:
    body = api.post("community/users/admin/tasks/createTask", **task_form(hour="25"))
    code, message = error_of(body)
    assert code == 500 and "hour" in message


def test_org_list_items_are_partial(api: Api) -> None:
    api.create(title="One")
    items = api.get("portals/self/allScheduledTasks")["tasks"]
    assert [set(item) for item in items] == [{"id", "userId", "title"}]
    assert "cronSchedule" in api.listing()["tasks"][0]  # the owner's own list is full


def test_enable_and_disable_bump_updated(api: Api, quirky: EmulatorProcess) -> None:
    task_id = api.create()
    quirky.set_clock(T0 + 5000)
    api.post(f"community/users/admin/tasks/{task_id}/disable")
    assert api.task(task_id)["updated"] == T0 + 5000


def test_types_takes_one_name(api: Api) -> None:
    assert error_of(api.listing(types="ExecuteNotebook,GPService"))[0] == 400
    assert api.listing(types="ExecuteNotebook")["total"] == 0


def test_an_unknown_quirk_is_refused() -> None:
    result = EmulatorProcess().run_to_exit("--quirk", "nope")
    assert result.returncode != 0 and "nope" in result.stderr
