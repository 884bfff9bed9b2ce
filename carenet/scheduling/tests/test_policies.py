"""SCH-1 rules in milliseconds: slot generation (DST, holidays, partial slots), overlaps, shapes."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.scheduling import policies
from carenet.scheduling.policies import InvalidSchedule, Recurrence, ScheduleProblem

D = dt.date
T = dt.time
UTC = dt.UTC


MONDAY = D(2026, 3, 2)
EIGHT, NINE = T(8), T(9)


def rec(
    valid_from: dt.date = MONDAY,
    valid_until: dt.date = MONDAY,
    weekdays: str = "12345",
    start: dt.time = EIGHT,
    end: dt.time = NINE,
    slot: int = 15,
    skip_holidays: bool = True,
) -> Recurrence:
    return Recurrence(valid_from, valid_until, weekdays, start, end, slot, skip_holidays)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# (name, recurrence, expected first start UTC, expected count)
GENERATION_CASES = [
    ("winter: 08:00 Warsaw is 07:00 UTC", rec(D(2026, 1, 12), D(2026, 1, 12)), utc(2026, 1, 12, 7), 4),
    ("summer: 08:00 Warsaw is 06:00 UTC", rec(D(2026, 7, 6), D(2026, 7, 6)), utc(2026, 7, 6, 6), 4),
    ("trailing partial slot dropped", rec(end=T(9, 10), slot=20), utc(2026, 3, 2, 7), 3),
    ("slot exactly fills the hours", rec(end=T(9, 0), slot=60), utc(2026, 3, 2, 7), 1),
    ("weekend days skipped", rec(D(2026, 3, 2), D(2026, 3, 8)), utc(2026, 3, 2, 7), 5 * 4),
    ("only the listed weekdays", rec(D(2026, 3, 2), D(2026, 3, 8), weekdays="135"), utc(2026, 3, 2, 7), 3 * 4),
    ("Sunday-only schedule", rec(D(2026, 3, 2), D(2026, 3, 8), weekdays="7"), utc(2026, 3, 8, 7), 4),
    # 11 November (Independence Day) 2026 is a Wednesday.
    ("holiday skipped", rec(D(2026, 11, 9), D(2026, 11, 13)), utc(2026, 11, 9, 7), 4 * 4),
    ("holiday kept when asked", rec(D(2026, 11, 11), D(2026, 11, 11), skip_holidays=False), utc(2026, 11, 11, 7), 4),
    ("a single holiday gives nothing", rec(D(2026, 11, 11), D(2026, 11, 11)), None, 0),
]


@pytest.mark.parametrize(
    ("name", "recurrence", "first", "count"), GENERATION_CASES, ids=[c[0] for c in GENERATION_CASES]
)
def test_slot_generation(name: str, recurrence: Recurrence, first: dt.datetime | None, count: int) -> None:
    holidays = policies.polish_public_holidays(recurrence.valid_from, recurrence.valid_until)
    slots = list(policies.slot_intervals(recurrence, holidays=holidays))
    assert len(slots) == count
    assert policies.slot_count(recurrence, holidays=holidays) == count
    if first is not None:
        assert slots[0][0] == first
    for start, end in slots:
        assert end - start == dt.timedelta(minutes=recurrence.slot_minutes)
        assert start.tzinfo is not None and start.utcoffset() == dt.timedelta(0)
    assert slots == sorted(slots)


# DST weeks: 2026 switches to summer time on Sunday 29 March and back on Sunday 25 October.
DST_CASES = [
    ("March: Friday before the switch is CET", D(2026, 3, 27), utc(2026, 3, 27, 7)),
    ("March: Monday after the switch is CEST", D(2026, 3, 30), utc(2026, 3, 30, 6)),
    ("October: Friday before the switch is CEST", D(2026, 10, 23), utc(2026, 10, 23, 6)),
    ("October: Monday after the switch is CET", D(2026, 10, 26), utc(2026, 10, 26, 7)),
]


@pytest.mark.parametrize(("name", "day", "first"), DST_CASES, ids=[c[0] for c in DST_CASES])
def test_dst_weeks_keep_the_wall_clock(name: str, day: dt.date, first: dt.datetime) -> None:
    week = rec(D(2026, 3, 23), D(2026, 4, 3)) if day.month == 3 else rec(D(2026, 10, 19), D(2026, 10, 30))
    slots = list(policies.slot_intervals(week, holidays=frozenset()))
    days_first = {s.astimezone(policies.WARSAW).date(): s for s, _ in reversed(slots)}
    assert days_first[day] == first
    assert days_first[day].astimezone(policies.WARSAW).time() == T(8)
    # Every working day of both weeks still has its 4 slots from 08:00 to 09:00 Warsaw time.
    assert len(slots) == 10 * 4


def test_sunday_schedule_across_the_spring_switch_keeps_its_hours() -> None:
    sunday = rec(D(2026, 3, 29), D(2026, 3, 29), weekdays="7", start=T(1, 0), end=T(5, 0), slot=60)
    slots = list(policies.slot_intervals(sunday))
    # 01:00 CET … 05:00 CEST is three real hours: the hour 02:00–03:00 does not exist that night.
    assert slots == [
        (utc(2026, 3, 29, 0), utc(2026, 3, 29, 1)),
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)),
        (utc(2026, 3, 29, 2), utc(2026, 3, 29, 3)),
    ]


def test_polish_holidays_include_the_statutory_days() -> None:
    days = policies.polish_public_holidays(D(2026, 1, 1), D(2026, 12, 31))
    assert {D(2026, 1, 1), D(2026, 1, 6), D(2026, 5, 1), D(2026, 5, 3), D(2026, 11, 11), D(2026, 12, 25)} <= days
    assert D(2026, 3, 2) not in days


# (name, a, b, overlap?)
OVERLAP_CASES = [
    ("same everything", rec(), rec(), True),
    ("adjacent hours do not overlap", rec(end=T(12)), rec(start=T(12), end=T(16)), False),
    ("hours overlap by a minute", rec(end=T(12, 1)), rec(start=T(12), end=T(16)), True),
    ("disjoint weekdays", rec(D(2026, 3, 2), D(2026, 3, 31), "135"), rec(D(2026, 3, 2), D(2026, 3, 31), "246"), False),
    ("common weekday", rec(D(2026, 3, 2), D(2026, 3, 31), "135"), rec(D(2026, 3, 2), D(2026, 3, 31), "56"), True),
    ("disjoint periods", rec(D(2026, 3, 2), D(2026, 3, 8)), rec(D(2026, 3, 9), D(2026, 3, 15)), False),
    ("periods touch on one day", rec(D(2026, 3, 2), D(2026, 3, 9)), rec(D(2026, 3, 9), D(2026, 3, 15)), True),
    (
        "common weekday never falls in the short common period",
        rec(D(2026, 3, 2), D(2026, 3, 2), "12"),  # Monday 2 March only
        rec(D(2026, 3, 2), D(2026, 3, 3), "2"),  # Tuesdays: 3 March is outside the first period
        False,
    ),
    ("weekend vs weekdays", rec(D(2026, 3, 1), D(2026, 6, 30), "67"), rec(D(2026, 3, 1), D(2026, 6, 30)), False),
]


@pytest.mark.parametrize(("name", "a", "b", "expected"), OVERLAP_CASES, ids=[c[0] for c in OVERLAP_CASES])
def test_schedules_overlap(name: str, a: Recurrence, b: Recurrence, expected: bool) -> None:
    assert policies.schedules_overlap(a, b) is expected
    assert policies.schedules_overlap(b, a) is expected


SHAPE_CASES = [
    ("reversed dates", rec(D(2026, 3, 9), D(2026, 3, 2)), ScheduleProblem.PERIOD_REVERSED),
    ("reversed hours", rec(start=T(12), end=T(8)), ScheduleProblem.HOURS_REVERSED),
    ("empty hours", rec(start=T(8), end=T(8)), ScheduleProblem.HOURS_REVERSED),
    ("weekday 8", rec(weekdays="128"), ScheduleProblem.WEEKDAYS_INVALID),
    ("weekday 0", rec(weekdays="0"), ScheduleProblem.WEEKDAYS_INVALID),
    ("letters", rec(weekdays="pn"), ScheduleProblem.WEEKDAYS_INVALID),
    ("repeated weekday", rec(weekdays="11"), ScheduleProblem.WEEKDAYS_INVALID),
    ("no weekdays", rec(weekdays=""), ScheduleProblem.WEEKDAYS_INVALID),
    ("slot too short", rec(slot=4), ScheduleProblem.SLOT_LENGTH),
    ("slot too long", rec(end=T(20), slot=241), ScheduleProblem.SLOT_LENGTH),
    ("slot longer than hours", rec(end=T(8, 30), slot=45), ScheduleProblem.SLOT_LONGER_THAN_HOURS),
]


@pytest.mark.parametrize(("name", "recurrence", "problem"), SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_invalid_shapes(name: str, recurrence: Recurrence, problem: ScheduleProblem) -> None:
    with pytest.raises(InvalidSchedule) as caught:
        policies.validate_recurrence(recurrence)
    assert caught.value.problem is problem


@pytest.mark.parametrize(
    ("raw", "normal", "label"),
    [("12345", "12345", "pn–pt"), ("531", "135", "pn, śr, pt"), ("67", "67", "sb, nd"), ("1 2 3", "123", "pn–śr")],
)
def test_weekdays_are_normalised(raw: str, normal: str, label: str) -> None:
    assert policies.normalize_weekdays(raw) == normal
    assert policies.weekdays_label(normal) == label
