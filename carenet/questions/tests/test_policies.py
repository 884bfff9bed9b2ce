"""The rules of Ask the doctor (CLN-4), without a database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from carenet.questions import policies
from carenet.questions.policies import QuestionRefusal
from carenet.scheduling.policies import polish_public_holidays

WARSAW = ZoneInfo("Europe/Warsaw")


def warsaw(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WARSAW)


ENDED = warsaw(2026, 3, 2, 10, 15)


@pytest.mark.parametrize("status", ["booked", "checked_in", "cancelled", "no_show", "refused_late", "held"])
def test_only_a_completed_visit_may_be_asked_about(status: str) -> None:
    now = ENDED + dt.timedelta(days=1)
    assert (
        policies.ask_refusal(visit_status=status, visit_ended_at=ENDED, now=now) is QuestionRefusal.VISIT_NOT_COMPLETED
    )
    assert policies.ask_refusal(visit_status="completed", visit_ended_at=ENDED, now=now) is None


def test_the_window_closes_thirty_days_after_the_visit() -> None:
    last = ENDED + dt.timedelta(days=policies.ASK_WINDOW_DAYS)
    assert policies.ask_until(ENDED) == last
    assert policies.ask_refusal(visit_status="completed", visit_ended_at=ENDED, now=last) is None
    late = last + dt.timedelta(seconds=1)
    assert (
        policies.ask_refusal(visit_status="completed", visit_ended_at=ENDED, now=late) is QuestionRefusal.WINDOW_CLOSED
    )


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("", QuestionRefusal.TEXT_EMPTY),
        ("  \n\t ", QuestionRefusal.TEXT_EMPTY),
        ("x" * (policies.QUESTION_MAX_CHARS + 1), QuestionRefusal.TEXT_TOO_LONG),
        ("Czy mogę\x00 pić kawę?", QuestionRefusal.TEXT_INVALID),
        ("Czy\x1b mogę?", QuestionRefusal.TEXT_INVALID),
        ("Czy mogę pić kawę? ☕", None),
        ("Dzień dobry,\r\nczy wynik jest w normie?", None),
        ("x" * policies.QUESTION_MAX_CHARS, None),
    ],
)
def test_the_text(text: str, refusal: QuestionRefusal | None) -> None:
    assert policies.text_refusal(text) is refusal


def due(asked: dt.datetime, days: int = 2) -> dt.datetime:
    holidays = polish_public_holidays(asked.date(), asked.date() + dt.timedelta(days=30))
    return policies.due_at(asked_at=asked, working_days=days, holidays=holidays, tz=WARSAW).astimezone(WARSAW)


def test_two_working_days_skip_the_weekend() -> None:
    assert due(warsaw(2026, 3, 4, 9, 30)) == warsaw(2026, 3, 6, 9, 30)  # Wednesday → Friday
    assert due(warsaw(2026, 3, 6, 15, 0)) == warsaw(2026, 3, 10, 15, 0)  # Friday → Tuesday
    assert due(warsaw(2026, 3, 7, 10, 0)) == warsaw(2026, 3, 10, 10, 0)  # Saturday → Tuesday
    assert due(warsaw(2026, 3, 8, 23, 59)) == warsaw(2026, 3, 10, 23, 59)  # Sunday → Tuesday


def test_polish_public_holidays_are_skipped() -> None:
    # 11 November 2026 (Independence Day) is a Wednesday: Tuesday + 2 working days is Friday.
    assert due(warsaw(2026, 11, 10, 12, 0)) == warsaw(2026, 11, 13, 12, 0)
    # Easter Monday 2026 is 6 April: Friday 3 April + 2 working days is Wednesday 8 April.
    assert due(warsaw(2026, 4, 3, 8, 0)) == warsaw(2026, 4, 8, 8, 0)


def test_the_service_time_is_a_setting_of_working_days() -> None:
    assert due(warsaw(2026, 3, 2, 8, 0), days=5) == warsaw(2026, 3, 9, 8, 0)
    assert due(warsaw(2026, 3, 2, 8, 0), days=0) == warsaw(2026, 3, 2, 8, 0)


def test_the_due_time_is_stored_in_utc_across_a_clock_change() -> None:
    # Friday 27 March 2026 10:00 CET; the clocks move on Sunday 29 March; due Tuesday 31 March 10:00 CEST.
    result = policies.due_at(asked_at=warsaw(2026, 3, 27, 10, 0), working_days=2, holidays=(), tz=WARSAW)
    assert result.tzinfo is dt.UTC
    assert result == dt.datetime(2026, 3, 31, 8, 0, tzinfo=dt.UTC)


def answers(clinician_id: int, *, specialties: set[int], facilities: set[int], routed: bool, facility: int | None = 1):
    return policies.may_answer(
        clinician_id=clinician_id,
        clinician_specialty_ids=specialties,
        clinician_facility_ids=facilities,
        visit_clinician_id=10,
        specialty_id=7,
        facility_id=facility,
        routed=routed,
    )


def test_the_visits_clinician_answers_always_the_specialty_at_the_facility_only_once_routed() -> None:
    assert answers(10, specialties=set(), facilities=set(), routed=False)
    assert not answers(11, specialties={7}, facilities={1}, routed=False)
    assert answers(11, specialties={7}, facilities={1}, routed=True)
    assert not answers(11, specialties={8}, facilities={1}, routed=True)  # another specialty
    assert not answers(11, specialties={7}, facilities={2}, routed=True)  # another facility
    assert answers(11, specialties={7}, facilities={2}, routed=True, facility=None)  # a teleconsultation


def test_overdue() -> None:
    now = warsaw(2026, 3, 4, 12, 0)
    assert policies.is_overdue(status_open=True, due=now - dt.timedelta(minutes=1), now=now)
    assert not policies.is_overdue(status_open=True, due=now, now=now)
    assert not policies.is_overdue(status_open=False, due=now - dt.timedelta(days=1), now=now)
