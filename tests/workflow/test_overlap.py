"""The overlap lint's reads of the runs resource: which tasks' runs ``plan`` reads (at most
``MAX_RUN_READS``, whole items, the smallest first), and the warning for every item whose
durations were not read (over the bound, or the runs unreadable) instead of silence."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path

from taskform.config.loader import load_config
from taskform.config.model import Config
from taskform.errors import PortalError
from taskform.model import LiveTask, Run
from taskform.workflow.overlap import MAX_RUN_READS, overlap_warnings
from tests.support.fakes import MemoryPortal, live_task

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
CROWDED = "0123456789abcdef0123456789abcdef"  # more tasks than the bound
PAIR = "fedcba9876543210fedcba9876543210"  # two tasks, 30 minutes apart
DAY_MS = 86_400_000


class RunsPortal(MemoryPortal):
    """Every task's runs: three finished runs of 45 minutes; counts the runs read."""

    def __init__(self, tasks: list[LiveTask], *, broken: bool = False) -> None:
        super().__init__("admin", tasks)
        self.read: list[str] = []
        self.broken = broken
        self._reads = threading.Lock()

    def list_runs(self, owner: str, task_id: str) -> list[Run]:
        with self._reads:
            self.read.append(self.tasks[task_id].title)
        if self.broken:
            raise PortalError("the runs resource answered 500", code=500, request="GET runs")
        start = int(NOW.timestamp() * 1000)
        return [
            Run(
                f"r{day}",
                "succeeded",
                created=start - day * DAY_MS,
                modified=start - day * DAY_MS + 45 * 60_000,
            )
            for day in (1, 2, 3)
        ]


def configure(tmp_path: Path, crowded: int) -> tuple[Config, list[LiveTask]]:
    """``crowded`` tasks on one item, each at its own minute of 03:xx (no two start together),
    and a pair on another item at 02:00 and 02:30; all of them live."""
    lines = ["version: 1", "owner: admin", "tasks:"]
    tasks = [(f"Crowded {i:02d}", CROWDED, f"{i * 2} 3 * * *") for i in range(crowded)]
    tasks += [("Pair first", PAIR, "0 2 * * *"), ("Pair second", PAIR, "30 2 * * *")]
    for title, item, schedule in tasks:
        lines += [
            f"  - title: {title}",
            "    type: ExecuteNotebook",
            f"    item_id: {item}",
            f'    schedule: "{schedule}"',
        ]
    (tmp_path / "taskform.yaml").write_text("\n".join(lines) + "\n")
    config = load_config(tmp_path / "taskform.yaml", env={}, now=NOW)
    live = [live_task("admin", title, item_id=item) for title, item, _ in tasks]
    return config, live


def test_beyond_the_bound_the_plan_names_the_item_checked_by_start_minute_only(
    tmp_path: Path,
) -> None:
    config, live = configure(tmp_path, MAX_RUN_READS + 2)
    portal = RunsPortal(live)
    warnings = [str(w) for w in overlap_warnings(portal, config.present, {"admin": live}, NOW)]
    # the pair fits the budget and is read; the crowded item does not and is not read at all
    assert sorted(portal.read) == ["Pair first", "Pair second"]
    assert len(warnings) == 2, warnings
    assert f"2 tasks run item {PAIR} with overlapping runs" in warnings[0]
    assert "Pair first typically runs 45 min" in warnings[0]
    assert warnings[1] == (
        f"{tmp_path / 'taskform.yaml'}:4: 12 tasks run item {CROWDED}; overlaps were checked by"
        " start minute only: the run durations of its 12 live tasks were not read (plan reads"
        f" the runs of at most {MAX_RUN_READS} tasks sharing items) (runs that start in"
        " different minutes may still overlap)"
    )


def test_within_the_bound_every_shared_task_is_read_and_nothing_is_said_about_it(
    tmp_path: Path,
) -> None:
    config, live = configure(tmp_path, MAX_RUN_READS - 2)
    portal = RunsPortal(live)
    warnings = [str(w) for w in overlap_warnings(portal, config.present, {"admin": live}, NOW)]
    assert len(portal.read) == MAX_RUN_READS
    # 45-minute runs two minutes apart: the crowded item overlaps too, from its durations
    assert [w.split(" with ")[0].split(": ")[1] for w in warnings] == [
        f"8 tasks run item {CROWDED}",
        f"2 tasks run item {PAIR}",
    ]
    assert not any("checked by start minute only" in w for w in warnings)


def test_unreadable_runs_are_said_too(tmp_path: Path) -> None:
    config, live = configure(tmp_path, 0)
    portal = RunsPortal(live, broken=True)
    warnings = [str(w) for w in overlap_warnings(portal, config.present, {"admin": live}, NOW)]
    assert len(warnings) == 1, warnings  # 02:00 and 02:30 do not overlap without durations
    assert f"2 tasks run item {PAIR}; overlaps were checked by start minute only" in warnings[0]
    assert "(they could not be read: GET runs: the runs resource answered 500" in warnings[0]


def test_tasks_not_live_yet_cost_no_reads_and_no_warning(tmp_path: Path) -> None:
    config, _ = configure(tmp_path, MAX_RUN_READS + 2)
    portal = RunsPortal([])
    assert overlap_warnings(portal, config.present, {}, NOW) == []
    assert portal.read == []
