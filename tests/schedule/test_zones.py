"""Local wall-time schedules compiled to UTC, DST transitions and their lint."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from taskform.errors import ScheduleError
from taskform.model import CronFields
from taskform.schedule.nextruns import next_runs
from taskform.schedule.translate import schedule_key, to_portal
from taskform.schedule.zones import (
    compile_schedule,
    load_zone,
    next_transition,
    shift,
    transitions,
    wall_problems,
    zone_offsets,
)

WINTER = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
SUMMER = datetime(2027, 6, 1, 12, 0, tzinfo=timezone.utc)


def fields(expr: str, zone: str, now: datetime = WINTER) -> CronFields:
    return compile_schedule(expr, owner="o", title="t", zone=zone, now=now).fields


def utc_hours(expr: str, zone: str, now: datetime) -> list[str]:
    f = fields(expr, zone, now)
    runs = next_runs(f, after=now, count=2)
    return [datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%a %H:%M") for ms in runs]


def test_oslo_winter_and_summer() -> None:
    assert fields("0 5 * * 1-5", "Europe/Oslo") == to_portal("0 4 * * 1-5")
    assert fields("0 5 * * 1-5", "Europe/Oslo", SUMMER) == to_portal("0 3 * * 1-5")


def test_crossing_midnight_shifts_the_weekdays() -> None:
    # Monday to Friday 00:30 in Oslo is Sunday to Thursday 23:30 UTC
    assert schedule_key(fields("30 0 * * 1-5", "Europe/Oslo")) == schedule_key(
        to_portal("30 23 * * 0-4")
    )
    # Friday 20:00 in Denver (UTC-7 in winter) is Saturday 03:00 UTC
    assert utc_hours("0 20 * * 5", "America/Denver", WINTER) == ["Sat 03:00", "Sat 03:00"]


def test_half_hour_zone() -> None:
    assert fields("0 9 * * *", "Asia/Kolkata") == to_portal("30 3 * * *")
    assert fields("*/15 * * * *", "Asia/Kolkata") == to_portal("*/15 * * * *")


def test_utc_names_are_plain() -> None:
    assert fields("0 5 * * *", "UTC") == to_portal("0 5 * * *")


def test_offset_is_the_one_at_the_next_run() -> None:
    # Saturday 27 March 2027, noon: the next 05:00 Oslo run is on Sunday, after the switch to
    # summer time at 01:00 UTC, so the schedule is compiled with +02:00 already.
    before_switch = datetime(2027, 3, 27, 12, 0, tzinfo=timezone.utc)
    assert fields("0 5 * * *", "Europe/Oslo", before_switch) == to_portal("0 3 * * *")
    # a weekly Monday task compiled on that Saturday also gets the new offset
    assert fields("0 5 * * 1", "Europe/Oslo", before_switch) == to_portal("0 3 * * 1")


@pytest.mark.parametrize(
    ("expr", "zone"),
    [("0 0 1 * *", "Europe/Oslo"), ("0 0 L * *", "Europe/Oslo"), ("30 0 * 1 *", "Europe/Oslo")],
)
def test_not_expressible_is_an_error(expr: str, zone: str) -> None:
    with pytest.raises(ScheduleError, match="in time zone Europe/Oslo"):
        fields(expr, zone)


def test_shift_keeps_other_fields() -> None:
    assert shift(to_portal("0 10 15 * *"), 60) == to_portal("0 9 15 * *")


def test_unknown_zone_suggests() -> None:
    with pytest.raises(ScheduleError, match="did you mean 'Europe/Oslo'"):
        load_zone("europe/olso")
    with pytest.raises(ScheduleError, match="unknown time zone"):
        load_zone("../etc/passwd")


def test_transitions_and_offsets() -> None:
    found = transitions("Europe/Oslo", WINTER)
    assert [(t.at.isoformat(), t.before, t.after) for t in found] == [
        ("2027-03-28T01:00:00+00:00", 60, 120),
        ("2027-10-31T01:00:00+00:00", 120, 60),
    ]
    assert next_transition("UTC", WINTER) is None
    assert sorted(zone_offsets("America/Denver", WINTER)) == [-420, -360]


def test_wall_problems_gap_and_fold() -> None:
    found = wall_problems(to_portal("30 2 * * *"), "Europe/Oslo", WINTER)
    assert [(p.kind, p.local.isoformat()) for p in found] == [
        ("gap", "2027-03-28T02:30:00"),
        ("fold", "2027-10-31T02:30:00"),
    ]
    assert wall_problems(to_portal("0 5 * * *"), "Europe/Oslo", WINTER) == ()
    # only on weekdays: 28 March and 31 October 2027 are Sundays
    assert wall_problems(to_portal("30 2 * * 1-5"), "Europe/Oslo", WINTER) == ()
