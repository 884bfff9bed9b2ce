"""Calendar arithmetic shared by every domain: ages and anniversaries. Pure Python."""

from __future__ import annotations

import calendar
import datetime as dt


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """The patient's age in whole years on ``day`` (PKG-4: the age on the visit date decides).

    Polish law (art. 112 k.c.) counts age from the start of the birthday; someone born on 29 February has their
    birthday on 28 February in a common year.
    """
    if day < birth_date:
        raise ValueError("the day precedes the birth date")
    years = day.year - birth_date.year
    if day < anniversary(birth_date, day.year, leap_day_moves_to=(2, 28)):
        years -= 1
    return years


def anniversary(origin: dt.date, year: int, *, leap_day_moves_to: tuple[int, int]) -> dt.date:
    """The date in ``year`` that repeats ``origin``; a 29 February moves to ``leap_day_moves_to`` in common years."""
    if origin.month == 2 and origin.day == 29 and not calendar.isleap(year):
        month, day = leap_day_moves_to
        return dt.date(year, month, day)
    return origin.replace(year=year)
