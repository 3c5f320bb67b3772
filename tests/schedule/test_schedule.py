"""Unix cron <-> portal (Quartz-style) schedule translation, keys and fire times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import cast

import pytest

from taskform.errors import ScheduleError
from taskform.model import CronFields
from taskform.schedule.translate import MACROS, next_runs, schedule_key, to_portal, to_unix

UTC = timezone.utc


def cf(minute: str, hour: str, dom: str, month: str, dow: str) -> CronFields:
    return CronFields(minute, hour, dom, month, dow)


def fields(expr: str) -> tuple[str, str, str, str, str]:
    f = to_portal(expr)
    return (f.minute, f.hour, f.day_of_month, f.month, f.day_of_week)


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def iso(values: list[int]) -> list[str]:
    return [datetime.fromtimestamp(v / 1000, UTC).strftime("%Y-%m-%dT%H:%M") for v in values]


# --------------------------------------------------------------------------- to_portal

TRANSLATIONS = [
    # the contract's example
    ("0 2 * * 1-5", ("0", "2", "?", "*", "2-6")),
    # whitespace: any run of spaces and tabs, surrounding whitespace and a YAML newline
    ("  0\t2  *\t\t*   1-5 ", ("0", "2", "?", "*", "2-6")),
    ("0 2 * * 1-5\n", ("0", "2", "?", "*", "2-6")),
    # every macro
    ("@hourly", ("0", "*", "*", "*", "?")),
    ("@daily", ("0", "0", "*", "*", "?")),
    ("@midnight", ("0", "0", "*", "*", "?")),
    ("@weekly", ("0", "0", "?", "*", "1")),
    ("@monthly", ("0", "0", "1", "*", "?")),
    ("@yearly", ("0", "0", "1", "1", "?")),
    ("@annually", ("0", "0", "1", "1", "?")),
    (" @Daily ", ("0", "0", "*", "*", "?")),
    # names become numbers, any case
    ("0 9 * * MON-FRI", ("0", "9", "?", "*", "2-6")),
    ("0 9 * * mon,Wed,FRI", ("0", "9", "?", "*", "2,4,6")),
    ("0 9 * * sat,sun", ("0", "9", "?", "*", "1,7")),
    ("0 0 1 JAN,jul *", ("0", "0", "1", "1,7", "?")),
    ("0 0 1 jan-Mar *", ("0", "0", "1", "1-3", "?")),
    ("0 0 1 */3 *", ("0", "0", "1", "*/3", "?")),
    # Sunday is 0 or 7 in Unix, 1 in Quartz
    ("0 0 * * 0", ("0", "0", "?", "*", "1")),
    ("0 0 * * 7", ("0", "0", "?", "*", "1")),
    ("0 0 * * SUN", ("0", "0", "?", "*", "1")),
    ("0 0 * * 0,7", ("0", "0", "?", "*", "1")),
    ("0 0 * * 6", ("0", "0", "?", "*", "7")),
    ("0 0 * * 1", ("0", "0", "?", "*", "2")),
    # ranges crossing Sunday
    ("0 0 * * 5-7", ("0", "0", "?", "*", "1,6,7")),
    ("0 0 * * 6-7", ("0", "0", "?", "*", "1,7")),
    ("0 0 * * 3-7", ("0", "0", "?", "*", "1,4-7")),
    ("0 0 * * 0-2", ("0", "0", "?", "*", "1-3")),
    ("0 0 * * 4-6,0", ("0", "0", "?", "*", "1,5-7")),
    # steps on day-of-week are expanded (the two dialects start counting differently)
    ("0 0 * * */2", ("0", "0", "?", "*", "1,3,5,7")),
    ("0 0 * * */3", ("0", "0", "?", "*", "1,4,7")),
    ("0 0 * * 1-5/2", ("0", "0", "?", "*", "2,4,6")),
    ("0 0 * * 1-7/2", ("0", "0", "?", "*", "1,2,4,6")),
    ("0 0 * * 1/2", ("0", "0", "?", "*", "2,4,6")),
    ("0 0 * * 7/3", ("0", "0", "?", "*", "1,4,7")),
    ("0 0 * * */7", ("0", "0", "?", "*", "1")),
    # a day-of-week selecting every day is unrestricted
    ("0 0 * * 0-6", ("0", "0", "*", "*", "?")),
    ("0 0 * * 0-7", ("0", "0", "*", "*", "?")),
    ("0 0 * * */1", ("0", "0", "*", "*", "?")),
    ("0 0 * * SUN-SAT", ("0", "0", "*", "*", "?")),
    ("0 0 1-31 * *", ("0", "0", "*", "*", "?")),
    ("0 0 */1 * *", ("0", "0", "*", "*", "?")),
    ("0 0 1-31 * 0-6", ("0", "0", "*", "*", "?")),
    # restricted day-of-month
    ("0 0 1,15 * *", ("0", "0", "1,15", "*", "?")),
    ("0 0 1-7 * *", ("0", "0", "1-7", "*", "?")),
    ("0 0 */2 * *", ("0", "0", "*/2", "*", "?")),
    ("0 0 29 2 *", ("0", "0", "29", "2", "?")),
    ("0 0 31 1-3 *", ("0", "0", "31", "1-3", "?")),
    # minute and hour pass through, tidied
    ("*/15 9-17 * * *", ("*/15", "9-17", "*", "*", "?")),
    ("0,30 8-18/2 * * *", ("0,30", "8-18/2", "*", "*", "?")),
    ("5/15 * * * *", ("5/15", "*", "*", "*", "?")),
    ("5-5 * * * *", ("5", "*", "*", "*", "?")),
    ("00 09 * * *", ("0", "9", "*", "*", "?")),
    ("0-59 0-23 * 1-12 *", ("0-59", "0-23", "*", "1-12", "?")),
    # Quartz extras in day-of-month pass through
    ("0 23 L * *", ("0", "23", "L", "*", "?")),
    ("0 23 l * *", ("0", "23", "L", "*", "?")),
    ("0 23 L-0 * *", ("0", "23", "L", "*", "?")),
    ("0 0 L-3 * *", ("0", "0", "L-3", "*", "?")),
    ("0 0 LW * *", ("0", "0", "LW", "*", "?")),
    ("0 0 lw * *", ("0", "0", "LW", "*", "?")),
    ("0 0 L-2W * *", ("0", "0", "L-2W", "*", "?")),
    ("0 9 15W * *", ("0", "9", "15W", "*", "?")),
    ("0 9 15w * *", ("0", "9", "15W", "*", "?")),
    ("0 9 01W * *", ("0", "9", "1W", "*", "?")),
    # ... and in day-of-week, written with Unix numbering and shifted
    ("0 9 * * 5#3", ("0", "9", "?", "*", "6#3")),
    ("0 9 * * FRI#3", ("0", "9", "?", "*", "6#3")),
    ("0 9 * * 0#1", ("0", "9", "?", "*", "1#1")),
    ("0 9 * * 7#2", ("0", "9", "?", "*", "1#2")),
    ("0 9 * * 6#5", ("0", "9", "?", "*", "7#5")),
    ("0 9 * * 5L", ("0", "9", "?", "*", "6L")),
    ("0 9 * * fril", ("0", "9", "?", "*", "6L")),
    ("0 9 * * 0L", ("0", "9", "?", "*", "1L")),
    ("0 9 * * 7L", ("0", "9", "?", "*", "1L")),
]


@pytest.mark.parametrize(("expr", "expected"), TRANSLATIONS)
def test_to_portal(expr: str, expected: tuple[str, str, str, str, str]) -> None:
    assert fields(expr) == expected


def test_contract_example_as_portal_object() -> None:
    assert to_portal("0 2 * * 1-5").as_portal() == {
        "minute": "0",
        "hour": "2",
        "dayOfMonth": "?",
        "month": "*",
        "dayOfWeek": "2-6",
    }


def test_every_macro_is_covered() -> None:
    assert set(MACROS) == {
        "@hourly",
        "@daily",
        "@midnight",
        "@weekly",
        "@monthly",
        "@yearly",
        "@annually",
    }
    for macro, expansion in MACROS.items():
        assert to_portal(macro) == to_portal(expansion)


@pytest.mark.parametrize("expr", [e for e, _ in TRANSLATIONS])
def test_exactly_one_day_field_is_question_mark(expr: str) -> None:
    f = to_portal(expr)
    assert [f.day_of_month, f.day_of_week].count("?") == 1


ERRORS = [
    # shape
    ("", "the schedule is empty: write five fields"),
    ("   ", "the schedule is empty"),
    (
        "* * * *",
        "a schedule has five fields (minute hour day-of-month month day-of-week), this one has 4",
    ),
    ("0 0 0 * * *", "this one has 6 (the portal has no seconds or year field: drop them)"),
    ("* * * * * * * *", "this one has 8"),
    ("0\n0 * * * *", "minute '0\\n0' is not valid"),
    ("@reboot", "unknown macro '@reboot': use one of @hourly, @daily, @midnight, @weekly"),
    ("@dayly", "unknown macro '@dayly'"),
    ("٣ * * * *", "not plain ASCII"),
    ("0 0 * * mon\u00a0", "not plain ASCII"),
    # values
    ("60 * * * *", "minute value '60' is out of range: use 0-59"),
    ("* 24 * * *", "hour value '24' is out of range: use 0-23"),
    ("* * 0 * *", "day-of-month value '0' is out of range: use 1-31"),
    ("* * 32 * *", "day-of-month value '32' is out of range: use 1-31"),
    ("* * * 13 *", "month value '13' is out of range: use 1-12 or JAN-DEC"),
    ("* * * 0 *", "month value '0' is out of range"),
    ("* * * * 8", "day-of-week value '8' is out of range: use 0-7 or SUN-SAT (0 and 7 are Sunday)"),
    ("* * * FOO *", "unknown month name 'FOO': use 1-12 or JAN-DEC (JAN, FEB,"),
    ("* * * * MONDAY", "unknown day-of-week name 'MONDAY': use 0-7 or SUN-SAT"),
    ("X * * * *", "minute value 'X' is not a number: use 0-59"),
    ("* * * * MON#JAN", "day-of-week 'MON#JAN' is not valid: '#' and 'L' take one weekday"),
    ("-1 * * * *", "minute '-1' is not valid: use numbers 0-59, '*', ranges 'a-b', lists 'a,b'"),
    ("1-2-3 * * * *", "minute '1-2-3' is not valid"),
    ("*/5/2 * * * *", "minute '*/5/2' is not valid"),
    ("1.5 * * * *", "minute '1.5' is not valid"),
    ("1,,2 * * * *", "minute '1,,2' has an empty list item"),
    ("1, * * * *", "has an empty list item"),
    ("9" * 5000 + " * * * *", "minute value '9999999"),
    # steps and ranges
    ("*/0 * * * *", "minute step '/0' is out of range: use 1-59"),
    ("*/60 * * * *", "minute step '/60' is out of range: use 1-59"),
    ("* */24 * * *", "hour step '/24' is out of range: use 1-23"),
    ("* * * * */8", "day-of-week step '/8' is out of range: use 1-7"),
    ("10-5 * * * *", "minute range '10-5' runs backwards: write '5-10', or '10-59,0-5' to wrap"),
    ("0 0 * * FRI-MON", "day-of-week range 'FRI-MON' runs backwards: write '1-5', or '5-6,0-1'"),
    ("0 0 * DEC-JAN *", "month range 'DEC-JAN' runs backwards: write '1-12', or '12,1' to wrap"),
    # day fields
    (
        "0 0 15 * 1",
        "day-of-month '15' and day-of-week '1' are both restricted; the portal can only restrict"
        " one of them: use '*' in one of the two fields",
    ),
    ("0 0 L * 5#3", "are both restricted"),
    ("0 0 */2 * 1", "are both restricted"),
    ("0 0 1-31 * 1-5", "day-of-month '1-31' covers every day but is not '*'"),
    ("0 0 */1 * MON", "write '*' in day-of-month"),
    ("0 0 15 * 0-6", "day-of-week '0-6' covers every day but is not '*'"),
    ("0 0 15 * */1", "write '*' in day-of-week"),
    ("0 0 ? * *", "'?' is Quartz syntax, not Unix cron: write '*' for day-of-month"),
    ("0 0 * * ?", "'?' is Quartz syntax, not Unix cron: write '*' for day-of-week"),
    ("0 0 * * L", "day-of-week 'L' alone is not Unix cron: write '6' for Saturday"),
    ("0 0 * * L5", "'#' and 'L' take one weekday and must stand alone in the field"),
    ("0 0 * * 1#6", "the number after '#' must be 1-5"),
    ("0 0 * * 1#0", "the number after '#' must be 1-5"),
    ("0 0 * * 8#2", "day-of-week value '8' is out of range"),
    ("0 0 * * 1#2,3", "must stand alone in the field"),
    ("0 0 * * 1-5L", "must stand alone in the field"),
    ("0 0 L,15 * *", "'L', 'L-n', 'LW' and 'nW' (e.g. '15W') must stand alone in the field"),
    ("0 0 W * *", "must stand alone in the field"),
    ("0 0 1-5W * *", "must stand alone in the field"),
    ("0 0 32W * *", "the day before 'W' must be 1-31"),
    ("0 0 L-31 * *", "the offset from the last day must be 0-30"),
    ("0 0 5C * *", "day-of-month value '5C' is not a number"),
    # schedules that never fire
    (
        "0 0 30 2 *",
        "day-of-month '30' never occurs in February, so the task would never run: choose days"
        " that exist in the selected months",
    ),
    ("0 0 31 4,6,9,11 *", "never occurs in April, June, September, November"),
    ("0 0 30,31 FEB *", "never occurs in February"),
    ("0 0 L-29 2 *", "day-of-month 'L-29' never occurs in February"),
]


@pytest.mark.parametrize(("expr", "message"), ERRORS)
def test_to_portal_errors(expr: str, message: str) -> None:
    with pytest.raises(ScheduleError) as info:
        to_portal(expr)
    text = str(info.value)
    assert text.startswith("invalid schedule ")
    assert message in text
    assert len(text) < 400


@pytest.mark.parametrize("value", [None, 5, b"0 0 * * *", ["0", "0", "*", "*", "*"]])
def test_to_portal_rejects_non_strings_with_schedule_error(value: object) -> None:
    with pytest.raises(ScheduleError, match="must be a string"):
        to_portal(value)  # type: ignore[arg-type]


def test_schedule_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        to_portal("nonsense")


# --------------------------------------------------------------------------- to_unix

TO_UNIX = [
    (cf("0", "2", "?", "*", "2-6"), "0 2 * * 1-5"),
    (cf("0", "2", "?", "*", "MON-FRI"), "0 2 * * 1-5"),
    (cf("0", "2", "?", "*", "mon-fri"), "0 2 * * 1-5"),
    (cf("0", "2", "*", "*", "2,3,4,5,6"), "0 2 * * 1-5"),
    (cf("0", "0", "*", "*", "*"), "0 0 * * *"),
    (cf("0", "0", "?", "*", "?"), "0 0 * * *"),
    (cf("0", "0", "*", "*", "?"), "0 0 * * *"),
    (cf("0", "0", "?", "*", "*"), "0 0 * * *"),
    (cf("0", "0", "1-31", "*", "?"), "0 0 * * *"),
    (cf("0", "0", "?", "*", "1-7"), "0 0 * * *"),
    (cf("*/1", "*", "*", "*", "?"), "*/1 * * * *"),
    (cf("0/5", "*", "*", "*", "?"), "*/5 * * * *"),
    (cf("5/15", "*", "*", "*", "?"), "5-59/15 * * * *"),
    (cf("59/15", "*", "*", "*", "?"), "59 * * * *"),
    (cf("0", "1/6", "*", "*", "?"), "0 1-23/6 * * *"),
    (cf("0", "22-2", "*", "*", "?"), "0 0-2,22,23 * * *"),
    (cf("0", "22-2/2", "*", "*", "?"), "0 0,2,22 * * *"),
    (cf("0", "0", "1", "NOV-FEB", "?"), "0 0 1 1,2,11,12 *"),
    (cf("0", "0", "1", "JAN", "?"), "0 0 1 1 *"),
    (cf("0", "0", "1", "jan,Jul", "?"), "0 0 1 1,7 *"),
    (cf("0", "0", "?", "*", "1,7"), "0 0 * * 0,6"),
    (cf("0", "0", "?", "*", "SUN"), "0 0 * * 0"),
    (cf("0", "0", "?", "*", "FRI-MON"), "0 0 * * 0,1,5,6"),
    (cf("0", "0", "?", "*", "*/2"), "0 0 * * 0,2,4,6"),
    (cf("0", "0", "?", "*", "6#3"), "0 0 * * 5#3"),
    (cf("0", "0", "?", "*", "fri#3"), "0 0 * * 5#3"),
    (cf("0", "0", "?", "*", "1#1"), "0 0 * * 0#1"),
    (cf("0", "0", "?", "*", "6L"), "0 0 * * 5L"),
    (cf("0", "0", "?", "*", "FRIL"), "0 0 * * 5L"),
    (cf("0", "0", "?", "*", "L"), "0 0 * * 6"),
    (cf("0", "23", "L", "*", "?"), "0 23 L * *"),
    (cf("0", "23", "l", "*", "*"), "0 23 L * *"),
    (cf("0", "23", "L-0", "*", "?"), "0 23 L * *"),
    (cf("0", "23", "L-3", "*", "?"), "0 23 L-3 * *"),
    (cf("0", "23", "LW", "*", "?"), "0 23 LW * *"),
    (cf("0", "23", "L-3W", "*", "?"), "0 23 L-3W * *"),
    (cf("0", "9", "15W", "*", "?"), "0 9 15W * *"),
    (cf("0", "0", "1,15", "*", "?"), "0 0 1,15 * *"),
    (cf("0", "0", "3/7", "*", "?"), "0 0 3-31/7 * *"),
    (cf(" 0 ", "2\t", " ? ", " * ", " 2-6 "), "0 2 * * 1-5"),
    (cf("00", "02", "?", "*", "02-06"), "0 2 * * 1-5"),
]


@pytest.mark.parametrize(("portal", "unix"), TO_UNIX)
def test_to_unix(portal: CronFields, unix: str) -> None:
    assert to_unix(portal) == unix


@pytest.mark.parametrize(("portal", "unix"), TO_UNIX)
def test_to_unix_output_translates_back_to_the_same_schedule(portal: CronFields, unix: str) -> None:
    assert schedule_key(to_portal(unix)) == schedule_key(portal)


@pytest.mark.parametrize("expr", [e for e, _ in TRANSLATIONS])
def test_round_trip_through_unix(expr: str) -> None:
    portal = to_portal(expr)
    again = to_portal(to_unix(portal))
    assert schedule_key(again) == schedule_key(portal)
    # and translating the normalised form is a fixed point
    assert to_unix(again) == to_unix(portal)


TO_UNIX_ERRORS = [
    (cf("", "", "", "", ""), "minute is empty"),
    (cf("0", "0", "?", "*", ""), "day-of-week is empty"),
    (cf("?", "0", "*", "*", "?"), "'?' is only allowed in dayOfMonth and dayOfWeek"),
    (cf("0", "?", "*", "*", "?"), "'?' is only allowed in dayOfMonth and dayOfWeek"),
    (cf("0", "0", "15", "*", "2"), "dayOfMonth and dayOfWeek are both restricted"),
    (cf("0", "0", "L", "*", "6#3"), "are both restricted"),
    (cf("0", "0", "?", "*", "8"), "day-of-week value '8' is out of range: use 1-7 or SUN-SAT"),
    (cf("0", "0", "?", "*", "0"), "day-of-week value '0' is out of range: use 1-7"),
    (cf("0", "0", "5C", "*", "?"), "the Quartz 'C' (calendar) option is not supported"),
    (cf("0", "0", "?", "*", "2#1,3#1"), "must stand alone"),
    (cf("0", "0", "?", "*", "2#6"), "the number after '#' must be 1-5"),
    (cf("60", "0", "*", "*", "?"), "minute value '60' is out of range"),
    (cf("0", "0", "*", "*", "?x"), "day-of-week '?X' is not valid"),
    (cf("0 0", "0", "*", "*", "?"), "minute '0 0' is not valid"),
    (cf("0", "0", "*", "13", "?"), "month value '13' is out of range"),
    (cf("0", "0", "*", "FOO", "?"), "unknown month name 'FOO'"),
    (cf("*/0", "0", "*", "*", "?"), "minute step '/0' is out of range"),
    (cf("٣", "0", "*", "*", "?"), "minute contains characters that are not plain ASCII"),
    (cf("@daily", "", "", "", ""), "minute '@daily' is not valid"),
    (cf(None, "0", "*", "*", "?"), "minute is not a string"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("portal", "message"), TO_UNIX_ERRORS)
def test_to_unix_errors(portal: CronFields, message: str) -> None:
    with pytest.raises(ScheduleError) as info:
        to_unix(portal)
    text = str(info.value)
    assert text.startswith("invalid portal schedule (minute=")
    assert message in text


def test_to_unix_rejects_non_fields() -> None:
    with pytest.raises(ScheduleError, match="expected portal schedule fields"):
        to_unix("0 0 * * *")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- schedule_key

EQUIVALENT = [
    pytest.param(
        [
            cf("0", "0", "*", "*", "?"),
            cf("0", "0", "?", "*", "*"),
            cf("0", "0", "*", "*", "*"),
            cf("0", "0", "?", "*", "?"),
            cf("0", "0", "*/1", "*", "?"),
            cf("0", "0", "1/1", "*", "?"),
            cf("0", "0", "1-31", "*", "?"),
            cf("0", "0", "?", "*", "1-7"),
            cf("0", "0", "?", "*", "SUN-SAT"),
            cf("0", "0", "?", "*", "*/1"),
            cf("0", "0", "?", "*", "1,2,3,4,5,6,7"),
            to_portal("0 0 * * *"),
            to_portal("@daily"),
            to_portal("@midnight"),
            to_portal("0 0 * * 0-7"),
        ],
        id="unrestricted-day-fields",
    ),
    pytest.param(
        [
            cf("0", "2", "?", "*", "MON-FRI"),
            cf("0", "2", "?", "*", "mon-fri"),
            cf("0", "2", "?", "*", "2-6"),
            cf("0", "2", "?", "*", "2,3,4,5,6"),
            cf("0", "2", "?", "*", "6,5,4,3,2"),
            cf("0", "2", "?", "*", "2-6/1"),
            cf("0", "2", "?", "*", "MON,TUE,WED,THU,FRI"),
            cf("0", "2", "?", "*", "2-3,4-6"),
            cf("0", "2", "*", "*", "2-6"),
            cf("0", "2", "1-31", "*", "2-6"),
            to_portal("0 2 * * 1-5"),
            to_portal("0 2 * * MON-FRI"),
            to_portal("0 2 * * 1,2,3,4,5"),
        ],
        id="weekdays",
    ),
    pytest.param(
        [
            cf("0", "0", "1", "JAN", "?"),
            cf("0", "0", "1", "jan", "?"),
            cf("0", "0", "1", "1", "?"),
            cf("0", "0", "1", "1-1", "?"),
            cf("0", "0", "01", "01", "?"),
            to_portal("@yearly"),
            to_portal("0 0 1 jan *"),
        ],
        id="month-names",
    ),
    pytest.param(
        [
            cf("0/15", "*", "*", "*", "?"),
            cf("*/15", "*", "*", "*", "?"),
            cf("0,15,30,45", "*", "*", "*", "?"),
            cf("45,0,30,15", "*", "*", "*", "?"),
            cf("0-59/15", "*", "*", "*", "?"),
            cf("0-45/15", "*", "*", "*", "?"),
            to_portal("*/15 * * * *"),
            to_portal("0/15 * * * *"),
        ],
        id="minute-steps",
    ),
    pytest.param(
        [
            cf("*", "*", "*", "*", "?"),
            cf("0-59", "0-23", "*", "1-12", "?"),
            cf("*/1", "*/1", "*", "*/1", "?"),
            cf("0/1", "0/1", "?", "1/1", "*"),
            cf("0-59", "*", "*", "JAN-DEC", "?"),
            to_portal("* * * * *"),
        ],
        id="every-minute",
    ),
    pytest.param(
        [
            cf("0", "22-2", "*", "*", "?"),
            cf("0", "0-2,22-23", "*", "*", "?"),
            cf("0", "22,23,0,1,2", "*", "*", "?"),
        ],
        id="wrapping-range",
    ),
    pytest.param(
        [
            cf(" 0 ", " 2", "?", " * ", "2-6 "),
            cf("0", "2", "?", "*", "2-6"),
        ],
        id="whitespace",
    ),
    pytest.param(
        [
            cf("0", "23", "L", "*", "?"),
            cf("0", "23", "l", "*", "?"),
            cf("0", "23", "L-0", "*", "*"),
            to_portal("0 23 L * *"),
        ],
        id="last-day",
    ),
    pytest.param(
        [
            cf("0", "0", "LW", "*", "?"),
            cf("0", "0", "lw", "*", "?"),
            cf("0", "0", "L-0W", "*", "?"),
        ],
        id="last-weekday",
    ),
    pytest.param(
        [cf("0", "9", "15W", "*", "?"), cf("0", "9", "15w", "*", "?"), to_portal("0 9 15W * *")],
        id="nearest-weekday",
    ),
    pytest.param(
        [
            cf("0", "9", "?", "*", "6#3"),
            cf("0", "9", "?", "*", "FRI#3"),
            cf("0", "9", "*", "*", "fri#3"),
            to_portal("0 9 * * 5#3"),
            to_portal("0 9 * * FRI#3"),
        ],
        id="third-friday",
    ),
    pytest.param(
        [
            cf("0", "9", "?", "*", "6L"),
            cf("0", "9", "?", "*", "FRIL"),
            cf("0", "9", "?", "*", "fril"),
            to_portal("0 9 * * 5L"),
        ],
        id="last-friday",
    ),
    pytest.param(
        [
            cf("0", "9", "?", "*", "L"),
            cf("0", "9", "?", "*", "7"),
            cf("0", "9", "?", "*", "SAT"),
            to_portal("0 9 * * 6"),
        ],
        id="saturday",
    ),
    pytest.param(
        [
            cf("0", "0", "?", "*", "1"),
            cf("0", "0", "?", "*", "SUN"),
            to_portal("0 0 * * 0"),
            to_portal("0 0 * * 7"),
            to_portal("@weekly"),
        ],
        id="sunday",
    ),
]


@pytest.mark.parametrize("group", EQUIVALENT)
def test_schedule_key_equivalences(group: list[CronFields]) -> None:
    keys = {schedule_key(f) for f in group}
    assert len(keys) == 1, keys


DIFFERENT = [
    (cf("0", "2", "?", "*", "2-6"), cf("0", "2", "?", "*", "1-5")),
    (cf("0", "2", "?", "*", "2-6"), cf("0", "3", "?", "*", "2-6")),
    (cf("*/15", "*", "*", "*", "?"), cf("15/15", "*", "*", "*", "?")),
    (cf("*/15", "*", "*", "*", "?"), cf("*/20", "*", "*", "*", "?")),
    (cf("0", "0", "L", "*", "?"), cf("0", "0", "LW", "*", "?")),
    (cf("0", "0", "L", "*", "?"), cf("0", "0", "31", "*", "?")),
    (cf("0", "0", "L", "*", "?"), cf("0", "0", "L-1", "*", "?")),
    (cf("0", "0", "15W", "*", "?"), cf("0", "0", "15", "*", "?")),
    (cf("0", "0", "?", "*", "6#3"), cf("0", "0", "?", "*", "6L")),
    (cf("0", "0", "?", "*", "6#3"), cf("0", "0", "?", "*", "6")),
    (cf("0", "0", "?", "*", "6#3"), cf("0", "0", "?", "*", "6#4")),
    (cf("0", "0", "?", "*", "2"), cf("0", "0", "2", "*", "?")),
    (cf("0", "0", "15", "*", "2"), cf("0", "0", "15", "*", "?")),
    (cf("0", "0", "1", "*", "?"), cf("0", "0", "1", "1-11", "?")),
    (cf("0", "0", "*", "*", "?"), cf("0", "0", "1-30", "*", "?")),
]


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_schedule_key_differences(a: CronFields, b: CronFields) -> None:
    assert schedule_key(a) != schedule_key(b)


def test_schedule_key_shape() -> None:
    key = schedule_key(to_portal("*/20 9-10 * * 1-5"))
    assert key == (
        frozenset({0, 20, 40}),
        frozenset({9, 10}),
        "*",
        "*",
        frozenset({2, 3, 4, 5, 6}),
    )
    assert hash(key) == hash(schedule_key(cf("0,20,40", "9,10", "*", "*", "MON-FRI")))
    assert schedule_key(to_portal("0 0 L-3W * *"))[2] == "L-3W"
    assert schedule_key(to_portal("0 0 * * 5#3"))[4] == "6#3"


@pytest.mark.parametrize(("portal", "message"), TO_UNIX_ERRORS[:4] + TO_UNIX_ERRORS[6:])
def test_schedule_key_errors(portal: CronFields, message: str) -> None:
    with pytest.raises(ScheduleError, match="invalid portal schedule"):
        schedule_key(portal)


# --------------------------------------------------------------------------- next_runs

AFTER = datetime(2026, 1, 1, tzinfo=UTC)  # a Thursday

NEXT_RUNS = [
    (
        "0 2 * * 1-5",
        AFTER,
        4,
        ["2026-01-01T02:00", "2026-01-02T02:00", "2026-01-05T02:00", "2026-01-06T02:00"],
    ),
    ("@weekly", AFTER, 2, ["2026-01-04T00:00", "2026-01-11T00:00"]),
    (
        "*/20 9 * * *",
        AFTER,
        4,
        ["2026-01-01T09:00", "2026-01-01T09:20", "2026-01-01T09:40", "2026-01-02T09:00"],
    ),
    (
        "0 0 * * 5-7",
        AFTER,
        4,
        ["2026-01-02T00:00", "2026-01-03T00:00", "2026-01-04T00:00", "2026-01-09T00:00"],
    ),
    ("0 0 29 2 *", AFTER, 2, ["2028-02-29T00:00", "2032-02-29T00:00"]),
    # last day of the month (2024 is a leap year)
    (
        "0 23 L * *",
        datetime(2024, 1, 15, tzinfo=UTC),
        3,
        ["2024-01-31T23:00", "2024-02-29T23:00", "2024-03-31T23:00"],
    ),
    ("0 23 L * *", AFTER, 3, ["2026-01-31T23:00", "2026-02-28T23:00", "2026-03-31T23:00"]),
    # 15 Jan 2026 is a Thursday; 15 Feb and 15 Mar are Sundays -> Monday the 16th
    ("0 9 15W * *", AFTER, 3, ["2026-01-15T09:00", "2026-02-16T09:00", "2026-03-16T09:00"]),
    # 15 Nov 2025 is a Saturday -> Friday the 14th
    ("0 9 15W 11 *", datetime(2025, 1, 1, tzinfo=UTC), 1, ["2025-11-14T09:00"]),
    # 1 Nov 2025 is a Saturday -> Monday the 3rd (W never leaves the month)
    ("0 9 1W 11 *", datetime(2025, 1, 1, tzinfo=UTC), 1, ["2025-11-03T09:00"]),
    # 31 May 2026 is a Sunday and the last day -> Friday the 29th; 31W in April -> 30 April
    ("0 9 31W 4,5 *", AFTER, 2, ["2026-04-30T09:00", "2026-05-29T09:00"]),
    # last weekday: 31 Jan 2026 is a Saturday -> Friday the 30th
    ("0 9 LW * *", AFTER, 2, ["2026-01-30T09:00", "2026-02-27T09:00"]),
    ("0 9 L-3 * *", AFTER, 2, ["2026-01-28T09:00", "2026-02-25T09:00"]),
    # L-2W: 29 Mar 2026 is a Sunday -> Monday the 30th
    ("0 9 L-2W 3 *", AFTER, 1, ["2026-03-30T09:00"]),
    ("0 9 L-30 * *", AFTER, 3, ["2026-01-01T09:00", "2026-03-01T09:00", "2026-05-01T09:00"]),
    # the third Friday, the last Friday, the fifth Monday
    ("0 9 * * 5#3", AFTER, 3, ["2026-01-16T09:00", "2026-02-20T09:00", "2026-03-20T09:00"]),
    ("0 9 * * 5L", AFTER, 3, ["2026-01-30T09:00", "2026-02-27T09:00", "2026-03-27T09:00"]),
    ("0 9 * * 1#5", AFTER, 3, ["2026-03-30T09:00", "2026-06-29T09:00", "2026-08-31T09:00"]),
    # several times on a special day, starting in the middle of one
    (
        "*/30 8-9 L * *",
        datetime(2026, 1, 31, 8, 45, tzinfo=UTC),
        4,
        ["2026-01-31T09:00", "2026-01-31T09:30", "2026-02-28T08:00", "2026-02-28T08:30"],
    ),
]


@pytest.mark.parametrize(("expr", "after", "count", "expected"), NEXT_RUNS)
def test_next_runs(expr: str, after: datetime, count: int, expected: list[str]) -> None:
    assert iso(next_runs(to_portal(expr), after=after, count=count)) == expected


def test_next_runs_default_count_is_three() -> None:
    assert len(next_runs(to_portal("@hourly"), after=AFTER)) == 3


def test_next_runs_is_strictly_after() -> None:
    at_fire_time = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
    assert iso(next_runs(to_portal("0 2 * * *"), after=at_fire_time, count=1)) == [
        "2026-01-02T02:00"
    ]
    special = datetime(2026, 1, 31, 23, 0, tzinfo=UTC)
    assert iso(next_runs(to_portal("0 23 L * *"), after=special, count=1)) == ["2026-02-28T23:00"]


def test_next_runs_naive_after_is_utc() -> None:
    naive = datetime(2026, 1, 1)
    assert next_runs(to_portal("0 2 * * *"), after=naive) == next_runs(
        to_portal("0 2 * * *"), after=AFTER
    )


def test_next_runs_converts_aware_after_to_utc() -> None:
    from datetime import timedelta

    plus_two = timezone(timedelta(hours=2))
    after = datetime(2026, 1, 1, 3, 30, tzinfo=plus_two)  # 01:30 UTC
    assert iso(next_runs(to_portal("0 2 * * *"), after=after, count=1)) == ["2026-01-01T02:00"]


WINDOWS = [
    ("0 2 * * *", "2026-04-02T02:00", ["2026-03-31T02:00", "2026-04-01T02:00", "2026-04-02T02:00"]),
    ("0 2 L * *", "2026-05-31T02:00", ["2026-03-31T02:00", "2026-04-30T02:00", "2026-05-31T02:00"]),
]


@pytest.mark.parametrize(("expr", "end", "expected"), WINDOWS)
def test_next_runs_window(expr: str, end: str, expected: list[str]) -> None:
    f = to_portal(expr)
    start = ms("2026-03-31T02:00")
    # start and end are inclusive; fewer than `count` come back when the window closes
    assert iso(next_runs(f, after=AFTER, count=10, start_ms=start, end_ms=ms(end))) == expected
    assert iso(next_runs(f, after=AFTER, count=2, start_ms=start)) == expected[:2]
    # one millisecond less and the last one is out
    assert (
        iso(next_runs(f, after=AFTER, count=10, start_ms=start, end_ms=ms(end) - 1))
        == (expected[:-1])
    )
    # a start before `after` changes nothing
    assert next_runs(f, after=AFTER, start_ms=ms("2020-01-01T00:00")) == next_runs(f, after=AFTER)
    # a window that ended already gives nothing
    assert next_runs(f, after=AFTER, end_ms=ms("2025-12-31T00:00")) == []
    assert next_runs(f, after=AFTER, start_ms=start, end_ms=start - 1) == []


def test_next_runs_count_zero() -> None:
    assert next_runs(to_portal("* * * * *"), after=AFTER, count=0) == []


@pytest.mark.parametrize(
    "portal",
    [cf("0", "0", "30", "2", "?"), cf("0", "0", "L-30", "2", "?")],
)
def test_next_runs_of_a_schedule_that_never_fires(portal: CronFields) -> None:
    assert next_runs(portal, after=AFTER) == []


def test_next_runs_accepts_any_portal_spelling() -> None:
    expected = next_runs(to_portal("0 2 * * 1-5"), after=AFTER, count=10)
    for spelling in cast(Sequence[CronFields], EQUIVALENT[1].values[0]):
        assert next_runs(spelling, after=AFTER, count=10) == expected


def test_next_runs_rejects_both_day_fields_restricted() -> None:
    with pytest.raises(ScheduleError, match="both restricted"):
        next_runs(cf("0", "0", "15", "*", "2"), after=AFTER)


def test_next_runs_rejects_garbage() -> None:
    with pytest.raises(ScheduleError, match="invalid portal schedule"):
        next_runs(cf("x", "0", "*", "*", "?"), after=AFTER)


@pytest.mark.parametrize("expr", ["0 0 * * *", "0 0 L * *", "0 0 * * 5#3"])
def test_next_runs_near_the_end_of_time(expr: str) -> None:
    end_of_time = datetime(9999, 12, 30, tzinfo=UTC)
    runs = next_runs(to_portal(expr), after=end_of_time, count=5)
    assert all(r > ms("9999-12-30T00:00") for r in runs)
    assert next_runs(to_portal(expr), after=AFTER, start_ms=10**20) == []
