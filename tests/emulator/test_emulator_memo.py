"""The emulator reads fire times from a per-minute memo and indexes tasks by owner."""

from __future__ import annotations

from taskform.emulator.jobs import quartz
from taskform.emulator.server.store import TaskTable
from tests.emulator.conftest import Api
from tests.emulator.test_emulator_quartz import as_fields, ms
from tests.support.emulator import EmulatorProcess


def test_fire_times_from_the_minute_memo_match_a_fresh_computation() -> None:
    schedule = quartz.parse(as_fields("0/15 * * * ?"))
    on_fire = ms(2025, 1, 15, 12, 15)
    for after in (on_fire - 1, on_fire, on_fire + 1, on_fire + 59_999, on_fire + 60_000):
        assert schedule.next_times(after, 2) == schedule.compute_next_times(after, 2)
    assert schedule.next_after(on_fire) == on_fire + 15 * 60_000  # strictly after
    assert schedule.next_after(on_fire - 1) == on_fire


def test_next_start_follows_the_clock_within_one_minute(emu: EmulatorProcess, admin: Api) -> None:
    fire = ms(2025, 1, 15, 13, 0)
    task_id = admin.create(minute="0", hour="*", dayOfMonth="*", dayOfWeek="?")
    for now, expected in (
        (fire - 30_000, fire),
        (fire, fire + 3_600_000),
        (fire + 1, fire + 3_600_000),
    ):
        emu.set_clock(now)
        assert admin.task(task_id)["nextStart"] == expected
        assert admin.listing()["tasks"][0]["nextStart"] == expected


def test_the_owner_index_follows_every_change() -> None:
    table = TaskTable({"a": {"owner": "jo"}, "b": {"owner": "al"}})
    table["c"] = {"owner": "jo"}
    table.setdefault("d", {"owner": "al"})
    table.update(e={"owner": "jo"})
    assert list(table.of_owner("jo")) == ["a", "c", "e"]
    del table["a"]
    assert table.pop("zz", None) is None
    table.pop("d")
    table["b"] = {"owner": "jo"}  # replaced by a record of another owner
    assert list(table.of_owner("jo")) == ["c", "e", "b"] and table.of_owner("al") == {}
    assert table.popitem()[0] == "e"  # the last created
    assert list(table.of_owner("jo")) == ["c", "b"]
    table.clear()
    assert table.of_owner("jo") == {} and not table


def test_the_table_knows_which_lists_are_in_created_order() -> None:
    table = TaskTable({"a": {"owner": "jo", "created": 1}, "b": {"owner": "al", "created": 2}})
    assert table.in_created_order() and table.in_created_order("jo")
    table["c"] = {"owner": "jo", "created": 3}
    table["a"] = {"owner": "al", "created": 1}  # moved: joins the end of al's list
    assert list(table.of_owner("al")) == ["b", "a"]
    assert not table.in_created_order("al")
    assert table.in_created_order("jo") and table.in_created_order()
    table["d"] = {"owner": "jo", "created": 0}  # a record older than the last one
    assert not table.in_created_order("jo") and not table.in_created_order()
    table["c"] = {"owner": "zo", "created": 9}  # a changed created time, kept in place
    assert not table.in_created_order("zo")
    for key in ("a", "b"):
        del table[key]
    assert table.in_created_order("al")  # emptied: a new list starts in order
    table.clear()
    assert table.in_created_order() and table.in_created_order("jo")
