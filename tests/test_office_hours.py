"""Office hours: worked examples around Swedish holidays, the laws the count obeys, a
day-by-day reference it must agree with, parse_datetime, and OfficeHours' validation."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone

import holidays
import pytest
from holidays.constants import DE_FACTO, PUBLIC
from hypothesis import assume, given
from hypothesis import strategies as st

from engine.office_hours import (
    DEFAULT,
    OfficeHours,
    deadline_after,
    office_hours_between,
    parse_datetime,
)

D = datetime

# ---------------------------------------------------------------------------- worked examples


@pytest.mark.parametrize("start, hours, due", [
    # a plain week: Friday 16:00, 24 hours of nine-hour days: 1 + 9 + 9 + 5
    (D(2026, 1, 16, 16), 24, D(2026, 1, 21, 13)),
    # asked on a Saturday: counting starts Monday at opening
    (D(2026, 3, 7, 12), 1, D(2026, 3, 9, 9)),
    (D(2026, 3, 8, 23, 59), 9, D(2026, 3, 9, 17)),
    # before opening, during, after closing
    (D(2026, 3, 9, 6), 1, D(2026, 3, 9, 9)),
    (D(2026, 3, 9, 10, 30), 2, D(2026, 3, 9, 12, 30)),
    (D(2026, 3, 9, 18), 1, D(2026, 3, 10, 9)),
    # a day used up exactly ends at closing, not at the next opening
    (D(2026, 3, 9, 8), 9, D(2026, 3, 9, 17)),
    (D(2026, 3, 9, 16), 1, D(2026, 3, 9, 17)),
    (D(2026, 3, 9, 16), 1.5, D(2026, 3, 10, 8, 30)),
    (D(2026, 3, 6, 16), 10, D(2026, 3, 9, 17)),
    (D(2026, 3, 6, 16), 19, D(2026, 3, 10, 17)),
    # Maundy Thursday evening: Good Friday (3 April) and Easter Monday (6 April) are closed
    (D(2026, 4, 2, 18), 1, D(2026, 4, 7, 9)),
    (D(2026, 4, 2, 16), 24, D(2026, 4, 9, 13)),
    (D(2026, 4, 2, 16), 10, D(2026, 4, 7, 17)),
    # Ascension Day, Thursday 14 May 2026
    (D(2026, 5, 13, 16), 2, D(2026, 5, 15, 9)),
    # Midsummer Eve, Friday 19 June 2026, is closed
    (D(2026, 6, 18, 16), 2, D(2026, 6, 22, 9)),
    # National Day: on a Friday in 2025; Whit Monday after it is a working day
    (D(2025, 6, 5, 16), 2, D(2025, 6, 9, 9)),
    # Christmas Eve, Christmas Day (Thursday, Friday; Boxing Day a Saturday)
    (D(2026, 12, 23, 16), 2, D(2026, 12, 28, 9)),
    # New Year's Eve and New Year's Day, into the next year; Epiphany on the Wednesday
    (D(2026, 12, 30, 16), 2, D(2027, 1, 4, 9)),
    (D(2026, 12, 30, 16), 20, D(2027, 1, 7, 9)),
])
def test_deadlines_around_weekends_and_holidays(start, hours, due):
    assert deadline_after(start, hours) == due
    assert office_hours_between(start, due) == pytest.approx(hours)


@pytest.mark.parametrize("start, end, hours", [
    (D(2026, 3, 7, 12), D(2026, 3, 9, 8), 0),           # a weekend
    (D(2026, 4, 2, 17), D(2026, 4, 7, 8), 0),           # Easter
    (D(2026, 4, 2, 8), D(2026, 4, 8, 8), 18),           # Maundy Thursday and Tuesday
    (D(2026, 3, 9, 6), D(2026, 3, 9, 10), 2),           # before opening
    (D(2026, 3, 9, 18), D(2026, 3, 10, 9), 1),          # after closing
    (D(2026, 3, 9, 9, 15), D(2026, 3, 9, 9, 45), 0.5),  # within one day
    (D(2026, 1, 1), D(2027, 1, 1), 251 * 9),            # 261 weekdays, 10 of them closed
    (D(2025, 12, 31, 12), D(2026, 1, 2, 9), 1),         # New Year's Eve and Day
])
def test_hours_between(start, end, hours):
    assert office_hours_between(start, end) == pytest.approx(hours)
    assert office_hours_between(end, start) == pytest.approx(-hours)


@pytest.mark.parametrize("day, open_", [
    (date(2026, 12, 24), False),  # Christmas Eve: de facto closed
    (date(2026, 6, 19), False),   # Midsummer Eve
    (date(2026, 12, 31), False),  # New Year's Eve
    (date(2026, 4, 3), False),    # Good Friday
    (date(2026, 4, 6), False),    # Easter Monday
    (date(2026, 5, 14), False),   # Ascension Day
    (date(2024, 6, 6), False),    # National Day on a Thursday
    (date(2026, 1, 6), False),    # Epiphany
    (date(2026, 4, 2), True),     # Maundy Thursday: a half day for banks, open here
    (date(2026, 4, 30), True),    # Walpurgis Night
    (date(2026, 12, 23), True),
    (date(2026, 5, 15), True),    # the Friday after Ascension Day
    (date(2026, 3, 7), False),    # a Saturday
])
def test_which_days_are_open(day, open_):
    assert DEFAULT.is_office_day(day) is open_


def test_sundays_come_from_weekdays_not_from_the_calendar():
    every_day = OfficeHours(weekdays=range(7))
    assert every_day.is_office_day(date(2026, 3, 8))      # an ordinary Sunday
    assert not every_day.is_office_day(date(2026, 4, 5))  # Easter Sunday
    assert office_hours_between(D(2026, 3, 7), D(2026, 3, 9), every_day) == 18


def test_other_hours_and_countries():
    short = OfficeHours(opens=time(9, 30), closes=time(12), weekdays={0, 2})
    assert deadline_after(D(2026, 3, 9, 11), 2, short) == D(2026, 3, 11, 10, 30)
    american = OfficeHours(country="US")
    assert not american.is_office_day(date(2025, 7, 4))
    assert not american.is_office_day(date(2026, 6, 19))  # Juneteenth
    assert american.is_office_day(date(2026, 12, 24))


def test_zero_hours_is_the_start_itself():
    for start in (D(2026, 3, 7, 12), D(2026, 3, 9, 18), D(2026, 3, 9, 10, 0, 0, 7)):
        assert deadline_after(start, 0) == start


@pytest.mark.parametrize("hours", [-1, -1e-9, math.nan, math.inf])
def test_deadline_refuses_hours_that_are_not_a_finite_count(hours):
    with pytest.raises(ValueError, match="finite number of hours"):
        deadline_after(D(2026, 3, 9), hours)


def test_aware_moments_are_refused():
    aware = D(2026, 3, 9, 10, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="naive local datetime"):
        office_hours_between(aware, D(2026, 3, 10))
    with pytest.raises(ValueError, match="naive local datetime"):
        deadline_after(aware, 1)


def test_a_deadline_past_the_calendar_overflows():
    with pytest.raises(OverflowError):
        deadline_after(D(9999, 12, 30, 8), 100)


def test_a_century_is_counted_and_walked_back_to_its_last_office_day():
    start, end = D(2000, 1, 1), D(2099, 12, 31)
    total = office_hours_between(start, end)
    assert office_hours_between(start, end) == total       # the cached calendar agrees
    assert deadline_after(start, total) == D(2099, 12, 30, 17)

# ------------------------------------------------------------------------------------ laws


moments = st.datetimes(min_value=D(2024, 1, 1), max_value=D(2031, 12, 31))
quarter_hours = st.sampled_from([0, 15, 30, 45])
on_the_clock = st.builds(lambda d, h, m: datetime.combine(d, time(h, m)),
                         st.dates(date(2024, 1, 1), date(2031, 12, 31)),
                         st.integers(0, 23), quarter_hours)
starts = st.one_of(moments, on_the_clock)
# any count of minutes, and whole office days (which end at a closing)
minutes = st.one_of(st.integers(0, 60 * 600), st.integers(0, 60).map(lambda days: days * 540))


@given(starts, minutes)
def test_the_deadline_is_exactly_that_many_hours_later(start, m):
    hours = m / 60
    due = deadline_after(start, hours)
    assert due >= start
    assert math.isclose(office_hours_between(start, due), hours, abs_tol=1e-9)


@given(starts, minutes.filter(bool))
def test_the_deadline_is_the_earliest_such_moment(start, m):
    due = deadline_after(start, m / 60)
    assert office_hours_between(start, due - timedelta(microseconds=1)) < m / 60


@given(starts, minutes, minutes)
def test_deadlines_compose(start, m1, m2):
    assert (deadline_after(deadline_after(start, m1 / 60), m2 / 60)
            == deadline_after(start, (m1 + m2) / 60))


@given(starts, starts, starts)
def test_hours_add_up_over_consecutive_spans(a, b, c):
    assert math.isclose(office_hours_between(a, b) + office_hours_between(b, c),
                        office_hours_between(a, c), abs_tol=1e-9)
    assert office_hours_between(b, a) == -office_hours_between(a, b)


@given(starts, starts, starts)
def test_hours_grow_with_the_end(start, a, b):
    a, b = min(a, b), max(a, b)
    assert office_hours_between(start, a) <= office_hours_between(start, b)


@given(starts, minutes, minutes)
def test_deadlines_grow_with_the_hours(start, m1, m2):
    m1, m2 = min(m1, m2), max(m1, m2)
    assert deadline_after(start, m1 / 60) <= deadline_after(start, m2 / 60)


CLOSED = holidays.country_holidays("SE", categories=(PUBLIC, DE_FACTO), years=range(2024, 2032))


def _reference_hours(start: datetime, end: datetime) -> float:
    """Day by day, with the calendar read straight from the holidays library."""
    total = timedelta()
    day = start.date()
    while day <= end.date():
        if day.weekday() < 5 and day not in CLOSED:
            opening = max(datetime.combine(day, time(8)), start)
            closing = min(datetime.combine(day, time(17)), end)
            total += max(closing - opening, timedelta())
        day += timedelta(days=1)
    return total / timedelta(hours=1)


@given(starts, starts)
def test_agrees_with_a_day_by_day_count(a, b):
    assume(a <= b)
    assert math.isclose(office_hours_between(a, b), _reference_hours(a, b), abs_tol=1e-9)

# ------------------------------------------------------------------------ parse_datetime


@pytest.mark.parametrize("text, moment", [
    ("2026-04-02T18:00", D(2026, 4, 2, 18)),
    ("2026-04-02T18:00:30", D(2026, 4, 2, 18, 0, 30)),
    ("2026-04-02 18:00", D(2026, 4, 2, 18)),
    ("2026-04-02 18:00:30", D(2026, 4, 2, 18, 0, 30)),
    ("2026-01-15T07:00Z", D(2026, 1, 15, 8)),              # winter time, UTC+1
    ("2026-07-02T18:00Z", D(2026, 7, 2, 20)),              # summer time, UTC+2
    ("2026-07-02T18:00:00+00:00", D(2026, 7, 2, 20)),
    ("2026-07-02T12:00-04:00", D(2026, 7, 2, 18)),
    ("2026-03-29T01:30Z", D(2026, 3, 29, 3, 30)),          # just after the switch
    ("2026-07-02T20:00+02:00", D(2026, 7, 2, 20)),
])
def test_parse_datetime_accepts(text, moment):
    parsed = parse_datetime(text)
    assert parsed == moment
    assert parsed.tzinfo is None


@pytest.mark.parametrize("text", [
    "2026-04-02",                  # a date, not a datetime
    "2026-W14-4T18:00",            # ISO week date
    "2026-092T18:00",              # ordinal date
    "2026-04-02T18",               # no minutes
    "2026-04-02T1800",
    "20260402T1800",
    "2026-04-02T18:00:00.5",       # fractions of a second
    "2026-02-30T10:00",            # no such day
    "2026-04-02T24:00",
    "2026-04-02T18:60",
    "2026-04-02T18:00+25:00",      # no such offset
    "2026-04-02T18:00+0100",
    "2026-04-02T18:00z",
    "2026-04-02t18:00",
    " 2026-04-02T18:00",
    "2026-04-02T18:00\n",
    "２０２６-04-02T18:00",          # digits other than ASCII
    "0001-01-01T00:30+01:00",      # before the calendar once converted
    "9999-12-31T23:30Z",           # after it
    "",
])
def test_parse_datetime_rejects_text(text):
    assert parse_datetime(text) is None


@pytest.mark.parametrize("value", [None, 20260402, 1.5, b"2026-04-02T18:00",
                                   D(2026, 4, 2, 18), ["2026-04-02T18:00"]])
def test_parse_datetime_rejects_what_is_not_text(value):
    assert parse_datetime(value) is None


@given(st.datetimes(min_value=D(1, 1, 2), max_value=D(9999, 12, 30)))
def test_parse_datetime_reads_back_what_isoformat_writes(moment):
    moment = moment.replace(microsecond=0)
    assert parse_datetime(moment.isoformat()) == moment
    assert parse_datetime(moment.isoformat(sep=" ", timespec="minutes")) == moment.replace(second=0)

# ------------------------------------------------------------------------------ validation


@pytest.mark.parametrize("kwargs, message", [
    ({"opens": time(17), "closes": time(8)}, r"opens \(17:00:00\) must be before closes"),
    ({"opens": time(8), "closes": time(8)}, "must be before closes"),
    ({"weekdays": frozenset()}, "weekdays is empty"),
    ({"weekdays": {0, 7}}, "got 7"),
    ({"weekdays": {-1, 2}}, "got -1"),
    ({"weekdays": {True}}, "got True"),
    ({"weekdays": "01"}, "got '0', '1'"),
    ({"country": "XX"}, "unknown country 'XX'"),
    ({"country": "se"}, "unknown country 'se'"),
    ({"country": None}, "unknown country None"),
    ({"opens": "08:00"}, "opens must be a time of day"),
    ({"closes": time(17, tzinfo=timezone.utc)}, "closes must be a time of day without a time zone"),
])
def test_office_hours_validates(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OfficeHours(**kwargs)


def test_the_default_is_eight_to_five_on_weekdays_in_sweden():
    assert DEFAULT == OfficeHours(time(8), time(17), frozenset({0, 1, 2, 3, 4}), "SE")
    assert DEFAULT.day_length == 9 * 3_600_000_000
