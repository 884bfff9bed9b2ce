"""Referral rules (CLN-1, BKG-4, BKG-6). Pure Python: dates are passed in."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

#: CLN-1: a referral is valid for 3 months unless the clinician sets another term.
DEFAULT_VALIDITY_MONTHS = 3


class ReferralStatus(StrEnum):
    ACTIVE = "active"
    USED = "used"
    EXPIRED = "expired"


class ReferralSource(StrEnum):
    NETWORK = "network"
    EMPLOYER = "employer"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the 31st becomes the month's last day where the month is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_valid_until(issued_on: dt.date) -> dt.date:
    """CLN-1: the last day of validity of a referral issued on ``issued_on`` without an explicit term."""
    return add_months(issued_on, DEFAULT_VALIDITY_MONTHS)


def referral_status(*, used: bool, valid_until: dt.date, today: dt.date) -> ReferralStatus:
    """Used (an active booking holds it), expired (after its last valid day), otherwise active (CLN-1)."""
    if used:
        return ReferralStatus.USED
    if today > valid_until:
        return ReferralStatus.EXPIRED
    return ReferralStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class ReferralFacts:
    """What booking needs to know about a referral offered for a booking."""

    patient_id: int
    service_id: int
    source: ReferralSource
    valid_until: dt.date
    issued_on: dt.date
    used_by_id: int | None


def referral_usable(
    facts: ReferralFacts,
    *,
    patient_id: int,
    service_id: int,
    today: dt.date,
    source: ReferralSource,
    for_appointment_id: int | None = None,
) -> bool:
    """BKG-4 / BKG-6: the referral is the patient's, for this service, of the needed source, issued and still valid
    on the booking day (``today``, Warsaw), and not used by another booking (a choice: validity is judged when the
    visit is booked, as Polish e-referrals are).
    """
    used_elsewhere = facts.used_by_id is not None and facts.used_by_id != for_appointment_id
    return (
        facts.patient_id == patient_id
        and facts.service_id == service_id
        and facts.source == source
        and facts.issued_on <= today <= facts.valid_until
        and not used_elsewhere
    )
