"""The rules of the coordinators' dashboard (BEY-4), pure: the period a figure covers and how a rate is read.

A period is whole days of the network's calendar (Europe/Warsaw), both ends included; the presets are the last 7, 30
or 90 days up to today. Chosen dates may reach back :data:`MAX_YEARS_BACK` years and ahead :data:`MAX_DAYS_AHEAD`
days (utilisation of the weeks ahead is a figure too), and span at most :data:`MAX_SPAN_DAYS` days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")
PRESET_DAYS = (7, 30, 90)
DEFAULT_DAYS = 30
MAX_SPAN_DAYS = 366
MAX_YEARS_BACK = 5
MAX_DAYS_AHEAD = 180


@dataclass(frozen=True)
class Period:
    """Whole Warsaw days from ``first_day`` to ``last_day``, both included."""

    first_day: dt.date
    last_day: dt.date

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The instants ``[start, end)``: Warsaw midnight of the first day and of the day after the last one."""
        start = dt.datetime.combine(self.first_day, dt.time(0), tzinfo=WARSAW)
        end = dt.datetime.combine(self.last_day + dt.timedelta(days=1), dt.time(0), tzinfo=WARSAW)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def preset_period(days: int, *, today: dt.date) -> Period:
    """The last ``days`` days up to and including ``today``."""
    return Period(first_day=today - dt.timedelta(days=days - 1), last_day=today)


def period_problem(first_day: dt.date, last_day: dt.date, *, today: dt.date) -> str | None:
    """Why a chosen period cannot be shown (a stable code), or ``None``: ``order`` (ends before it starts),
    ``too_long`` (more than :data:`MAX_SPAN_DAYS` days), ``out_of_range`` (too far back or ahead)."""
    if last_day < first_day:
        return "order"
    earliest = today.replace(year=today.year - MAX_YEARS_BACK) if (today.month, today.day) != (2, 29) else today
    if first_day < earliest - dt.timedelta(days=1) or last_day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        return "out_of_range"
    if (last_day - first_day).days + 1 > MAX_SPAN_DAYS:
        return "too_long"
    return None


def rate(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in per cent (one decimal), or ``None`` when there is nothing to divide by."""
    if whole <= 0:
        return None
    return round(100.0 * part / whole, 1)


def days_between(earlier: dt.datetime, later: dt.datetime) -> float:
    """Days (one decimal) from ``earlier`` to ``later``; never negative."""
    return max(0.0, round((later - earlier).total_seconds() / 86400, 1))
