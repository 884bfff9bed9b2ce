"""Rules of online consultations (TEL-2, TEL-3, FBK-1, SCH-3, ACC-4). Pure Python: no Django, ``now`` passed in.

* who a line is for — the age bounds of the patient the consultation is for (:func:`age_fits`);
* the estimated wait — position × typical length ÷ clinicians on duty, rounded up (:func:`estimated_wait`), the
  typical length being the median of the line's last ended consultations once there are enough of them
  (:func:`typical_minutes`);
* whether a line takes a new patient now (:func:`line_state`, :func:`start_refusal`);
* what an outcome makes of the visit (:func:`visit_status_for`);
* when a booked video visit's room is open (:func:`room_refusal`), and the survey's window (:func:`survey_refusal`).

Fair order (TEL-2) is first come, first served per line: ``(queued_at, id)`` ascending, across every line a
clinician is on duty for (:func:`queue_key`); nobody picks.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class ConsultationCode(StrEnum):
    """Stable codes of refused consultation actions (the API and the socket return them)."""

    LINE_NOT_FOUND = "line_not_found"
    LINE_NOT_FOR_AGE = "line_not_for_age"
    LEVEL_TWO_REQUIRED = "level_two_required"
    ALREADY_WAITING = "already_waiting"
    NOBODY_ON_DUTY = "nobody_on_duty"
    WAIT_TOO_LONG = "wait_too_long"
    NOT_WAITING = "not_waiting"
    NOT_ON_DUTY = "not_on_duty"
    ALREADY_IN_CONSULTATION = "already_in_consultation"
    NOT_IN_PROGRESS = "not_in_progress"
    UNKNOWN_OUTCOME = "unknown_outcome"
    SURVEY_CLOSED = "survey_closed"
    SURVEY_ANSWERED = "survey_answered"
    UNKNOWN_MODE = "unknown_mode"
    UNKNOWN_CHANNEL = "unknown_channel"
    INVALID_NOTE = "invalid_note"
    INVALID_RATING = "invalid_rating"
    INVALID_RESOLVED = "invalid_resolved"
    INVALID_COMMENT = "invalid_comment"
    FILE_NOT_FOUND = "file_not_found"
    TOO_MANY_FILES = "too_many_attachments"
    NOT_VIDEO = "not_video_visit"
    VISIT_NOT_ACTIVE = "visit_not_active"
    ROOM_NOT_OPEN_YET = "room_not_open_yet"
    ROOM_CLOSED = "room_closed"
    DUTY_ENDED = "duty_ended"
    NOT_COVERED_ANY_MORE = "not_covered_any_more"


#: The modes a patient chooses from (``Consultation.Mode``) and the doors a patient starts one through (BKG-1).
MODES = frozenset({"chat", "voice", "video"})
OUTCOMES = frozenset({"advice", "documents", "in_person", "urgent", "no_contact"})
#: FBK-1: the survey is open this long after the consultation ended.
SURVEY_DAYS = 7
#: SCH-3: a booked video visit's room opens this long before its start (as a visit can be closed, CLN).
ROOM_LEAD = dt.timedelta(minutes=15)
#: The median of the line's last ended consultations replaces its typical length once there are this many …
HISTORY_MIN = 5
#: … of at most this many (the latest).
HISTORY_SIZE = 20


class LineState(StrEnum):
    OPEN = "open"  # someone on duty, the wait within the setting
    BUSY = "busy"  # someone on duty, but a new patient would wait longer than the setting allows
    CLOSED = "closed"  # nobody on duty now


def age_fits(*, age: int, min_age: int | None, below_age: int | None) -> bool:
    """TEL-2: internal medicine 18+ (``min_age`` 18, inclusive), paediatrics under 18 (``below_age`` 18, exclusive),
    midwifery (no bound). The age is the patient's on today (Warsaw), whole years from the birth date."""
    if min_age is not None and age < min_age:
        return False
    return below_age is None or age < below_age


def typical_minutes(durations: Sequence[float], *, default: int) -> float:
    """The length the wait is estimated with: the median of the line's last ended consultations (minutes) once there
    are :data:`HISTORY_MIN` of them, else the line's own typical length."""
    recent = [minutes for minutes in durations[:HISTORY_SIZE] if minutes >= 0]
    if len(recent) < HISTORY_MIN:
        return float(default)
    return float(statistics.median(recent))


def estimated_wait(*, position: int, typical: float, on_duty: int) -> int | None:
    """Minutes a patient at ``position`` (1-based) waits: ``position × typical ÷ on_duty``, rounded up; ``None`` when
    nobody is on duty (there is no estimate, only "closed")."""
    if on_duty <= 0:
        return None
    return max(0, math.ceil(position * typical / on_duty - 1e-9))


def line_state(*, on_duty: int, wait_for_new: int | None, max_wait: int) -> LineState:
    """Whether a line takes a new patient: closed with nobody on duty, busy when the newcomer's estimated wait is
    beyond ``max_wait`` minutes (``CARENET_CONSULTATION_MAX_WAIT_MINUTES``), open otherwise."""
    if on_duty <= 0 or wait_for_new is None:
        return LineState.CLOSED
    if wait_for_new > max_wait:
        return LineState.BUSY
    return LineState.OPEN


