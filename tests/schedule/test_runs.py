"""The fast day-by-day enumeration agrees with croniter-based next_runs; words and rates."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from taskform.schedule.nextruns import next_runs
from taskform.schedule.runs import format_rate, runs_between, runs_per_week
from taskform.schedule.translate import to_portal
from taskform.schedule.words import describe

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)

EXPRESSIONS = [
    "0 5 * * 1-5",
    "*/15 * * * *",
    "30 1,13 * * 0,6",
    "0 23 L * *",
    "0 23 L-3 * *",
    "0 8 LW * *",
    "0 8 15W * *",
    "0 9 * * 5#3",
    "0 9 * * 5L",
    "0 0 1 1 *",
    "5,35 9-17 * * 1-5",
    "0 4 1,15,31 * *",
    "0 3 * 2 1",
    "0 0 29 2 *",
]


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_runs_between_matches_next_runs(expr: str) -> None:
    fields = to_portal(expr)
    end = NOW + timedelta(days=400)
    fast = runs_between(fields, NOW, end)
    slow = next_runs(fields, after=NOW - timedelta(milliseconds=1), count=len(fast) + 1)
    end_ms = int(end.timestamp() * 1000)
    assert fast == [ms for ms in slow if ms < end_ms]


@pytest.mark.parametrize(
    ("expr", "words", "rate"),
    [
        ("0 5 * * 1-5", "at 05:00 UTC, Monday to Friday", "5"),
        ("*/15 * * * *", "every 15 minutes, every day", "672"),
        ("30 1,13 * * 0,6", "at 01:30 and 13:30 UTC, on Saturday and Sunday", "4"),
        ("0 9 * * 5#3", "at 09:00 UTC, on the third Friday of the month", "0.23"),
        ("0 23 L * *", "at 23:00 UTC, on the last day of the month", "0.23"),
        ("0 6 * * 1,3,5", "at 06:00 UTC, on Monday, Wednesday and Friday", "3"),
        ("0 3 * 1-3 1", "at 03:00 UTC, on Monday, in January to March", "0.25"),
        ("0 0 1 1 *", "at 00:00 UTC, on day 1 of the month, in January", "0.02"),
    ],
)
def test_words_and_rate(expr: str, words: str, rate: str) -> None:
    fields = to_portal(expr)
    assert describe(fields) == words
    assert format_rate(runs_per_week(fields, NOW)) == rate
