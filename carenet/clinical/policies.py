"""Referral rules (CLN-1, BKG-4, BKG-6). Pure Python: dates are passed in."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from stdnum.pl import nip as stdnum_nip

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


# --- Issuing signed documents (CLN-5) -------------------------------------------------------------------------

#: An e-prescription can be filled for 30 days from issue ...
PRESCRIPTION_VALIDITY_DAYS = 30
#: ... or, for a chronic drug, at most 365 days (the legal maximum) when the clinician sets a longer term.
PRESCRIPTION_MAX_VALIDITY_DAYS = 365
QUANTITY_MIN, QUANTITY_MAX = 1, 99
DOSE_MAX_CHARS = 200
TEXT_MAX_CHARS = 4000
NOTE_MAX_CHARS = 500
#: e-ZLA: a sick leave may start at most 3 days before the day it is issued, and last at most 182 days.
SICK_LEAVE_MAX_DAYS_BACK = 3
SICK_LEAVE_MAX_DAYS = 182


class DocumentRefusal(StrEnum):
    """Why a clinical document cannot be issued as asked (the stable codes of the services' errors)."""

    QUANTITY = "prescription_quantity"
    DOSE = "prescription_dose"
    DRUG_INACTIVE = "drug_inactive"
    TEXT = "recommendation_text"
    NOTE = "referral_note"
    REFERRAL_VALIDITY = "referral_validity"
    SICK_LEAVE_ORDER = "sick_leave_order"
    SICK_LEAVE_BACKDATED = "sick_leave_backdated"
    SICK_LEAVE_TOO_LONG = "sick_leave_too_long"
    NIP = "employer_nip"
    CORRECTION_PATIENT = "correction_other_patient"
    CORRECTION_CLINICIAN = "correction_other_clinician"
    CORRECTION_SUPERSEDED = "correction_already_corrected"
    CORRECTION_KIND = "correction_other_kind"


def prescription_valid_until(issued_on: dt.date, *, days: int = PRESCRIPTION_VALIDITY_DAYS) -> dt.date:
    """The last day a pharmacy fills an e-prescription issued on ``issued_on``: 30 days by default; a longer term
    (chronic drugs) up to 365 days."""
    if not 1 <= days <= PRESCRIPTION_MAX_VALIDITY_DAYS:
        raise ValueError(f"a prescription is valid 1..{PRESCRIPTION_MAX_VALIDITY_DAYS} days, not {days}")
    return issued_on + dt.timedelta(days=days - 1)


def _text_length_ok(value: str, *, maximum: int, required: bool = True) -> bool:
    length = len(value.strip())
    return (length >= 1 or not required) and len(value) <= maximum


def prescription_refusal(*, dose: str, quantity: int) -> DocumentRefusal | None:
    """CLN-5: a dose of 1..200 characters, 1..99 packs."""
    if isinstance(quantity, bool) or not QUANTITY_MIN <= quantity <= QUANTITY_MAX:
        return DocumentRefusal.QUANTITY
    if not _text_length_ok(dose, maximum=DOSE_MAX_CHARS):
        return DocumentRefusal.DOSE
    return None


def recommendation_refusal(*, text: str) -> DocumentRefusal | None:
    """CLN-5: a recommendation says something, in at most 4000 characters."""
    return None if _text_length_ok(text, maximum=TEXT_MAX_CHARS) else DocumentRefusal.TEXT


def referral_refusal(*, issued_on: dt.date, valid_until: dt.date, note: str) -> DocumentRefusal | None:
    """CLN-1: a referral does not expire before it is issued; the clinician's note is short."""
    if valid_until < issued_on:
        return DocumentRefusal.REFERRAL_VALIDITY
    if not _text_length_ok(note, maximum=NOTE_MAX_CHARS, required=False):
        return DocumentRefusal.NOTE
    return None


def nip_valid(nip: str) -> bool:
    """A Polish tax number (NIP) with a correct check digit: 10 ASCII digits, no separators."""
    return len(nip) == 10 and nip.isascii() and nip.isdigit() and bool(stdnum_nip.is_valid(nip))


def sick_leave_refusal(
    *, starts_on: dt.date, ends_on: dt.date, employer_nip: str, today: dt.date
) -> DocumentRefusal | None:
    """e-ZLA (CLN-5): from ≤ to; starting at most 3 days before the day of issue (Warsaw); at most 182 days long;
    the employer's NIP valid."""
    if starts_on > ends_on:
        return DocumentRefusal.SICK_LEAVE_ORDER
    if starts_on < today - dt.timedelta(days=SICK_LEAVE_MAX_DAYS_BACK):
        return DocumentRefusal.SICK_LEAVE_BACKDATED
    if (ends_on - starts_on).days + 1 > SICK_LEAVE_MAX_DAYS:
        return DocumentRefusal.SICK_LEAVE_TOO_LONG
    if not nip_valid(employer_nip):
        return DocumentRefusal.NIP
    return None


@dataclass(frozen=True, slots=True)
class CorrectionFacts:
    """What a correction needs to know about the document it replaces."""

    patient_id: int
    issued_by_id: int | None
    already_corrected: bool


def correction_refusal(facts: CorrectionFacts, *, patient_id: int, clinician_id: int) -> DocumentRefusal | None:
    """CLN-5: a correction is a new version of a document of the same patient, issued by the clinician who signed
    the original, and replaces a current version (one that nothing corrected yet)."""
    if facts.patient_id != patient_id:
        return DocumentRefusal.CORRECTION_PATIENT
    if facts.issued_by_id != clinician_id:
        return DocumentRefusal.CORRECTION_CLINICIAN
    if facts.already_corrected:
        return DocumentRefusal.CORRECTION_SUPERSEDED
    return None


# --- CLN-1: extending, in one step, the validity of every referral issued in a window ------------------------------

#: The longest window of issue dates one extension may cover (about two years).
EXTENSION_MAX_WINDOW_DAYS = 731
EXTENSION_MONTHS_MIN, EXTENSION_MONTHS_MAX = 1, 12
EXTENSION_REASON_MAX_CHARS = 300


class ExtensionRefusal(StrEnum):
    WINDOW_ORDER = "extension_window_order"
    WINDOW_TOO_LONG = "extension_window_too_long"
    MONTHS = "extension_months"
    REASON = "extension_reason"


def extension_refusal(
    *, issued_from: dt.date, issued_until: dt.date, months: int, reason: str
) -> ExtensionRefusal | None:
    """CLN-1: a window of issue dates in order and at most ~2 years long, 1..12 months more, and a reason (the 2020
    extension named the epidemic)."""
    if issued_from > issued_until:
        return ExtensionRefusal.WINDOW_ORDER
    if (issued_until - issued_from).days + 1 > EXTENSION_MAX_WINDOW_DAYS:
        return ExtensionRefusal.WINDOW_TOO_LONG
    if isinstance(months, bool) or not EXTENSION_MONTHS_MIN <= months <= EXTENSION_MONTHS_MAX:
        return ExtensionRefusal.MONTHS
    if not _text_length_ok(reason, maximum=EXTENSION_REASON_MAX_CHARS):
        return ExtensionRefusal.REASON
    return None
