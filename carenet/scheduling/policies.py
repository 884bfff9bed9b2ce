"""Pure rules about schedules (SCH-1): their shape, when two of them collide, and the slots they produce.

No Django here: times are plain ``datetime`` values, the holiday calendar is passed in, and every function can be
tested in milliseconds. Wall-clock times are Europe/Warsaw; the slots come out as aware UTC instants, so a schedule
from 08:00 gives a 07:00 UTC slot in summer (CEST) and a 06:00 UTC slot in winter (CET).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

import holidays as holidays_lib

WARSAW = ZoneInfo("Europe/Warsaw")
UTC = dt.UTC
ISO_WEEKDAYS = "1234567"
MIN_SLOT_MINUTES = 5
MAX_SLOT_MINUTES = 240


class ScheduleProblem(StrEnum):
    """Why a schedule cannot be saved (SCH-1). The service maps each to a translated message."""

    PERIOD_REVERSED = "schedule_period_reversed"
    HOURS_REVERSED = "schedule_hours_reversed"
    WEEKDAYS_INVALID = "schedule_weekdays_invalid"
    SLOT_LENGTH = "schedule_slot_length"
    SLOT_LONGER_THAN_HOURS = "schedule_slot_longer_than_hours"


class InvalidSchedule(ValueError):
    def __init__(self, problem: ScheduleProblem):
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Recurrence:
    """SCH-1: a recurring working pattern: from ``valid_from`` to ``valid_until`` (both inclusive), on the ISO
    weekdays in ``weekdays`` ("12345" = Monday to Friday), from ``start_time`` to ``end_time`` on the Warsaw wall
    clock, cut into slots of ``slot_minutes``. Public holidays are skipped unless ``skip_holidays`` is off."""

    valid_from: dt.date
    valid_until: dt.date
    weekdays: str
    start_time: dt.time
    end_time: dt.time
    slot_minutes: int
    skip_holidays: bool = True

    @property
    def weekday_set(self) -> frozenset[int]:
        return parse_weekdays(self.weekdays)


def parse_weekdays(weekdays: str) -> frozenset[int]:
    """The ISO weekdays (1 = Monday … 7 = Sunday) of a string such as "135"; refuses anything else (SCH-1)."""
    if not weekdays or any(ch not in ISO_WEEKDAYS for ch in weekdays) or len(set(weekdays)) != len(weekdays):
        raise InvalidSchedule(ScheduleProblem.WEEKDAYS_INVALID)
    return frozenset(int(ch) for ch in weekdays)


def normalize_weekdays(weekdays: str) -> str:
    """The canonical form of a weekday string: sorted digits without spaces ("531 " -> "135")."""
    return "".join(str(day) for day in sorted(parse_weekdays(weekdays.replace(" ", ""))))


def validate_recurrence(rec: Recurrence) -> None:
    """SCH-1: a schedule runs forwards in dates and hours, on real weekdays, with a sane slot length that fits at
    least once into its working hours. Raises :class:`InvalidSchedule` naming the first problem."""
    if rec.valid_from > rec.valid_until:
        raise InvalidSchedule(ScheduleProblem.PERIOD_REVERSED)
    if rec.start_time >= rec.end_time:
        raise InvalidSchedule(ScheduleProblem.HOURS_REVERSED)
    parse_weekdays(rec.weekdays)
    if not MIN_SLOT_MINUTES <= rec.slot_minutes <= MAX_SLOT_MINUTES:
        raise InvalidSchedule(ScheduleProblem.SLOT_LENGTH)
    if _minutes(rec.end_time) - _minutes(rec.start_time) < rec.slot_minutes:
        raise InvalidSchedule(ScheduleProblem.SLOT_LONGER_THAN_HOURS)


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def polish_public_holidays(first: dt.date, last: dt.date) -> frozenset[dt.date]:
    """Polish public holidays (statutory days off) between two dates, inclusive, from the ``holidays`` package."""
    if first > last:
        return frozenset()
    calendar = holidays_lib.country_holidays("PL", years=range(first.year, last.year + 1))
    return frozenset(day for day in calendar if first <= day <= last)


def working_days(rec: Recurrence, *, holidays: Collection[dt.date] = frozenset()) -> Iterator[dt.date]:
    """The dates on which the schedule runs: its weekdays within its period, minus public holidays when the
    schedule skips them (SCH-1)."""
    weekdays = rec.weekday_set
    day = rec.valid_from
    one_day = dt.timedelta(days=1)
    while day <= rec.valid_until:
        if day.isoweekday() in weekdays and not (rec.skip_holidays and day in holidays):
            yield day
        day += one_day


def day_slots(
    day: dt.date, start_time: dt.time, end_time: dt.time, slot_minutes: int, *, tz: ZoneInfo = WARSAW
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The slots of one working day as UTC ``(start, end)`` pairs (SCH-1).

    The wall-clock start and end are placed on the Warsaw calendar (DST-correct), then cut in real elapsed time;
    a trailing partial slot is dropped. A wall-clock time in the spring-forward gap resolves as ``zoneinfo`` does
    (the pre-transition offset), which no daytime schedule ever meets.
    """
    first = dt.datetime.combine(day, start_time, tzinfo=tz).astimezone(UTC)
    last = dt.datetime.combine(day, end_time, tzinfo=tz).astimezone(UTC)
    step = dt.timedelta(minutes=slot_minutes)
    slots: list[tuple[dt.datetime, dt.datetime]] = []
    start = first
    while start + step <= last:
        slots.append((start, start + step))
        start += step
    return slots


