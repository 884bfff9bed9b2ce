"""Pure arrival rules (CHK-1, CHK-3, CHK-4, CHK-5, BKG-5): no database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from carenet.arrival import policies as rules
from carenet.arrival.policies import ArrivalCode, QuestionFacts, VisitFacts

START = dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC)
END = START + dt.timedelta(minutes=15)
DAY = dt.date(2026, 3, 3)


def facts(minutes: float, status: str = "booked", in_person: bool = True) -> VisitFacts:
    return VisitFacts(
        status=status, starts_at=START, ends_at=END, now=START + dt.timedelta(minutes=minutes), in_person=in_person
    )


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (-16, ArrivalCode.WINDOW_NOT_OPEN),
        (-15, None),
        (-1, None),
        (0, None),
        (0.1, ArrivalCode.WINDOW_CLOSED),
        (5, ArrivalCode.WINDOW_CLOSED),
    ],
)
@pytest.mark.parametrize("channel", ["sms", "checkin_page"])
def test_self_check_in_window_is_15_minutes_before_until_the_start(
    minutes: float, expected: ArrivalCode | None, channel: str
) -> None:
    """CHK-3, CHK-4."""
    assert rules.check_in_refusal(facts(minutes), channel=channel, local_day_of=DAY, today=DAY) == expected


@pytest.mark.parametrize(
    ("minutes", "day", "expected"),
    [
        (-120, DAY, None),
        (12, DAY, None),
        (15, DAY, ArrivalCode.VISIT_ENDED),
        (-60 * 24, DAY - dt.timedelta(days=1), ArrivalCode.NOT_VISIT_DAY),
    ],
)
def test_reception_checks_in_on_the_visit_day_until_the_slot_ends(
    minutes: int, day: dt.date, expected: ArrivalCode | None
) -> None:
    """CHK-2."""
    assert rules.check_in_refusal(facts(minutes), channel="reception", local_day_of=DAY, today=day) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("checked_in", ArrivalCode.ALREADY_CHECKED_IN),
        ("cancelled", ArrivalCode.CANCELLED),
        ("no_show", ArrivalCode.NO_SHOW),
        ("refused_late", ArrivalCode.NOT_ACTIVE),
        ("held", ArrivalCode.NOT_ACTIVE),
    ],
)
def test_only_booked_visits_can_be_checked_in(status: str, expected: ArrivalCode) -> None:
    assert rules.check_in_refusal(facts(-5, status), channel="reception", local_day_of=DAY, today=DAY) == expected
    assert rules.check_in_refusal(facts(-5, status), channel="sms", local_day_of=DAY, today=DAY) == expected


def test_a_teleconsultation_is_not_checked_in() -> None:
    refusal = rules.check_in_refusal(facts(-5, in_person=False), channel="sms", local_day_of=DAY, today=DAY)
    assert refusal == ArrivalCode.NOT_AT_FACILITY


@pytest.mark.parametrize(("minutes", "expected"), [(0, ArrivalCode.NOT_LATE_YET), (9.9, ArrivalCode.NOT_LATE_YET)])
def test_refused_late_needs_10_minutes_late(minutes: float, expected: ArrivalCode) -> None:
    """CHK-1: under 10 minutes late the visit cannot be refused."""
    assert rules.refuse_late_refusal(facts(minutes)) == expected


@pytest.mark.parametrize("minutes", [10, 11, 30])
def test_refused_late_from_10_minutes(minutes: int) -> None:
    """CHK-1: 10 or more minutes late."""
    assert rules.refuse_late_refusal(facts(minutes)) is None
    assert rules.is_late(START, START + dt.timedelta(minutes=minutes))


def test_no_show_is_recorded_by_reception_only_after_the_start() -> None:
    """CHK-5."""
    assert rules.mark_no_show_refusal(facts(-1)) == ArrivalCode.NOT_STARTED
    assert rules.mark_no_show_refusal(facts(0)) is None
    assert rules.mark_no_show_refusal(facts(1, "checked_in")) == ArrivalCode.ALREADY_CHECKED_IN


def test_no_show_due_when_still_booked_at_the_end() -> None:
    """CHK-5: booked and the slot has ended; a checked-in or cancelled visit never."""
    assert not rules.no_show_due(status="booked", ends_at=END, now=END - dt.timedelta(seconds=1))
    assert rules.no_show_due(status="booked", ends_at=END, now=END)
    for status in ("checked_in", "cancelled", "refused_late", "no_show"):
        assert not rules.no_show_due(status=status, ends_at=END, now=END + dt.timedelta(hours=1))


def test_remote_visits_are_never_no_shows() -> None:
    """CHK-2, CHK-5: a phone or video consultation has no arrival; neither the sweep nor reception records one."""
    assert not rules.no_show_due(status="booked", ends_at=END, now=END + dt.timedelta(hours=1), in_person=False)
    assert rules.mark_no_show_refusal(facts(5, in_person=False)) == ArrivalCode.NOT_AT_FACILITY


def question(**changes: object) -> QuestionFacts:
    base: dict[str, object] = {
        "status": "booked",
        "service_kind": "consultation",
        "clinician_kind": "doctor",
        "self_check_in": False,
        "price": Decimal("0"),
        "birth_date": dt.date(1985, 1, 1),
        "visit_day": DAY,
        "in_person": True,
        "at_facility": True,
        "has_mobile": True,
    }
    base.update(changes)
    return QuestionFacts(**base)  # type: ignore[arg-type]


def test_doctor_consultation_within_the_subscription_is_eligible() -> None:
    """CHK-3."""
    assert rules.checkin_question_eligible(question())


@pytest.mark.parametrize(
    "changes",
    [
        {"price": Decimal("50.00")},  # a surcharge
        {"birth_date": dt.date(2008, 3, 4)},  # 17 on the visit day
        {"clinician_kind": "nurse"},  # not a doctor's consultation
        {"service_kind": "imaging"},  # an exam not selected for self check-in
        {"in_person": False},
        {"at_facility": False},
        {"status": "cancelled"},
        {"has_mobile": False},
    ],
)
def test_not_eligible_for_the_check_in_question(changes: dict[str, object]) -> None:
    """CHK-3: no surcharge, adults, doctor consultations or selected exams, in person."""
    assert not rules.checkin_question_eligible(question(**changes))


def test_selected_exams_are_eligible_and_the_18th_birthday_counts() -> None:
    assert rules.checkin_question_eligible(question(service_kind="imaging", clinician_kind="nurse", self_check_in=True))
    assert rules.checkin_question_eligible(question(birth_date=dt.date(2008, 3, 3)))


def test_question_is_due_at_the_earliest_15_minutes_before() -> None:
    assert not rules.question_due(START, START - dt.timedelta(minutes=16))
    assert rules.question_due(START, START - dt.timedelta(minutes=15))
    assert not rules.question_due(START, START)


SECRET = b"test-secret"


def test_premises_code_is_6_digits_per_facility_and_step() -> None:
    """CHK-4: the entrance code differs per facility and changes every 10 minutes."""
    code = rules.current_premises_code(secret=SECRET, facility_id=1, now=START)
    assert len(code) == 6 and code.isdigit()
    assert code != rules.current_premises_code(secret=SECRET, facility_id=2, now=START)
    assert code != rules.current_premises_code(secret=SECRET, facility_id=1, now=START + dt.timedelta(minutes=10))
    assert code != rules.current_premises_code(secret=b"other", facility_id=1, now=START)


def test_premises_code_accepts_the_current_and_the_previous_step_only() -> None:
    code = rules.current_premises_code(secret=SECRET, facility_id=1, now=START)
    assert rules.premises_code_valid(secret=SECRET, facility_id=1, code=code, now=START)
    assert rules.premises_code_valid(secret=SECRET, facility_id=1, code=code, now=START + dt.timedelta(minutes=10))
    assert not rules.premises_code_valid(secret=SECRET, facility_id=1, code=code, now=START + dt.timedelta(minutes=20))
    assert not rules.premises_code_valid(secret=SECRET, facility_id=2, code=code, now=START)
    assert not rules.premises_code_valid(secret=SECRET, facility_id=1, code="12345", now=START)
    assert not rules.premises_code_valid(secret=SECRET, facility_id=1, code="abcdef", now=START)
    # Arabic-Indic digits are digits to ``str.isdigit`` but never a code (issue 10: hmac raised a TypeError).
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert not rules.premises_code_valid(secret=SECRET, facility_id=1, code=arabic, now=START)


def test_attempts_limit() -> None:
    """CHK-4: 5 per phone and 5 per device; the 6th is refused."""
    assert not rules.attempts_exhausted(by_phone=4, by_device=4, limit=5)
    assert rules.attempts_exhausted(by_phone=5, by_device=0, limit=5)
    assert rules.attempts_exhausted(by_phone=0, by_device=5, limit=5)


def test_counted_no_shows_are_those_of_the_series() -> None:
    """BKG-5: staff see which no-shows caused the block."""
    times = [START - dt.timedelta(days=50), START - dt.timedelta(days=10), START]
    until = START + dt.timedelta(days=30)
    counted = rules.counted_no_shows(times, until=until, window=dt.timedelta(days=30), block=dt.timedelta(days=30))
    assert counted == times[1:]
