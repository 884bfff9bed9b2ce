"""Arrival rules (CHK-1..5, BKG-5 lifting, CHK-3 eligibility, CHK-4 premises code). Pure Python, no Django: the
services gather the facts and pass ``now``.

* The self check-in window (SMS TAK, the "jestem" page) runs from 15 minutes before the start until the start
  (CHK-3, CHK-4). Reception checks a patient in any time on the day of the visit until the slot ends (CHK-2).
* "Late" is 10 or more minutes after the start (CHK-1): only then may reception record "refused: late".
* Reception records a no-show only once the visit has started; the periodic sweep makes every visit still booked
  when its slot has ended a no-show (CHK-5) — reception's own record (checked in, refused: late) always wins.
* CHK-3 eligibility: see :func:`checkin_question_eligible`.
* The premises code (CHK-4): see :func:`premises_code`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

from carenet.core.dates import age_on
from carenet.core.validation import ascii_digits

#: CHK-3, CHK-4: the self check-in window opens this long before the start and closes at the start.
CHECK_IN_LEAD = dt.timedelta(minutes=15)
#: CHK-1: arriving this late (or later) allows reception to refuse the service.
LATE_AFTER = dt.timedelta(minutes=10)
#: CHK-3: the patient must be an adult on the visit day.
ADULT_AGE = 18


class CheckInChannel(StrEnum):
    """The values of ``booking.models.CheckInChannel``."""

    RECEPTION = "reception"
    SMS = "sms"
    CHECKIN_PAGE = "checkin_page"


SELF_CHANNELS = frozenset({CheckInChannel.SMS, CheckInChannel.CHECKIN_PAGE})


class ArrivalCode(StrEnum):
    """Stable codes of refused arrival actions (the pages and the API show the matching message)."""

    ALREADY_CHECKED_IN = "already_checked_in"
    CANCELLED = "appointment_cancelled"
    NO_SHOW = "appointment_no_show"
    NOT_ACTIVE = "appointment_not_active"
    WINDOW_NOT_OPEN = "check_in_window_not_open"
    WINDOW_CLOSED = "check_in_window_closed"
    NOT_VISIT_DAY = "not_visit_day"
    VISIT_ENDED = "visit_ended"
    NOT_LATE_YET = "not_late_yet"
    NOT_STARTED = "visit_not_started"
    NOT_AT_FACILITY = "not_at_facility"
    NOT_CHECKED_IN = "not_checked_in"
    UNDO_NOT_AT_RECEPTION = "check_in_not_at_reception"
    UNDO_TOO_LATE = "undo_window_passed"


@dataclass(frozen=True, slots=True)
class VisitFacts:
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    now: dt.datetime
    in_person: bool = True


def window(starts_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """CHK-3, CHK-4: when a patient may confirm their own arrival: (opens, closes), both inclusive."""
    return starts_at - CHECK_IN_LEAD, starts_at


def window_open(starts_at: dt.datetime, now: dt.datetime) -> bool:
    opens, closes = window(starts_at)
    return opens <= now <= closes


def is_late(starts_at: dt.datetime, now: dt.datetime) -> bool:
    """CHK-1: 10 or more minutes after the start."""
    return now - starts_at >= LATE_AFTER


def _status_problem(status: str) -> ArrivalCode | None:
    if status == "booked":
        return None
    if status == "checked_in":
        return ArrivalCode.ALREADY_CHECKED_IN
    if status == "cancelled":
        return ArrivalCode.CANCELLED
    if status == "no_show":
        return ArrivalCode.NO_SHOW
    return ArrivalCode.NOT_ACTIVE


def check_in_refusal(facts: VisitFacts, *, channel: str, local_day_of: dt.date, today: dt.date) -> ArrivalCode | None:
    """CHK-2..4: why this check-in is refused, or ``None``. In order: the visit is not booked (already checked
    in, cancelled, a no-show …); not an in-person visit; for reception — not the visit day, or the slot has ended;
    for SMS and the check-in page — outside the window (not open yet, or closed at the start).

    ``local_day_of`` is the visit's Warsaw date, ``today`` Warsaw's today (the caller converts)."""
    problem = _status_problem(facts.status)
    if problem is not None:
        return problem
    if not facts.in_person:
        return ArrivalCode.NOT_AT_FACILITY
    if channel == CheckInChannel.RECEPTION:
        if local_day_of != today:
            return ArrivalCode.NOT_VISIT_DAY
        if facts.now >= facts.ends_at:
            return ArrivalCode.VISIT_ENDED
        return None
    opens, closes = window(facts.starts_at)
    if facts.now < opens:
        return ArrivalCode.WINDOW_NOT_OPEN
    if facts.now > closes:
        return ArrivalCode.WINDOW_CLOSED
    return None


def refuse_late_refusal(facts: VisitFacts) -> ArrivalCode | None:
    """CHK-1: reception records "refused: late" only for a booked visit, 10 or more minutes after its start."""
    problem = _status_problem(facts.status)
    if problem is not None:
        return problem
    if not is_late(facts.starts_at, facts.now):
        return ArrivalCode.NOT_LATE_YET
    return None


def mark_no_show_refusal(facts: VisitFacts, *, by_clinician: bool = False) -> ArrivalCode | None:
    """CHK-5: reception records a no-show only for a booked in-person visit that has started (a phone or video
    consultation has no arrival to miss). The visit's own clinician also records it for a phone or video
    consultation that did not take place (TEL-1: the patient was not reached)."""
    problem = _status_problem(facts.status)
    if problem is not None:
        return problem
    if not facts.in_person and not by_clinician:
        return ArrivalCode.NOT_AT_FACILITY
    if facts.now < facts.starts_at:
        return ArrivalCode.NOT_STARTED
    return None


def no_show_due(*, status: str, ends_at: dt.datetime, now: dt.datetime, in_person: bool = True) -> bool:
    """CHK-5: an in-person visit still booked (not checked in, not refused, not cancelled) when its slot has ended.
    Phone and video consultations are never confirmed on arrival (CHK-2 is about arriving), so they are never
    no-shows by this rule: the clinician records how a remote consultation went."""
    return in_person and status == "booked" and ends_at <= now


def undo_check_in_until(checked_in_at: dt.datetime, *, window: dt.timedelta) -> dt.datetime:
    """Issue 14: until when reception may undo a check-in recorded at ``checked_in_at`` (exclusive)."""
    return checked_in_at + window


def undo_check_in_refusal(
    *, status: str, channel: str, checked_in_at: dt.datetime | None, now: dt.datetime, window: dt.timedelta
) -> ArrivalCode | None:
    """Issue 14 (CHK-2): why reception may not undo this check-in, or ``None``. Only a visit still checked in (not
    completed by the clinician, not anything else), checked in at reception (the patient's own SMS or page
    confirmation is theirs), and only within ``window`` of the check-in; then the action is gone."""
    if status != "checked_in" or checked_in_at is None:
        return ArrivalCode.NOT_CHECKED_IN
    if channel != CheckInChannel.RECEPTION:
        return ArrivalCode.UNDO_NOT_AT_RECEPTION
    if now >= undo_check_in_until(checked_in_at, window=window) or now < checked_in_at:
        return ArrivalCode.UNDO_TOO_LATE
    return None


# --- CHK-3: the check-in question -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuestionFacts:
    """What decides whether a visit gets the SMS check-in question.

    ``service_kind`` is ``network.Service.Kind``; ``clinician_kind`` is ``network.Clinician.Kind``;
    ``self_check_in`` is the catalogue's "self check-in allowed" mark on a service (the "selected exams")."""

    status: str
    service_kind: str
    clinician_kind: str
    self_check_in: bool
    price: object  # a Decimal; anything above zero is a surcharge
    birth_date: dt.date
    visit_day: dt.date
    in_person: bool
    at_facility: bool
    has_mobile: bool