@dataclass(frozen=True, slots=True)
class StartFacts:
    """What starting a consultation in a line depends on (beyond coverage, which the booking rules decide)."""

    #: ACC-4: the acting account's level allows online consultations (``Feature.ONLINE_CONSULTATIONS``).
    level_allowed: bool
    age: int
    min_age: int | None
    below_age: int | None
    on_duty: int
    waiting: int
    typical: float
    max_wait: int
    #: Clinicians on duty when the newcomer's estimated turn comes (``None``: not asked): a duty that ends before
    #: then serves nobody new, and the sweep would let the newcomer go (``duty_ended``) after a wait for nothing.
    on_duty_at_turn: int | None = None


def newcomer_wait(facts: StartFacts) -> int | None:
    """The newcomer's estimated wait (behind ``waiting`` others)."""
    return estimated_wait(position=facts.waiting + 1, typical=facts.typical, on_duty=facts.on_duty)


def eligibility_refusal(facts: StartFacts) -> ConsultationCode | None:
    """The patient's side, in order: level II (ACC-4), then the line's ages (TEL-2)."""
    if not facts.level_allowed:
        return ConsultationCode.LEVEL_TWO_REQUIRED
    if not age_fits(age=facts.age, min_age=facts.min_age, below_age=facts.below_age):
        return ConsultationCode.LINE_NOT_FOR_AGE
    return None


def capacity_refusal(facts: StartFacts) -> ConsultationCode | None:
    """The line's side: someone on duty now, and the newcomer's estimated wait (behind ``waiting`` others) within
    the setting and within the duties (someone still on duty when their turn comes)."""
    state = line_state_for(facts)
    if state is LineState.CLOSED:
        return ConsultationCode.NOBODY_ON_DUTY
    if state is LineState.BUSY:
        return ConsultationCode.WAIT_TOO_LONG
    return None


def line_state_for(facts: StartFacts) -> LineState:
    """:func:`line_state` for a newcomer, busy also when nobody is on duty any more by their estimated turn."""
    state = line_state(on_duty=facts.on_duty, wait_for_new=newcomer_wait(facts), max_wait=facts.max_wait)
    if state is LineState.OPEN and facts.on_duty_at_turn == 0:
        return LineState.BUSY
    return state


def start_refusal(facts: StartFacts) -> ConsultationCode | None:
    """TEL-2, ACC-4: why the consultation cannot start, or ``None``: level, age, then the line's capacity. (The
    service asks the booking rules about coverage between the two: PKG-4, BKG-3.)"""
    return eligibility_refusal(facts) or capacity_refusal(facts)


def queue_key(queued_at: dt.datetime, consultation_id: int) -> tuple[dt.datetime, int]:
    """First come, first served: the order of a queue, the same across every line of a clinician's duties."""
    return (queued_at, consultation_id)


def positions(keys: Sequence[tuple[dt.datetime, int]]) -> dict[int, int]:
    """Position (1-based) of every waiting consultation of one line, by id."""
    return {consultation_id: index for index, (_at, consultation_id) in enumerate(sorted(keys), start=1)}


def visit_status_for(outcome: str) -> str:
    """What an outcome makes of the visit (``Appointment.Status``): advice, documents, an in-person visit or urgent
    care recommended → completed; no contact with the patient → a no-show of the visit. An on-demand visit's no-show
    does not count towards the no-show block (BKG-5): a patient whose connection failed is not blocked from
    booking — the block counts only visits booked for a time (``booking.selectors.no_show_times``)."""
    if outcome not in OUTCOMES:
        raise ValueError(outcome)
    return "no_show" if outcome == "no_contact" else "completed"


def survey_refusal(
    *, status: str, outcome: str, ended_at: dt.datetime | None, answered: bool, now: dt.datetime
) -> ConsultationCode | None:
    """FBK-1: the survey follows an ended consultation, for :data:`SURVEY_DAYS` days, once; not after one where the
    clinician never reached the patient."""
    if answered:
        return ConsultationCode.SURVEY_ANSWERED
    if status != "ended" or ended_at is None or outcome == "no_contact":
        return ConsultationCode.SURVEY_CLOSED
    if now > ended_at + dt.timedelta(days=SURVEY_DAYS):
        return ConsultationCode.SURVEY_CLOSED
    return None


def survey_open(*, status: str, outcome: str, ended_at: dt.datetime | None, answered: bool, now: dt.datetime) -> bool:
    return survey_refusal(status=status, outcome=outcome, ended_at=ended_at, answered=answered, now=now) is None


@dataclass(frozen=True, slots=True)
class RoomFacts:
    """A booked visit whose room is asked for (SCH-3)."""

    mode: str
    status: str
    starts_at: dt.datetime
    #: The visit's day and today, in Warsaw (the caller converts).
    local_day: dt.date
    today: dt.date
    now: dt.datetime


def room_refusal(facts: RoomFacts) -> ConsultationCode | None:
    """SCH-3: the room of a booked video visit opens 15 minutes before its start and stays open until the end of
    its day, for a visit still booked (or checked in, or completed during the room)."""
    if facts.mode != "video":
        return ConsultationCode.NOT_VIDEO
    if facts.status not in ("booked", "checked_in", "completed"):
        return ConsultationCode.VISIT_NOT_ACTIVE
    if facts.now < facts.starts_at - ROOM_LEAD:
        return ConsultationCode.ROOM_NOT_OPEN_YET
    if facts.today > facts.local_day:
        return ConsultationCode.ROOM_CLOSED
    return None
