"""Quartz cron fields: accepted and refused field sets (over HTTP), next fire times."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from taskform.emulator.jobs import quartz
from tests.emulator.conftest import Api, error_of, task_form
from tests.support.emulator import EmulatorProcess

FIELDS = ("minute", "hour", "dayOfMonth", "month", "dayOfWeek")


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=timezone.utc).timestamp() * 1000)


def as_fields(cron: str) -> dict[str, str]:
    return dict(zip(FIELDS, cron.split(" "), strict=True))


GOOD = [
    "0 2 ? * 2-6",
    "0 2 ? * MON-FRI",
    "0 2 ? * mon-fri",
    "*/15 * * * ?",
    "*/1 * * * ?",
    "0 * ? * 1,2,3,4,5,6,7",
    "0 23 L * ?",
    "0 0 L-3 * ?",
    "0 0 LW * ?",
    "0 0 15W * ?",
    "0 0 5C * ?",
    "0 0 ? * 6#3",
    "0 0 ? * FRI#1",
    "0 0 ? * 6L",
    "0 0 ? * L",
    "0 0 ? * 2C",
    "0 7 1 1,4,7,10 ?",
    "0 7 1 JAN,APR,JUL,OCT ?",
    "0 7 1 JAN-MAR ?",
    "5/10 22-2 * * ?",
    "0 0 ? * FRI-MON",
    "0-30/10 8-18 ? * 2-6",
    "0 0 29 2 ?",
    "59 23 31 12 ?",
]

BAD = [
    ("0 2 * * *", "not implemented"),  # both day fields restricted (Unix style)
    ("0 2 * * 1-5", "not implemented"),
    ("0 2 ? * ?", "not both"),
    ("0 2 1 * 2", "not implemented"),
    ("60 2 * * ?", "outside 0-59"),
    ("0 24 * * ?", "outside 0-23"),
    ("0 2 0 * ?", "outside 1-31"),
    ("0 2 32 * ?", "outside 1-31"),
    ("0 2 1 13 ?", "outside 1-12"),
    ("0 2 1 0 ?", "outside 1-12"),
    ("0 2 ? * 0", "outside 1-7"),
    ("0 2 ? * 8", "outside 1-7"),
    ("0 2 ? * SUNDAY", "not allowed"),
    ("0 2 1 JANUARY ?", "not allowed"),
    ("a 2 * * ?", "not allowed"),
    ("0 2 ? * 1W", "not allowed"),  # W is a dayOfMonth character only
    ("0 2 1# * ?", "not allowed"),  # # is a dayOfWeek character only
    ("0 L * * ?", "not allowed"),
    ("? 2 * * ?", "not allowed"),
    ("0 2 * ? ?", "not allowed"),
    ("*/0 2 * * ?", "step"),
    ("*/61 2 * * ?", "step"),
    ("0 2 1,L * ?", "cannot be combined"),
    ("0 2 ? * 2#6", "k from 1 to 5"),
    ("0 2 ? * 2#1,3#1", "cannot be combined"),
    ("0 2 L-31 * ?", "L-n"),
    ("0 2 30 2 ?", "never fires"),
    ("0 2 31 4,6,9,11 ?", "never fires"),
    ("0 2 1,,2 * ?", "empty list element"),
    ("0 2 1- * ?", "missing"),
    ("/5 2 * * ?", "missing"),
]


@pytest.mark.parametrize("cron", GOOD)
def test_accepted(admin: Api, cron: str) -> None:
    task_id = admin.create(**as_fields(cron))
    assert admin.task(task_id)["cronSchedule"] == as_fields(cron)  # stored exactly as sent


@pytest.mark.parametrize(("cron", "why"), BAD)
def test_refused(admin: Api, cron: str, why: str) -> None:
    body = admin.post("community/users/admin/tasks/createTask", **task_form(**as_fields(cron)))
    assert error_of(body)[0] == 400
    assert why in " ".join(body["error"]["details"])
    assert admin.listing()["total"] == 0


@pytest.mark.parametrize("field", FIELDS)
def test_every_field_is_required(admin: Api, field: str) -> None:
    body = admin.post("community/users/admin/tasks/createTask", **task_form(**{field: None}))
    assert error_of(body) == (400, f"Missing required cron field '{field}'.")


def test_all_problems_are_listed(admin: Api) -> None:
    body = admin.post(
        "community/users/admin/tasks/createTask",
        **task_form(minute="99", hour="99", dayOfWeek="0"),
    )
    assert len(body["error"]["details"]) >= 3


NOW = ms(2025, 1, 15, 12, 0)  # a Wednesday


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("0 2 ? * 2-6", [ms(2025, 1, 16, 2, 0), ms(2025, 1, 17, 2, 0), ms(2025, 1, 20, 2, 0)]),
        (
            "*/15 * * * ?",
            [ms(2025, 1, 15, 12, 15), ms(2025, 1, 15, 12, 30), ms(2025, 1, 15, 12, 45)],
        ),
        ("0 23 L * ?", [ms(2025, 1, 31, 23, 0), ms(2025, 2, 28, 23, 0), ms(2025, 3, 31, 23, 0)]),
        ("0 0 L-2 * ?", [ms(2025, 1, 29), ms(2025, 2, 26), ms(2025, 3, 29)]),
        # last weekday: Jan 31 2025 is a Friday, May 31 2025 a Saturday -> Friday 30th
        ("0 0 LW 1,5,8 ?", [ms(2025, 1, 31), ms(2025, 5, 30), ms(2025, 8, 29)]),
        # nearest weekday to the 15th: Feb 15 2025 is a Saturday -> Friday 14th
        ("0 0 15W * ?", [ms(2025, 2, 14), ms(2025, 3, 14), ms(2025, 4, 15)]),
        # 1W never leaves the month: Feb 1 2025 is a Saturday -> Monday 3rd
        ("0 0 1W 2 ?", [ms(2025, 2, 3), ms(2026, 2, 2), ms(2027, 2, 1)]),
        ("0 0 ? * 6#3", [ms(2025, 1, 17), ms(2025, 2, 21), ms(2025, 3, 21)]),  # 3rd Friday
        ("0 0 ? * 6L", [ms(2025, 1, 31), ms(2025, 2, 28), ms(2025, 3, 28)]),  # last Friday
        ("0 0 ? * L", [ms(2025, 1, 18), ms(2025, 1, 25), ms(2025, 2, 1)]),  # Saturdays
        ("0 0 ? * 1", [ms(2025, 1, 19), ms(2025, 1, 26), ms(2025, 2, 2)]),  # 1 = Sunday
        ("0 22-2/2 * * ?", [ms(2025, 1, 15, 22), ms(2025, 1, 16, 0), ms(2025, 1, 16, 2)]),
        ("0 0 29 FEB ?", [ms(2028, 2, 29), ms(2032, 2, 29), ms(2036, 2, 29)]),
    ],
)
def test_fire_times(cron: str, expected: list[int]) -> None:
    assert quartz.parse(as_fields(cron)).next_times(NOW, 3) == expected


def test_next_start_and_interval_over_http(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_clock(NOW)
    hourly = admin.task(admin.create(minute="0", hour="*", dayOfMonth="*", dayOfWeek="?"))
    assert hourly["nextStart"] == ms(2025, 1, 15, 13, 0)
    assert hourly["runIntervalSeconds"] == 3600
    every_minute = admin.task(admin.create(minute="*/1", hour="*", dayOfMonth="*", dayOfWeek="?"))
    assert every_minute["runIntervalSeconds"] == 60


def test_next_start_respects_start_and_end_dates(emu: EmulatorProcess, admin: Api) -> None:
    emu.set_clock(NOW)
    later = admin.task(admin.create(startDate=str(ms(2025, 3, 1)), endDate=str(ms(2025, 4, 1))))
    assert later["nextStart"] == ms(2025, 3, 3, 2, 0)  # first weekday 02:00 from March 1st
    exactly = admin.task(
        admin.create(
            minute="0", hour="2", dayOfMonth="*", dayOfWeek="?", startDate=str(ms(2025, 3, 1, 2, 0))
        )
    )
    assert exactly["nextStart"] == ms(2025, 3, 1, 2, 0)  # a start on a fire time fires then
    none_left = admin.task(
        admin.create(
            minute="0",
            hour="2",
            dayOfMonth="1",
            month="2",
            dayOfWeek="?",
            endDate=str(ms(2025, 1, 20)),
        )
    )
    assert "nextStart" not in none_left
    assert none_left["active"] is True
