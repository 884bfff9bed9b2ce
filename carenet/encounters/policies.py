"""The clinician's rules for a visit (CLN-5, TEL-1, CHK-5). Pure Python, no Django: services gather the facts and
pass ``now``.

* A visit is completed from 15 minutes before its start (in person — checked in or not —, phone or video), never
  when it was cancelled, missed or refused; completing it twice changes nothing.
* A phone consultation's call is recorded from 15 minutes before the start until the end of the visit's day
  (Warsaw); "not reached" twice offers closing it as a no-show.
* Documents are issued during a visit from 30 minutes before its start until the end of the next day (Warsaw),
  never on a cancelled, missed or refused visit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

#: A visit may be completed (and its call recorded) this long before its start.
COMPLETE_LEAD = dt.timedelta(minutes=15)
CALL_LEAD = dt.timedelta(minutes=15)
#: TEL-1: after this many "not reached" the call list offers closing the visit as a no-show.
NOT_REACHED_FOR_NO_SHOW = 2
#: CLN-5: documents are issued from this long before the start until the end of the day after the visit.
ISSUE_LEAD = dt.timedelta(minutes=30)
ISSUE_DAYS_AFTER = 1


class EncounterCode(StrEnum):
    """Stable codes of the clinician's refused actions (the pages show the matching message)."""

    CANCELLED = "appointment_cancelled"
    ALREADY_COMPLETED = "already_completed"
    NO_SHOW = "appointment_no_show"
    NOT_ACTIVE = "appointment_not_active"
    TOO_EARLY = "visit_not_started"
    NOT_PHONE = "not_a_phone_consultation"
    CALL_DAY_OVER = "call_day_over"
    NOT_REACHED_TOO_FEW = "not_reached_too_few"
    ISSUE_TOO_EARLY = "issue_too_early"
    ISSUE_TOO_LATE = "issue_too_late"


@dataclass(frozen=True, slots=True)
class VisitFacts:
    status: str
    starts_at: dt.datetime
    #: The visit's day in Warsaw (the caller converts).
    local_day: dt.date
    now: dt.datetime
    #: Today in Warsaw.
    today: dt.date
    mode: str = "in_person"


def _status_problem(status: str) -> EncounterCode | None:
    if status in ("booked", "checked_in"):
        return None
    if status == "completed":
        return EncounterCode.ALREADY_COMPLETED
    if status == "cancelled":
        return EncounterCode.CANCELLED
    if status == "no_show":
        return EncounterCode.NO_SHOW
    return EncounterCode.NOT_ACTIVE


def complete_refusal(facts: VisitFacts) -> EncounterCode | None:
    """Why the clinician may not mark the visit completed now, or ``None``."""
    problem = _status_problem(facts.status)
    if problem is not None:
        return problem
    if facts.now < facts.starts_at - COMPLETE_LEAD:
        return EncounterCode.TOO_EARLY
    return None


def call_refusal(facts: VisitFacts) -> EncounterCode | None:
    """TEL-1: why a call attempt may not be recorded now, or ``None``: a booked phone consultation, from 15 minutes
    before its start until the end of its day."""
    if facts.mode != "phone":
        return EncounterCode.NOT_PHONE
    problem = _status_problem(facts.status)
    if problem is not None:
        return problem
    if facts.now < facts.starts_at - CALL_LEAD:
        return EncounterCode.TOO_EARLY
    if facts.today > facts.local_day:
        return EncounterCode.CALL_DAY_OVER
    return None


def phone_no_show_refusal(*, mode: str, not_reached: int) -> EncounterCode | None:
    """TEL-1: a phone consultation is closed as a no-show only after the patient was not reached twice (other
    modes: the arrival rules decide alone)."""
    if mode == "phone" and not_reached < NOT_REACHED_FOR_NO_SHOW:
        return EncounterCode.NOT_REACHED_TOO_FEW
    return None


def no_show_offered(*, mode: str, status: str, not_reached: int) -> bool:
    """Whether the call list offers "close as no-show" on a phone consultation."""
    return mode == "phone" and status == "booked" and not_reached >= NOT_REACHED_FOR_NO_SHOW


def issue_refusal(facts: VisitFacts) -> EncounterCode | None:
    """CLN-5: why documents may not be issued during this visit now, or ``None``. A completed visit still takes
    documents (until the end of the next day); a cancelled, missed or refused one never."""
    if facts.status not in ("booked", "checked_in", "completed"):
        return _status_problem(facts.status)
    if facts.now < facts.starts_at - ISSUE_LEAD:
        return EncounterCode.ISSUE_TOO_EARLY
    if facts.today > facts.local_day + dt.timedelta(days=ISSUE_DAYS_AFTER):
        return EncounterCode.ISSUE_TOO_LATE
    return None
