"""The scheduler in process: nothing to do costs no schedule arithmetic, a write costs only the
changed task's, and a long catch-up is bounded per request."""

from __future__ import annotations

from typing import Any

import pytest

from taskform.emulator.jobs import quartz
from taskform.emulator.jobs import scheduler as scheduler_module
from taskform.emulator.jobs.board import JobBoard
from taskform.emulator.jobs.scheduler import Scheduler
from taskform.emulator.server.store import Store
from taskform.emulator.sharing import tasks

T0 = 1_764_633_600_000
HOUR = 3_600_000
ITEM = "029b61ca770e428d9468a2a55f40b9fb"


def add_task(store: Store, minute: str = "0", hour: str = "*") -> dict[str, Any]:
    spec = tasks.parse_task_form(
        {
            "type": "ExecuteNotebook",
            "itemId": ITEM,
            "minute": minute,
            "hour": hour,
            "dayOfMonth": "*",
            "month": "*",
            "dayOfWeek": "?",
        },
        current_type=None,
    )
    record = tasks.new_record(spec, "admin", store.now_ms())
    store.tasks[record["id"]] = record
    store.save()
    return record


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = quartz.parse

    def parse(fields: Any) -> quartz.Schedule:
        calls[0] += 1
        return real(fields)

    monkeypatch.setattr(quartz, "parse", parse)
    return calls


def test_idle_ticks_do_no_schedule_arithmetic(counted: list[int]) -> None:
    store = Store()
    store.clock_ms = T0
    for _ in range(200):
        add_task(store)
    sched = Scheduler(store, JobBoard())
    counted[0] = 0
    sched.tick("http://e")
    assert counted[0] == 200  # the first look computes every task's next fire time
    for _ in range(100):
        sched.tick("http://e")  # the hot listing path: nothing due, nothing changed
    assert counted[0] == 200
    add_task(store)
    counted[0] = 0
    sched.tick("http://e")
    assert counted[0] == 1  # a write: only the new task is looked at


def test_catch_up_is_bounded_per_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scheduler_module, "MAX_EVENTS_PER_TICK", 10)
    store = Store()
    store.clock_ms = T0
    record = add_task(store)
    sched = Scheduler(store, JobBoard())
    sched.tick("http://e")
    store.clock_ms = T0 + 24 * HOUR
    sched.tick("http://e")
    first = len(store.runs[record["id"]])
    assert 0 < first <= 10
    for _ in range(10):
        sched.tick("http://e")
    assert len(store.runs[record["id"]]) == 24
    assert record["lastStart"] == T0 + 24 * HOUR
