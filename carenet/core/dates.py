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


def latest_birth_date_of_age(age: int, day: dt.date) -> dt.date:
    """The latest birth date of someone who is at least ``age`` years old on ``day`` (art. 112 k.c., as
    :func:`age_on`): ``age_on(b, day) >= age`` exactly when ``b <= latest_birth_date_of_age(age, day)``.

    Lets a query select minors by birth date (``birth_date__gt``) with the same answer as :func:`age_on`."""
    year = day.year - age
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return dt.date(year, 2, 28)
    if day.month == 2 and day.day == 28 and not calendar.isleap(day.year) and calendar.isleap(year):
        # Born on 29 February of a leap year: the birthday falls on 28 February of this common year.
        return dt.date(year, 2, 29)
    return day.replace(year=year)
