"""Which declared task run/runs mean, and the errors when none or several."""

from __future__ import annotations

import pytest

from taskform.errors import TaskformError
from taskform.jobs.target import pick
from taskform.model import AbsentTask, CronFields, Declared, DesiredTask, LiveTask

CRON = CronFields("0", "2", "*", "*", "?")


def desired(title: str, owner: str = "admin", absent: bool = False) -> Declared:
    if absent:
        return AbsentTask(owner=owner, title=title)
    return DesiredTask(owner=owner, title=title, type="ExecuteNotebook", cron=CRON)


def live(title: str, owner: str = "admin", task_id: str = "t1") -> LiveTask:
    return LiveTask(id=task_id, owner=owner, title=title, type="ExecuteNotebook", cron=CRON)


DECLARED = [
    desired("Nightly parcels refresh"),
    desired("Shared job", "jo"),
    desired("Shared job", "sam"),
    desired("Old job", absent=True),
    desired("a/b title"),
]
LIVE = {
    "admin": [
        live("Nightly parcels refresh"),
        live("Undeclared", task_id="t9"),
        live("a/b title", task_id="t3"),
    ],
    "jo": [live("Shared job", "jo", "t2")],
}


def test_title_and_owner_title_pick_the_task_and_its_live_task() -> None:
    assert pick("Nightly parcels refresh", DECLARED, LIVE, config_path="c")[1].id == "t1"
    assert pick("ADMIN/Nightly parcels refresh", DECLARED, LIVE, config_path="c")[1].id == "t1"
    assert pick("jo/Shared job", DECLARED, LIVE, config_path="c")[1].id == "t2"
    assert pick("a/b title", DECLARED, LIVE, config_path="c")[1].id == "t3"


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("Nightly parcel refresh", "did you mean 'admin/Nightly parcels refresh'?"),
        ("Undeclared", "the portal has such a task, but it is not declared"),
        ("Old job", "is declared absent in c"),
        ("Shared job", "names tasks of several owners (jo/Shared job, sam/Shared job)"),
        ("sam/Shared job", "declared but not on the portal yet; run 'taskform apply' first"),
        ("nobody/x", "no task 'nobody/x' is declared in c"),
    ],
)
def test_clear_errors(name: str, says: str) -> None:
    with pytest.raises(TaskformError) as info:
        pick(name, DECLARED, LIVE, config_path="c")
    assert says in str(info.value)


def test_two_live_tasks_with_the_title_is_an_error() -> None:
    doubled = {
        "admin": [live("Nightly parcels refresh"), live("Nightly parcels refresh", task_id="t5")]
    }
    with pytest.raises(TaskformError, match="the portal has 2 tasks titled"):
        pick("Nightly parcels refresh", DECLARED, doubled, config_path="c")
