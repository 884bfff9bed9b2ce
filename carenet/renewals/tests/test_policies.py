"""CLN-2 rules without a database: working days, the answer time, routing, decisions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from carenet.renewals import policies
from carenet.renewals.policies import PrescriberPresence, RenewalRefusal
from carenet.scheduling.policies import polish_public_holidays

WARSAW = ZoneInfo("Europe/Warsaw")
NO_HOLIDAYS: frozenset[dt.date] = frozenset()


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=WARSAW)


@pytest.mark.parametrize(
    ("ordered", "expected"),
    [
        (dt.date(2026, 11, 30), dt.date(2026, 12, 2)),  # Monday → Wednesday
        (dt.date(2026, 12, 3), dt.date(2026, 12, 7)),  # Thursday → Monday
        (dt.date(2026, 12, 4), dt.date(2026, 12, 8)),  # Friday → Tuesday
        (dt.date(2026, 12, 5), dt.date(2026, 12, 8)),  # Saturday → Tuesday (Monday is the first working day)
        (dt.date(2026, 12, 6), dt.date(2026, 12, 8)),  # Sunday → Tuesday
    ],
)
def test_two_working_days_skip_the_weekend(ordered: dt.date, expected: dt.date) -> None:
    assert policies.add_working_days(ordered, 2, holidays=NO_HOLIDAYS) == expected


def test_polish_public_holidays_do_not_count() -> None:
    """11 November 2026 is a Wednesday (Independence Day); Christmas Eve (a day off since 2025), Christmas and
    Boxing Day 2026 fall on Thursday to Saturday."""
    holidays = polish_public_holidays(dt.date(2026, 11, 1), dt.date(2027, 1, 31))
    assert policies.add_working_days(dt.date(2026, 11, 10), 2, holidays=holidays) == dt.date(2026, 11, 13)
    assert policies.add_working_days(dt.date(2026, 12, 23), 2, holidays=holidays) == dt.date(2026, 12, 29)
    assert policies.add_working_days(dt.date(2026, 12, 31), 1, holidays=holidays) == dt.date(2027, 1, 4)


def test_the_answer_is_due_at_the_end_of_the_last_working_day_and_shared_half_way() -> None:
    now = at(dt.date(2026, 12, 4), 10)  # Friday 10:00
    time = policies.service_time(now=now, working_days=2, holidays=NO_HOLIDAYS)
    assert time.due_on == dt.date(2026, 12, 8)
    assert time.due_at == dt.datetime(2026, 12, 8, 23, 59, tzinfo=WARSAW)
    assert time.shared_at == now + (time.due_at - now) / 2
    assert now < time.shared_at < time.due_at


def test_zero_working_days_is_the_same_day() -> None:
    now = at(dt.date(2026, 12, 4), 10)
    time = policies.service_time(now=now, working_days=0, holidays=NO_HOLIDAYS)
    assert time.due_on == dt.date(2026, 12, 4)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        policies.service_time(now=dt.datetime(2026, 12, 4, 10), working_days=2, holidays=NO_HOLIDAYS)


def test_only_a_drug_prescribed_before_and_a_short_note() -> None:
    assert policies.order_refusal(drug_id=1, prescribed_drug_ids={1, 2}, note="") is None
    assert policies.order_refusal(drug_id=3, prescribed_drug_ids={1, 2}, note="") is RenewalRefusal.DRUG_NOT_PRESCRIBED
    assert policies.order_refusal(drug_id=1, prescribed_drug_ids={1}, note="x" * 501) is RenewalRefusal.NOTE_TOO_LONG
    assert policies.order_refusal(drug_id=1, prescribed_drug_ids={1}, note="x" * 500) is None


PRESENT = PrescriberPresence(is_active=True, scheduled_today_at_facility=True)
NOW = at(dt.date(2026, 12, 4), 10)
LATER = NOW + dt.timedelta(days=1)


def queue(clinician_id: int, *, presence: PrescriberPresence = PRESENT, shared_at: dt.datetime = LATER) -> bool:
    return policies.in_queue_of(
        clinician_id=clinician_id,
        clinician_facility_ids={10} if clinician_id != 3 else {20},
        assigned_clinician_id=1,
        facility_id=10,
        presence=presence,
        shared_at=shared_at,
        now=NOW,
    )


def test_routing_the_prescriber_alone_while_present() -> None:
    assert queue(1) and not queue(2) and not queue(3)


@pytest.mark.parametrize(
    "presence",
    [
        PrescriberPresence(is_active=False, scheduled_today_at_facility=True),
        PrescriberPresence(is_active=True, scheduled_today_at_facility=False),
    ],
)
def test_routing_the_facility_sees_it_while_the_prescriber_is_away(presence: PrescriberPresence) -> None:
    assert queue(1, presence=presence) and queue(2, presence=presence)
    assert not queue(3, presence=presence)  # another facility's clinician never


def test_routing_the_facility_sees_it_after_half_of_the_service_time() -> None:
    assert queue(2, shared_at=NOW) and not queue(3, shared_at=NOW)


def test_a_decision_is_made_once_and_a_decline_needs_a_reason() -> None:
    assert policies.decline_refusal(status="pending", reason="Kontrola") is None
    assert policies.decline_refusal(status="pending", reason="  ") is RenewalRefusal.REASON_REQUIRED
    assert policies.decline_refusal(status="pending", reason="x" * 501) is RenewalRefusal.REASON_TOO_LONG
    assert policies.decline_refusal(status="issued", reason="Kontrola") is RenewalRefusal.ALREADY_DECIDED
    assert policies.issue_refusal(status="pending", dose="1 x 1", quantity=2) is None
    assert policies.issue_refusal(status="declined", dose="1 x 1", quantity=2) is RenewalRefusal.ALREADY_DECIDED
    assert policies.issue_refusal(status="pending", dose="", quantity=2) is RenewalRefusal.DOSE_REQUIRED
    assert policies.issue_refusal(status="pending", dose="1 x 1", quantity=0) is RenewalRefusal.QUANTITY_INVALID
    assert policies.issue_refusal(status="pending", dose="1 x 1", quantity=100) is RenewalRefusal.QUANTITY_INVALID
