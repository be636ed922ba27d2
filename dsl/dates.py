"""What is wrong with a date someone wrote, for error messages: light enough to import
wherever a date is read (a request's ``at``, a fact, an option), without the parser."""

from __future__ import annotations

import calendar
import datetime as dt
import re


def date_hint(given: object) -> str:
    """For a value written as a date (or a time, ``YYYY-MM-DDTHH:MM``) whose day does not
    exist, `` (February 2026 has 28 days; …)``; else ``""``: the suffix an error message
    about a bad date adds."""
    if not isinstance(given, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}(T.*)?", given):
        return ""
    try:
        dt.date.fromisoformat(given[:10])
    except ValueError:
        return f" ({date_problem(given[:10])})"
    return ""


def date_problem(text: str) -> str:
    """What is wrong with a YYYY-MM-DD that is not a date."""
    year, month, day = (int(part) for part in text.split("-"))
    if not 1 <= month <= 12:
        return f"there is no month {month:02d}; months run from 01 to 12"
    if year == 0:
        return "there is no year 0000"
    if day == 0:
        return "there is no day 00; days run from 01"
    last = calendar.monthrange(year, month)[1]
    return f"{calendar.month_name[month]} {year} has {last} days; write YYYY-MM-DD with a real day"