def checkin_question_eligible(facts: QuestionFacts) -> bool:
    """CHK-3: doctor consultations (a consultation in a doctor's slot) and the exams the catalogue marks for self
    check-in, within the subscription (nothing to pay), for an adult on the visit day, in person at a facility,
    still booked, with a mobile to ask."""
    kind_fits = (facts.service_kind == "consultation" and facts.clinician_kind == "doctor") or facts.self_check_in
    try:
        adult = age_on(facts.birth_date, facts.visit_day) >= ADULT_AGE
    except ValueError:
        adult = False
    return (
        facts.status == "booked"
        and kind_fits
        and _no_surcharge(facts.price)
        and adult
        and facts.in_person
        and facts.at_facility
        and facts.has_mobile
    )


def _no_surcharge(price: object) -> bool:
    try:
        return float(price) <= 0  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def question_due(starts_at: dt.datetime, now: dt.datetime) -> bool:
    """CHK-3: the question goes at the earliest 15 minutes before the start, and not after the start."""
    return starts_at - CHECK_IN_LEAD <= now < starts_at


# --- CHK-4: the premises code -----------------------------------------------------------------------------------

#: The code changes every 10 minutes; the current and the previous code are accepted (like TOTP).
PREMISES_STEP = dt.timedelta(minutes=10)
PREMISES_DIGITS = 6


