"""The pure rules of online consultations (TEL-2, FBK-1, SCH-3): no database."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.consultations import policies
from carenet.consultations.policies import ConsultationCode, LineState, StartFacts
from carenet.core.dates import age_on

NOW = dt.datetime(2026, 3, 2, 7, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("birth", "adult_line", "child_line"),
    [
        (dt.date(2008, 3, 2), True, False),  # 18 today: internal medicine, no longer paediatrics
        (dt.date(2008, 3, 3), False, True),  # 18 tomorrow: still paediatrics
        (dt.date(2008, 3, 1), True, False),
        (dt.date(2008, 2, 29), True, False),  # born on a leap day: 18 since 28 Feb 2026
    ],
)
def test_age_bounds_turn_at_the_eighteenth_birthday(birth: dt.date, adult_line: bool, child_line: bool) -> None:
    age = age_on(birth, dt.date(2026, 3, 2))
    assert policies.age_fits(age=age, min_age=18, below_age=None) is adult_line
    assert policies.age_fits(age=age, min_age=None, below_age=18) is child_line
    assert policies.age_fits(age=age, min_age=None, below_age=None)  # midwifery: no bound


def test_estimated_wait_is_position_times_length_over_clinicians_rounded_up() -> None:
    assert policies.estimated_wait(position=1, typical=12, on_duty=1) == 12
    assert policies.estimated_wait(position=3, typical=12, on_duty=2) == 18
    assert policies.estimated_wait(position=1, typical=10, on_duty=3) == 4  # 3.33 → 4
    assert policies.estimated_wait(position=2, typical=7.5, on_duty=1) == 15
    assert policies.estimated_wait(position=5, typical=12, on_duty=0) is None


def test_typical_length_is_the_median_of_recent_history_once_there_is_enough() -> None:
    assert policies.typical_minutes([30, 30, 30, 30], default=12) == 12  # too little history
    assert policies.typical_minutes([5, 7, 9, 30, 40], default=12) == 9
    assert policies.typical_minutes([8] * 20 + [100] * 30, default=12) == 8  # only the latest 20 count


def _facts(**fields: object) -> StartFacts:
    base: dict[str, object] = {
        "level_allowed": True,
        "age": 30,
        "min_age": 18,
        "below_age": None,
        "on_duty": 1,
        "waiting": 0,
        "typical": 12,
        "max_wait": 45,
    }
    return StartFacts(**{**base, **fields})  # type: ignore[arg-type]


def test_start_refusals_in_order() -> None:
    assert policies.start_refusal(_facts()) is None
    assert policies.start_refusal(_facts(level_allowed=False, age=10)) is ConsultationCode.LEVEL_TWO_REQUIRED
    assert policies.start_refusal(_facts(age=17, on_duty=0)) is ConsultationCode.LINE_NOT_FOR_AGE
    assert policies.start_refusal(_facts(on_duty=0)) is ConsultationCode.NOBODY_ON_DUTY
    assert policies.start_refusal(_facts(waiting=2)) is None  # 36 minutes
    assert policies.start_refusal(_facts(waiting=3)) is ConsultationCode.WAIT_TOO_LONG  # 48 minutes
    assert policies.start_refusal(_facts(waiting=3, on_duty=2)) is None  # 24 minutes


def test_line_state() -> None:
    assert policies.line_state(on_duty=0, wait_for_new=None, max_wait=45) is LineState.CLOSED
    assert policies.line_state(on_duty=1, wait_for_new=45, max_wait=45) is LineState.OPEN
    assert policies.line_state(on_duty=1, wait_for_new=46, max_wait=45) is LineState.BUSY


def test_positions_are_first_come_first_served() -> None:
    t = NOW
    keys = [(t + dt.timedelta(seconds=2), 1), (t, 7), (t, 3)]
    assert policies.positions(keys) == {3: 1, 7: 2, 1: 3}


def test_outcomes_make_the_visit_completed_or_a_no_show() -> None:
    for outcome in ("advice", "documents", "in_person", "urgent"):
        assert policies.visit_status_for(outcome) == "completed"
    assert policies.visit_status_for("no_contact") == "no_show"
    with pytest.raises(ValueError):
        policies.visit_status_for("cured")


def test_survey_window_is_seven_days_once_and_not_after_no_contact() -> None:
    ended = NOW
    kwargs = {"status": "ended", "outcome": "advice", "ended_at": ended, "answered": False}
    assert policies.survey_refusal(**kwargs, now=ended + dt.timedelta(days=7)) is None  # type: ignore[arg-type]
    assert (
        policies.survey_refusal(**kwargs, now=ended + dt.timedelta(days=7, seconds=1))  # type: ignore[arg-type]
        is ConsultationCode.SURVEY_CLOSED
    )
    assert (
        policies.survey_refusal(status="ended", outcome="advice", ended_at=ended, answered=True, now=ended)
        is ConsultationCode.SURVEY_ANSWERED
    )
    assert (
        policies.survey_refusal(status="ended", outcome="no_contact", ended_at=ended, answered=False, now=ended)
        is ConsultationCode.SURVEY_CLOSED
    )
    assert (
        policies.survey_refusal(status="in_progress", outcome="", ended_at=None, answered=False, now=ended)
        is ConsultationCode.SURVEY_CLOSED
    )


def test_room_opens_fifteen_minutes_before_and_closes_with_the_day() -> None:
    starts = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    day = dt.date(2026, 3, 2)

    def refusal(now: dt.datetime, *, mode: str = "video", status: str = "booked", today: dt.date = day) -> object:
        return policies.room_refusal(
            policies.RoomFacts(mode=mode, status=status, starts_at=starts, local_day=day, today=today, now=now)
        )

    assert refusal(starts - dt.timedelta(minutes=15)) is None
    assert refusal(starts - dt.timedelta(minutes=16)) is ConsultationCode.ROOM_NOT_OPEN_YET
    assert refusal(starts + dt.timedelta(hours=10)) is None
    assert refusal(starts + dt.timedelta(days=1), today=day + dt.timedelta(days=1)) is ConsultationCode.ROOM_CLOSED
    assert refusal(starts, mode="phone") is ConsultationCode.NOT_VIDEO
    assert refusal(starts, status="cancelled") is ConsultationCode.VISIT_NOT_ACTIVE
