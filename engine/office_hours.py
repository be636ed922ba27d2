"""Time counted in office hours ("kontorstid"): what a deadline in office hours means.

The rule this serves is Perstorp's (guideline, section "Generella riktlinjer"): a question
put to the municipality is answered within 24 hours, and only office hours, Monday to
Friday, count. This module counts such hours between two moments
(`office_hours_between`) and finds the moment a number of them has passed
(`deadline_after`); `parse_datetime` reads the moments a request carries. Everything here
is a pure function of its arguments and of `OfficeHours`, a frozen value.

Which days are open:

- A day is an office day when its weekday is one of `OfficeHours.weekdays` and the
  `holidays` library does not list it as a closed day for `OfficeHours.country`.
- Closed days are the library's PUBLIC category (New Year's Day, Epiphany, Good Friday,
  Easter Monday, May Day, Ascension Day, National Day, Midsummer Day, All Saints' Day,
  Christmas Day, Boxing Day, ...) and, where the country has one, its DE_FACTO category.
  For Sweden that is Midsummer Eve, Christmas Eve and New Year's Eve: not public holidays
  in law, but the law on annual leave treats them as Sundays and municipal offices are
  closed on them, so they are closed days here too. The half days before other holidays
  (the library's BANK and OPTIONAL categories, such as Maundy Thursday afternoon) are not.
- Sundays come from `weekdays`, never from the calendar: some versions of the library list
  every Swedish Sunday as a holiday, so it is asked not to (`include_sundays=False`).
- The library knows a country's holidays for a range of years (Sweden: 1953 to 2100);
  outside it every weekday in `weekdays` is an office day.

Times are naive local wall-clock times (Swedish time for the default). The count is of
wall-clock time between opening and closing, which is real time as long as the office day
does not span the night-time switch to or from summer time.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

import attrs
import holidays

from engine.vocabulary import local_time, parse_datetime   # kept here for callers
from holidays.constants import DE_FACTO, PUBLIC

__all__ = ["DEFAULT", "OfficeHours", "deadline_after", "office_hours_between",
           "local_time", "parse_datetime"]

_MICROS_PER_HOUR = 3_600_000_000
_ONE_DAY = timedelta(days=1)


def _weekday_set(value: Iterable[int]) -> frozenset[int]:
    return frozenset(value)


@functools.cache
def _known_countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


def _micros(moment: time) -> int:
    """Microseconds since midnight."""
    return (((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1_000_000
            + moment.microsecond)


@attrs.frozen
class OfficeHours:
    """When an office is open: from `opens` to `closes` on each of `weekdays` (Monday is 0,
    Sunday 6) that is not a closed day of `country` (an ISO 3166-1 code the `holidays`
    library knows). The default is 08:00 to 17:00, Monday to Friday, in Sweden: nine
    hours a day.

    Raises ``ValueError`` when `opens` is not before `closes`, when `weekdays` is empty or
    holds anything but the numbers 0 to 6, or when the country is unknown.
    """

    opens: time = time(8, 0)
    closes: time = time(17, 0)
    weekdays: frozenset[int] = attrs.field(default=frozenset(range(5)), converter=_weekday_set)
    country: str = "SE"
    # Derived once (a count reads them several times): opening time and day length in µs.
    _opens_us: int = attrs.field(init=False, eq=False, repr=False)
    _day_length: int = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        for name in ("opens", "closes"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError(f"office hours: {name} must be a time of day without a time "
                                 f"zone, such as time(8, 0); got {value!r}")
        if self.opens >= self.closes:
            raise ValueError(f"office hours: opens ({self.opens.isoformat()}) must be before "
                             f"closes ({self.closes.isoformat()})")
        if not self.weekdays:
            raise ValueError("office hours: weekdays is empty; give at least one of 0 (Monday) "
                             "to 6 (Sunday)")
        wrong = sorted((repr(d) for d in self.weekdays
                        if type(d) is not int or not 0 <= d <= 6))
        if wrong:
            raise ValueError(f"office hours: weekdays are numbers from 0 (Monday) to 6 "
                             f"(Sunday); got {', '.join(wrong)}")
        if type(self.country) is not str or self.country not in _known_countries():
            raise ValueError(f"office hours: unknown country {self.country!r}; give an ISO "
                             f"3166-1 code that the holidays library knows, such as 'SE'")
        object.__setattr__(self, "_opens_us", _micros(self.opens))
        object.__setattr__(self, "_day_length", _micros(self.closes) - _micros(self.opens))

    @property
    def day_length(self) -> int:
        """The length of an office day in microseconds."""
        return self._day_length

    def is_office_day(self, day: date) -> bool:
        """Whether the office is open on ``day``."""
        return day.weekday() in self.weekdays and day not in _closed_days(self.country, day.year)


DEFAULT = OfficeHours()


@functools.cache
def _calendar(country: str) -> tuple[type[holidays.HolidayBase], dict[str, Any]]:
    """The holidays library's calendar class for ``country`` and the arguments that make it
    list the closed days: the categories named at the top, and no Sundays where it would
    otherwise list every one."""
    probe = holidays.country_holidays(country)
    options: dict[str, Any] = {
        "categories": tuple(c for c in (PUBLIC, DE_FACTO) if c in probe.supported_categories)}
    if hasattr(probe, "include_sundays"):
        options["include_sundays"] = False
    return type(probe), options


@functools.lru_cache(maxsize=4096)
def _closed_days(country: str, year: int) -> frozenset[date]:
    """The days of ``year`` that the holidays library lists as closed for ``country``."""
    kind, options = _calendar(country)
    return frozenset(day for day in kind(years=year, **options) if day.year == year)


def _weekday_count(first: date, end: date, weekdays: frozenset[int]) -> int:
    """How many days of [first, end) fall on one of ``weekdays``: whole weeks at once."""
    weeks, rest = divmod(end.toordinal() - first.toordinal(), 7)
    return weeks * len(weekdays) + _part_of_week(first.weekday(), rest, weekdays)


@functools.lru_cache(maxsize=512)
def _part_of_week(start: int, days: int, weekdays: frozenset[int]) -> int:
    """How many of ``days`` (< 7) days from weekday ``start`` on fall on ``weekdays``."""
    return sum((start + i) % 7 in weekdays for i in range(days))


@functools.lru_cache(maxsize=4096)
def _closed_weekdays(country: str, year: int, weekdays: frozenset[int]) -> tuple[int, ...]:
    """The closed days of ``year`` that fall on one of ``weekdays``, as sorted ordinals."""
    return tuple(sorted(day.toordinal() for day in _closed_days(country, year)
                        if day.weekday() in weekdays))


def _closed_count(first: date, end: date, hours: OfficeHours) -> int:
    """How many days of [first, end) fall on one of the weekdays but are closed."""
    low, high = first.toordinal(), end.toordinal()
    count = 0
    for year in range(first.year, end.year + 1):
        closed = _closed_weekdays(hours.country, year, hours.weekdays)
        count += bisect.bisect_left(closed, high) - bisect.bisect_left(closed, low)
    return count


def _office_days(first: date, end: date, hours: OfficeHours) -> int:
    """How many office days [first, end) holds."""
    return _weekday_count(first, end, hours.weekdays) - _closed_count(first, end, hours)


def _elapsed_today(moment: datetime, hours: OfficeHours) -> int:
    """Office microseconds on ``moment``'s day before ``moment`` (0 on a closed day)."""
    if not hours.is_office_day(moment.date()):
        return 0
    since_opening = ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1_000_000 \
        + moment.microsecond - hours._opens_us
    return min(max(since_opening, 0), hours._day_length)