def premises_step(now: dt.datetime, *, step: dt.timedelta = PREMISES_STEP) -> int:
    return int(now.timestamp() // step.total_seconds())


def premises_code(*, secret: bytes, facility_id: int, step_number: int) -> str:
    """CHK-4: the 6-digit code shown at a facility's entrance during one time step: HMAC-SHA256 over the facility
    and the step, truncated as in RFC 4226. Knowing it proves being at (or in touch with) that entrance now."""
    digest = hmac.new(secret, f"premises:{facility_id}:{step_number}".encode(), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**PREMISES_DIGITS).zfill(PREMISES_DIGITS)


def current_premises_code(*, secret: bytes, facility_id: int, now: dt.datetime) -> str:
    return premises_code(secret=secret, facility_id=facility_id, step_number=premises_step(now))


def premises_code_valid(*, secret: bytes, facility_id: int, code: str, now: dt.datetime) -> bool:
    """The current or the previous step's code (a patient who read it just before it changed still gets in)."""
    typed = "".join(code.split())
    if len(typed) != PREMISES_DIGITS or not ascii_digits(typed):  # other digits: a wrong code (not a TypeError)
        return False
    step_number = premises_step(now)
    return any(
        hmac.compare_digest(typed, premises_code(secret=secret, facility_id=facility_id, step_number=number))
        for number in (step_number, step_number - 1)
    )


def premises_code_expires(now: dt.datetime) -> dt.datetime:
    """When the code shown now stops being the current one."""
    seconds = PREMISES_STEP.total_seconds()
    return dt.datetime.fromtimestamp((premises_step(now) + 1) * seconds, tz=dt.UTC)


# --- CHK-4: the rate limit ------------------------------------------------------------------------------------


def attempts_exhausted(*, by_phone: int, by_device: int, limit: int) -> bool:
    """CHK-4: at most ``limit`` attempts per phone and per device within the hour; the next one is refused."""
    return by_phone >= limit or by_device >= limit


# --- BKG-5: what the patient and staff see --------------------------------------------------------------------


def counted_no_shows(
    no_show_times: list[dt.datetime], *, until: dt.datetime, window: dt.timedelta, block: dt.timedelta
) -> list[dt.datetime]:
    """The no-shows that formed the series behind a block ending at ``until`` (BKG-5: staff see the reason)."""
    last = until - block
    return [time for time in no_show_times if last - window <= time <= last]
