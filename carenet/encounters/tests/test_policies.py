"""The clinician's rules (CLN-5, TEL-1, CHK-5), pure."""

from __future__ import annotations

import datetime as dt

from carenet.encounters import policies
from carenet.encounters.policies import EncounterCode, VisitFacts

START = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)  # 10:00 in Warsaw
DAY = dt.date(2026, 12, 4)


def facts(*, now: dt.datetime, status: str = "booked", mode: str = "in_person") -> VisitFacts:
    return VisitFacts(
        status=status, starts_at=START, local_day=DAY, now=now, today=(now + dt.timedelta(hours=1)).date(), mode=mode
    )


def test_a_visit_is_completed_from_15_minutes_before_its_start() -> None:
    assert policies.complete_refusal(facts(now=START - dt.timedelta(minutes=16))) is EncounterCode.TOO_EARLY
    assert policies.complete_refusal(facts(now=START - dt.timedelta(minutes=15))) is None
    assert policies.complete_refusal(facts(now=START + dt.timedelta(days=3), status="checked_in")) is None


def test_a_closed_or_cancelled_visit_is_not_completed() -> None:
    now = START + dt.timedelta(minutes=5)
    assert policies.complete_refusal(facts(now=now, status="completed")) is EncounterCode.ALREADY_COMPLETED
    assert policies.complete_refusal(facts(now=now, status="cancelled")) is EncounterCode.CANCELLED
    assert policies.complete_refusal(facts(now=now, status="no_show")) is EncounterCode.NO_SHOW
    assert policies.complete_refusal(facts(now=now, status="refused_late")) is EncounterCode.NOT_ACTIVE


def test_a_call_is_recorded_on_a_phone_consultation_from_15_minutes_before_to_the_end_of_its_day() -> None:
    assert policies.call_refusal(facts(now=START, mode="in_person")) is EncounterCode.NOT_PHONE
    assert policies.call_refusal(facts(now=START - dt.timedelta(minutes=16), mode="phone")) is EncounterCode.TOO_EARLY
    assert policies.call_refusal(facts(now=START - dt.timedelta(minutes=15), mode="phone")) is None
    late_evening = dt.datetime(2026, 12, 4, 22, 59, tzinfo=dt.UTC)  # 23:59 in Warsaw
    assert policies.call_refusal(facts(now=late_evening, mode="phone")) is None
    assert policies.call_refusal(facts(now=late_evening + dt.timedelta(minutes=1), mode="phone")) is (
        EncounterCode.CALL_DAY_OVER
    )
    assert policies.call_refusal(facts(now=START, mode="phone", status="completed")) is EncounterCode.ALREADY_COMPLETED


def test_a_phone_no_show_needs_two_unanswered_calls() -> None:
    assert policies.NOT_REACHED_FOR_NO_SHOW == 2
    assert policies.phone_no_show_refusal(mode="phone", not_reached=1) is EncounterCode.NOT_REACHED_TOO_FEW
    assert policies.phone_no_show_refusal(mode="phone", not_reached=2) is None
    assert policies.phone_no_show_refusal(mode="in_person", not_reached=0) is None
    assert not policies.no_show_offered(mode="phone", status="booked", not_reached=1)
    assert policies.no_show_offered(mode="phone", status="booked", not_reached=2)
    assert not policies.no_show_offered(mode="phone", status="completed", not_reached=2)


def test_documents_are_issued_from_30_minutes_before_until_the_end_of_the_next_day() -> None:
    assert policies.issue_refusal(facts(now=START - dt.timedelta(minutes=31))) is EncounterCode.ISSUE_TOO_EARLY
    assert policies.issue_refusal(facts(now=START - dt.timedelta(minutes=30))) is None
    next_day_end = dt.datetime(2026, 12, 5, 22, 59, tzinfo=dt.UTC)
    assert policies.issue_refusal(facts(now=next_day_end, status="completed")) is None
    assert policies.issue_refusal(facts(now=next_day_end + dt.timedelta(minutes=1))) is EncounterCode.ISSUE_TOO_LATE
    assert policies.issue_refusal(facts(now=START, status="cancelled")) is EncounterCode.CANCELLED
    assert policies.issue_refusal(facts(now=START, status="no_show")) is EncounterCode.NO_SHOW
