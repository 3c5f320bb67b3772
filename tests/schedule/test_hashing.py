"""``H`` in the minute and hour fields: stable, spread out, and exact for the portal."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest

from taskform.errors import ScheduleError
from taskform.schedule.hashing import expand, seed, uses_hash
from taskform.schedule.translate import to_portal


def test_same_task_same_fields_across_processes() -> None:
    here = expand("H H(1-4) * * 1-5", "gis_admin", "Nightly parcels")
    code = (
        "from taskform.schedule.hashing import expand;"
        "print(expand('H H(1-4) * * 1-5', 'gis_admin', 'Nightly parcels'))"
    )
    # a fresh interpreter has another hash() salt: the value must not depend on it
    there = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "12345"},
    ).stdout.strip()
    assert here == there
    minute, hour, *_ = here.split()
    assert 0 <= int(minute) <= 59 and 1 <= int(hour) <= 4


def test_owner_case_does_not_matter() -> None:
    assert expand("H 2 * * *", "GIS_Admin", "T") == expand("H 2 * * *", "gis_admin", "T")


def test_tasks_declared_alike_spread_out() -> None:
    minutes = Counter(expand("H 2 * * *", "gis_admin", f"Task {i}").split()[0] for i in range(200))
    assert len(minutes) > 40  # 200 tasks over 60 minutes
    assert max(minutes.values()) < 15


@pytest.mark.parametrize(
    ("expr", "check"),
    [
        ("H/15 * * * *", lambda m: len(m) == 4 and m == list(range(m[0], 60, 15))),
        ("H(0-29) 3 * * 1-5", lambda m: len(m) == 1 and 0 <= m[0] <= 29),
        ("H(10-20)/5 * * * *", lambda m: m[0] in (10, 11, 12, 13, 14) and m[-1] <= 20),
        ("H,30 * * * *", lambda m: 30 in m),
    ],
)
def test_forms(expr: str, check: object) -> None:
    minute = expand(expr, "o", "t").split()[0]
    values = sorted(int(v) for v in minute.split(","))
    assert callable(check) and check(values)
    to_portal(expand(expr, "o", "t"))  # always a valid schedule


def test_minute_and_hour_are_independent() -> None:
    assert seed("o", "t", "minute") != seed("o", "t", "hour")


def test_thu_is_not_h() -> None:
    assert not uses_hash("0 2 * * THU")
    assert expand("0 2 * * THU", "o", "t") == "0 2 * * THU"


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("0 2 H * *", "only allowed in the minute and hour fields"),
        ("H(30-10) * * * *", "must run forwards"),
        ("H(0-99) * * * *", "must run forwards within 0-59"),
        ("Hx * * * *", "not a valid H form"),
        ("H/0 * * * *", "step"),
    ],
)
def test_bad_forms(expr: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        expand(expr, "o", "t")