def _nth_weekday_after(day: date, n: int, weekdays: frozenset[int]) -> date:
    """The ``n``-th day (n >= 1) after ``day`` that falls on one of ``weekdays``."""
    weeks, rest = divmod(n - 1, len(weekdays))
    current = day + timedelta(weeks=weeks)
    while True:
        current += _ONE_DAY
        if current.weekday() in weekdays:
            if rest == 0:
                return current
            rest -= 1


def _nth_office_day_after(day: date, n: int, hours: OfficeHours) -> date:
    """The ``n``-th office day (n >= 1) after ``day``: weekdays counted by whole weeks, then
    as many more as there were closed days among them, until none is closed."""
    while True:
        last = _nth_weekday_after(day, n, hours.weekdays)
        missed = _closed_count(day + _ONE_DAY, last + _ONE_DAY, hours)
        if missed == 0:
            return last
        day, n = last, missed


def _check_naive(**moments: datetime) -> None:
    for name, moment in moments.items():
        if not isinstance(moment, datetime) or moment.tzinfo is not None:
            raise ValueError(f"{name} must be a naive local datetime (parse_datetime gives "
                             f"one); got {moment!r}")


def office_hours_between(start: datetime, end: datetime,
                         hours: OfficeHours = DEFAULT) -> float:
    """The office hours (a float, in hours) from ``start`` to ``end``.

    Both are naive local datetimes. When ``end`` is before ``start`` the answer is the
    negative of ``office_hours_between(end, start)``, so that the count is antisymmetric
    and adds up over consecutive spans. Time outside office hours counts nothing. Spans of
    years are counted by whole weeks and the closed days among them, not day by day.

    Raises ``ValueError`` when a moment is not a naive datetime.
    """
    _check_naive(start=start, end=end)
    if end < start:
        return -office_hours_between(end, start, hours)
    micros = (_office_days(start.date(), end.date(), hours) * hours._day_length
              + _elapsed_today(end, hours) - _elapsed_today(start, hours))
    return micros / _MICROS_PER_HOUR


def deadline_after(start: datetime, office_hours: float,
                   hours: OfficeHours = DEFAULT) -> datetime:
    """The earliest moment by which ``office_hours`` office hours (a float, counted to the
    microsecond) have passed since ``start``, a naive local datetime.

    Zero hours gives ``start`` itself, even outside office hours. Otherwise counting starts
    at ``start`` or at the next opening, whichever is later, and a deadline that uses up a
    day exactly falls at that day's closing, not at the next opening: 24 hours from a
    Friday at 16:00, with nine-hour days and no holiday, run out on Wednesday at 13:00.

    Raises ``ValueError`` for a negative or non-finite number of hours or an aware
    ``start``, and ``OverflowError`` when the deadline falls after the year 9999.
    """
    _check_naive(start=start)
    if not math.isfinite(office_hours) or office_hours < 0:
        raise ValueError(f"office hours to count must be a finite number of hours, 0 or "
                         f"more; got {office_hours!r}")
    needed = round(office_hours * _MICROS_PER_HOUR)
    if needed == 0:
        return start
    day, length = start.date(), hours.day_length
    if hours.is_office_day(day):
        elapsed = _elapsed_today(start, hours)
        if needed <= length - elapsed:
            return datetime.combine(day, hours.opens) + timedelta(microseconds=elapsed + needed)
        needed -= length - elapsed
    whole_days, rest = divmod(needed, length)
    if rest == 0:
        whole_days, rest = whole_days - 1, length
    last = _nth_office_day_after(day, whole_days + 1, hours)
    return datetime.combine(last, hours.opens) + timedelta(microseconds=rest)