def slot_intervals(
    rec: Recurrence, *, holidays: Collection[dt.date] = frozenset(), tz: ZoneInfo = WARSAW
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Every slot the schedule produces, in time order, as UTC ``(start, end)`` pairs (SCH-1).

    ``holidays`` is the set of public holidays to skip (see :func:`polish_public_holidays`); it is ignored when
    the schedule does not skip holidays.
    """
    validate_recurrence(rec)
    for day in working_days(rec, holidays=holidays):
        yield from day_slots(day, rec.start_time, rec.end_time, rec.slot_minutes, tz=tz)


def slot_count(rec: Recurrence, *, holidays: Collection[dt.date] = frozenset()) -> int:
    """How many slots the schedule produces, without building them (planning, the demo's sizing)."""
    validate_recurrence(rec)
    per_day = (_minutes(rec.end_time) - _minutes(rec.start_time)) // rec.slot_minutes
    return per_day * sum(1 for _ in working_days(rec, holidays=holidays))


def periods_overlap(a_from: dt.date, a_until: dt.date, b_from: dt.date, b_until: dt.date) -> bool:
    """Two inclusive date ranges share at least one day."""
    return a_from <= b_until and b_from <= a_until


def hours_overlap(a_start: dt.time, a_end: dt.time, b_start: dt.time, b_end: dt.time) -> bool:
    """Two half-open wall-clock ranges overlap: 08:00–12:00 and 12:00–16:00 do not."""
    return a_start < b_end and b_start < a_end


def schedules_overlap(a: Recurrence, b: Recurrence) -> bool:
    """SCH-1: two schedules collide when their periods overlap AND they share a weekday that actually falls in the
    common period AND their hours overlap. (A common weekday that never occurs in a short common period — a
    single Monday against a single Tuesday — is no collision.) Holidays are ignored: a schedule that only avoids
    another one on holidays still collides with it on every other week."""
    if not periods_overlap(a.valid_from, a.valid_until, b.valid_from, b.valid_until):
        return False
    if not hours_overlap(a.start_time, a.end_time, b.start_time, b.end_time):
        return False
    common = a.weekday_set & b.weekday_set
    if not common:
        return False
    first, last = max(a.valid_from, b.valid_from), min(a.valid_until, b.valid_until)
    if (last - first).days >= 6:
        return True
    day = first
    while day <= last:
        if day.isoweekday() in common:
            return True
        day += dt.timedelta(days=1)
    return False


def weekdays_label(weekdays: str) -> str:
    """A short Polish label of the weekdays: "pn–pt" for "12345", "pn, śr, pt" for "135"."""
    names = ["pn", "wt", "śr", "cz", "pt", "sb", "nd"]
    days = sorted(parse_weekdays(weekdays))
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        return f"{names[days[0] - 1]}–{names[days[-1] - 1]}"
    return ", ".join(names[day - 1] for day in days)
