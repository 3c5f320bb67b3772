"""Property tests for the schedule translation.

The exactness check compares croniter's reading of the user's Unix expression with
:func:`next_runs` on the translated portal fields: equal fire times mean the translation lost or
changed nothing. Generated expressions stay inside what both croniter and standard Unix cron
agree on (croniter reads ``5-5`` as the whole field, so ranges here always run strictly upward).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timezone

from croniter import CroniterBadDateError, croniter
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from taskform.errors import ScheduleError
from taskform.model import CronFields
from taskform.schedule.translate import next_runs, schedule_key, to_portal, to_unix

UTC = timezone.utc
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
MAX_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True)
class Part:
    """One generated field: the user's Unix spelling, croniter's spelling, the values chosen."""

    unix: str
    cron: str
    values: frozenset[int]


@dataclass(frozen=True)
class Kind:
    lo: int
    hi: int  # highest value that may be written
    star_hi: int  # highest value of '*' and 'a/n'
    step_max: int
    names: tuple[str, ...] = ()
    name_base: int = 0


MINUTE = Kind(0, 59, 59, 59)
HOUR = Kind(0, 23, 23, 23)
DOM = Kind(1, 31, 31, 31)
MONTH = Kind(1, 12, 12, 12, MONTHS, 1)
DOW = Kind(0, 7, 6, 7, DAYS, 0)


def spell(draw: st.DrawFn, kind: Kind, value: int) -> str:
    """A value as a number (sometimes zero-padded) or, where there is one, a name in any case."""
    index = value - kind.name_base
    if kind.names and 0 <= index < len(kind.names) and draw(st.booleans()):
        name = kind.names[index]
        return draw(st.sampled_from([name, name.lower(), name.capitalize()]))
    return draw(st.sampled_from([str(value), f"{value:02d}"]))


@st.composite
def numeric_item(draw: st.DrawFn, kind: Kind) -> tuple[str, set[int]]:
    shape = draw(st.sampled_from(["star", "star-step", "value", "range", "range-step", "start"]))
    step = draw(st.integers(1, kind.step_max))
    if shape == "star":
        return "*", set(range(kind.lo, kind.star_hi + 1))
    if shape == "star-step":
        return f"*/{step}", set(range(kind.lo, kind.star_hi + 1, step))
    if shape == "value":
        value = draw(st.integers(kind.lo, kind.hi))
        return spell(draw, kind, value), {value}
    if shape == "start":
        start = draw(st.integers(kind.lo, kind.star_hi))
        return f"{spell(draw, kind, start)}/{step}", set(range(start, kind.star_hi + 1, step))
    start = draw(st.integers(kind.lo, kind.hi - 1))
    end = draw(st.integers(start + 1, kind.hi))
    text = f"{spell(draw, kind, start)}-{spell(draw, kind, end)}"
    if shape == "range":
        return text, set(range(start, end + 1))
    return f"{text}/{step}", set(range(start, end + 1, step))


@st.composite
def numeric(draw: st.DrawFn, kind: Kind) -> Part:
    items = draw(st.lists(numeric_item(kind), min_size=1, max_size=3))
    text = ",".join(t for t, _ in items)
    values: set[int] = set().union(*(v for _, v in items))
    if kind is DOW:
        values = {v % 7 for v in values}
    return Part(text, text, frozenset(values))


@st.composite
def dom_special(draw: st.DrawFn, *, croniter_only: bool) -> Part:
    choices = ["L", "W"] if croniter_only else ["L", "W", "L-n", "LW", "L-nW"]
    shape = draw(st.sampled_from(choices))
    lower = draw(st.booleans())
    if shape == "W":
        text = f"{draw(st.integers(1, 31))}W"
    elif shape == "L-n":
        text = f"L-{draw(st.integers(0, 27))}"
    elif shape == "L-nW":
        text = f"L-{draw(st.integers(0, 27))}W"
    else:
        text = shape
    text = text.lower() if lower else text
    return Part(text, text, frozenset())


@st.composite
def dow_special(draw: st.DrawFn) -> Part:
    day = draw(st.integers(0, 7))
    spelled = spell(draw, DOW, day)
    if draw(st.booleans()):
        nth = draw(st.integers(1, 5))
        return Part(f"{spelled}#{nth}", f"{spelled}#{nth}", frozenset())
    last = draw(st.sampled_from(["L", "l"]))
    return Part(f"{spelled}{last}", f"L{day}", frozenset())  # croniter spells it 'L5'


@dataclass(frozen=True)
class Expr:
    unix: str
    cron: str


@st.composite
def unix_expr(draw: st.DrawFn, *, croniter_only: bool = True) -> Expr:
    minute = draw(numeric(MINUTE))
    hour = draw(numeric(HOUR))
    month = draw(numeric(MONTH))
    star = Part("*", "*", frozenset())
    mode = draw(st.sampled_from(["dom", "dom-special", "dow", "dow-special", "none"]))
    dom, dow = star, star
    if mode == "dom":
        dom = draw(numeric(DOM))
        fires = any(min(dom.values) <= MAX_DAYS[m - 1] for m in month.values)
        assume(fires)
    elif mode == "dom-special":
        dom = draw(dom_special(croniter_only=croniter_only))
    elif mode == "dow":
        dow = draw(numeric(DOW))
    elif mode == "dow-special":
        dow = draw(dow_special())
    parts = (minute, hour, dom, month, dow)
    gaps = draw(st.lists(st.sampled_from([" ", "  ", "\t", " \t "]), min_size=4, max_size=4))
    unix = parts[0].unix + "".join(g + p.unix for g, p in zip(gaps, parts[1:], strict=True))
    lead, trail = draw(st.sampled_from(["", " ", "\t"])), draw(st.sampled_from(["", " ", "\n"]))
    return Expr(lead + unix + trail, " ".join(p.cron for p in parts))


def croniter_runs(expr: str, after: datetime, count: int) -> list[int]:
    itr = croniter(expr, after)
    runs: list[int] = []
    try:
        for _ in range(count):
            moment = itr.get_next(datetime)
            runs.append(int(moment.timestamp()) * 1000)
    except CroniterBadDateError:
        pass
    return runs


AFTER = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2060, 12, 31), timezones=st.just(UTC)
)


# --------------------------------------------------------------------------- (a) any text


CRON_CHARS = "0123456789*/,-?#LWlwCMONFRIJANDEC@ \t"
cronish_text = st.text(alphabet=CRON_CHARS, max_size=40)


def check_accepted(expr: str) -> None:
    try:
        portal = to_portal(expr)
    except ScheduleError:
        return
    assert [portal.day_of_month, portal.day_of_week].count("?") == 1
    assert schedule_key(to_portal(to_unix(portal))) == schedule_key(portal)


@FAST
@given(st.text())
def test_to_portal_on_any_text_raises_only_schedule_error(expr: str) -> None:
    check_accepted(expr)


@FAST
@given(
    st.lists(
        st.one_of(cronish_text, st.sampled_from(["*", "?", "L", "5#3", "15W", "MON-FRI", "*/5"])),
        min_size=1,
        max_size=6,
    ).map(" ".join)
)
def test_to_portal_on_cron_like_text_raises_only_schedule_error(expr: str) -> None:
    check_accepted(expr)


# --------------------------------------------------------------------------- (b) exactness


@FAST
@given(unix_expr(croniter_only=False))
def test_round_trip_through_the_portal_keeps_the_schedule(expr: Expr) -> None:
    portal = to_portal(expr.unix)
    assert [portal.day_of_month, portal.day_of_week].count("?") == 1
    unix = to_unix(portal)
    again = to_portal(unix)
    assert schedule_key(again) == schedule_key(portal)
    assert to_unix(again) == unix  # the normalised form is a fixed point


@FAST
@given(unix_expr(), AFTER)
def test_translation_fires_exactly_when_croniter_says(expr: Expr, after: datetime) -> None:
    portal = to_portal(expr.unix)
    expected = croniter_runs(expr.cron, after, 20)
    assert next_runs(portal, after=after, count=20) == expected
    # the portal fields read back from another client's spelling fire the same way
    assert next_runs(to_portal(to_unix(portal)), after=after, count=20) == expected


# --------------------------------------------------------------------------- (c) any fields

QUARTZ_TOKENS = st.sampled_from(
    ["*", "?", "L", "LW", "L-3", "15W", "6#3", "6L", "MON-FRI", "jan", "*/5", "0/15", "1-7"]
)
quartz_text = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="0123456789*/,-?#LWC", max_size=8),
    st.integers(0, 70).map(str),
    QUARTZ_TOKENS,
)


@FAST
@given(st.builds(CronFields, quartz_text, quartz_text, quartz_text, quartz_text, quartz_text))
def test_to_unix_on_any_fields_raises_only_schedule_error(fields: CronFields) -> None:
    try:
        key = schedule_key(fields)
    except ScheduleError:
        key = None
    try:
        unix = to_unix(fields)
    except ScheduleError:
        return
    assert key is not None
    try:
        assert schedule_key(to_portal(unix)) == key
    except ScheduleError as exc:  # the one thing the portal may hold that users may not write
        assert "never occurs" in str(exc)


@FAST
@given(
    st.builds(
        CronFields,
        st.sampled_from(["0", "*/30", "15,45"]),
        st.sampled_from(["0", "9-17/4", "*"]),
        st.sampled_from(["?", "*", "L", "L-2", "LW", "1W", "31W", "1,15", "30", "L-30W"]),
        st.sampled_from(["*", "2", "FEB", "NOV-FEB", "*/5"]),
        st.sampled_from(["?", "*", "1-7"]),
    ),
    AFTER,
)
def test_next_runs_are_ordered_and_in_the_future(fields: CronFields, after: datetime) -> None:
    runs = next_runs(fields, after=after, count=5)
    after_ms = int(after.timestamp() * 1000)
    assert runs == sorted(set(runs))
    assert all(r > after_ms for r in runs)
    assert all(r % 60_000 == 0 for r in runs)
    for r in runs:
        moment = datetime.fromtimestamp(r / 1000, UTC)
        assert moment.day <= calendar.monthrange(moment.year, moment.month)[1]
