"""The rules of prescription renewals (CLN-2), pure Python: who may be renewed what, when the answer is due, whose
queue a request is in, and what a decision must carry.

* A renewal is ordered only for a drug a network clinician prescribed to the patient before (a partner facility's
  prescription does not count) — anything else is refused with ``renewal_drug_not_prescribed`` and nothing stored.
* The answer is promised within ``working_days`` working days (``CARENET_RENEWAL_SERVICE_WORKING_DAYS``, 2 by
  default): weekends and Polish public holidays do not count. The patient is told "we answer by <date>".
* The request goes to the prescribing clinician's queue. While they are away — inactive, or no schedule of theirs
  covers today at that facility — or once half of the service time has passed, the facility's active clinicians
  see it too.
* A decision is made once: a second one answers ``renewal_already_decided``; a decline needs a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")
#: The answer is due at the end of the last working day of the service time (Warsaw wall clock).
DUE_TIME = dt.time(23, 59)
NOTE_MAX_LENGTH = 500
REASON_MAX_LENGTH = 500
DOSE_MAX_LENGTH = 200
MAX_QUANTITY = 99


class RenewalRefusal(StrEnum):
    """Why an order or a decision is refused: the stable codes every door shows (the services translate them)."""

    DRUG_NOT_PRESCRIBED = "renewal_drug_not_prescribed"
    ALREADY_PENDING = "renewal_already_pending"
    NOTE_TOO_LONG = "renewal_note_too_long"
    ALREADY_DECIDED = "renewal_already_decided"
    REASON_REQUIRED = "renewal_reason_required"
    REASON_TOO_LONG = "renewal_reason_too_long"
    DOSE_REQUIRED = "renewal_dose_required"
    QUANTITY_INVALID = "renewal_quantity_invalid"


def is_working_day(day: dt.date, *, holidays: Collection[dt.date]) -> bool:
    """Monday to Friday, not a public holiday."""
    return day.isoweekday() <= 5 and day not in holidays


def add_working_days(day: dt.date, count: int, *, holidays: Collection[dt.date]) -> dt.date:
    """The ``count``-th working day after ``day`` (``day`` itself never counts; ``count`` 0 is ``day``)."""
    if count < 0:
        raise ValueError("count must not be negative")
    found = 0
    while found < count:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays=holidays):
            found += 1
    return day


def calendar_span(ordered_on: dt.date, working_days: int) -> tuple[dt.date, dt.date]:
    """The dates whose holidays a due date may need (generous: two weeks a working day, at least a month)."""
    return ordered_on, ordered_on + dt.timedelta(days=max(31, 14 * working_days))


@dataclass(frozen=True, slots=True)
class ServiceTime:
    """When the answer is due and when the facility's clinicians see the request too (half of the time)."""

    due_at: dt.datetime
    shared_at: dt.datetime

    @property
    def due_on(self) -> dt.date:
        return self.due_at.astimezone(WARSAW).date()


def service_time(*, now: dt.datetime, working_days: int, holidays: Collection[dt.date]) -> ServiceTime:
    """CLN-2: the answer is due by the end of the ``working_days``-th working day after the day of the order
    (Warsaw dates); the request is shared with the facility once half of that time has passed."""
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    ordered_on = now.astimezone(WARSAW).date()
    due_on = add_working_days(ordered_on, max(working_days, 0), holidays=holidays)
    due_at = dt.datetime.combine(due_on, DUE_TIME, tzinfo=WARSAW).astimezone(dt.UTC)
    if due_at <= now:  # zero working days, ordered late in the evening: due at once
        due_at = now
    return ServiceTime(due_at=due_at, shared_at=now + (due_at - now) / 2)


def is_overdue(*, due_at: dt.datetime, now: dt.datetime) -> bool:
    return now > due_at


def order_refusal(*, drug_id: int, prescribed_drug_ids: Collection[int], note: str) -> RenewalRefusal | None:
    """CLN-2: only a drug a network clinician prescribed before; a short note."""
    if drug_id not in prescribed_drug_ids:
        return RenewalRefusal.DRUG_NOT_PRESCRIBED
    if len(note) > NOTE_MAX_LENGTH:
        return RenewalRefusal.NOTE_TOO_LONG
    return None


@dataclass(frozen=True, slots=True)
class PrescriberPresence:
    """What routing needs to know about the prescribing clinician today."""

    is_active: bool
    scheduled_today_at_facility: bool


def prescriber_away(presence: PrescriberPresence) -> bool:
    """The prescriber is away when their account is inactive or no schedule of theirs covers today at the
    facility."""
    return not presence.is_active or not presence.scheduled_today_at_facility


def in_queue_of(
    *,
    clinician_id: int,
    clinician_facility_ids: Collection[int],
    assigned_clinician_id: int,
    facility_id: int,
    presence: PrescriberPresence,
    shared_at: dt.datetime,
    now: dt.datetime,
) -> bool:
    """CLN-2 routing: the prescriber's own queue; the facility's clinicians' too while the prescriber is away or
    once half of the service time has passed. (The queue selector asks the same in one query.)"""
    if clinician_id == assigned_clinician_id:
        return True
    if facility_id not in clinician_facility_ids:
        return False
    return prescriber_away(presence) or now >= shared_at


def decision_refusal(*, status: str) -> RenewalRefusal | None:
    """A request is decided once."""
    return None if status == "pending" else RenewalRefusal.ALREADY_DECIDED


def decline_refusal(*, status: str, reason: str) -> RenewalRefusal | None:
    if (refusal := decision_refusal(status=status)) is not None:
        return refusal
    if not reason.strip():
        return RenewalRefusal.REASON_REQUIRED
    if len(reason) > REASON_MAX_LENGTH:
        return RenewalRefusal.REASON_TOO_LONG
    return None


def issue_refusal(*, status: str, dose: str, quantity: int) -> RenewalRefusal | None:
    if (refusal := decision_refusal(status=status)) is not None:
        return refusal
    if not dose.strip() or len(dose) > DOSE_MAX_LENGTH:
        return RenewalRefusal.DOSE_REQUIRED
    if not 1 <= quantity <= MAX_QUANTITY:
        return RenewalRefusal.QUANTITY_INVALID
    return None
