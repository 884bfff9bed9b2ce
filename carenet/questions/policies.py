"""The rules of "Zapytaj lekarza" — Ask the doctor (CLN-4, ACC-4). Pure Python: no Django, ``now`` passed in.

* A patient (or the guardian of a child they act for) asks about a **completed** visit — never a cancelled one, a
  no-show or a visit still to come — within :data:`ASK_WINDOW_DAYS` days after it ended. The issue does not say how
  long a question about a visit still makes sense; a month covers the questions a visit raises (a result to read,
  a dose to adjust) without turning the inbox into a second channel of consultations without a visit.
* A question is 1 to :data:`QUESTION_MAX_CHARS` characters of plain text (no NUL or other control characters).
* At most one **open** question per visit; after an answer the patient may ask again — a new question, so every
  question keeps its own answer.
* The answer is due after a service time in **working days** (weekends and Polish public holidays skipped); past
  it, the question is routed to the clinicians of the visit's specialty at the visit's facility (a teleconsultation
  has no facility: to the network's clinicians of that specialty), who may answer it as well as the visit's own
  clinician.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from enum import StrEnum

from carenet.core.validation import text_problem

#: How long after the end of a visit a question about it may be asked (days).
ASK_WINDOW_DAYS = 30
#: The longest question, and the longest answer (characters).
QUESTION_MAX_CHARS = 2000
#: The status of a visit that may be asked about (``booking.Appointment.Status.COMPLETED``).
COMPLETED = "completed"


class QuestionRefusal(StrEnum):
    """Why a question cannot be asked or answered: the stable codes of the API and the pages."""

    VISIT_NOT_COMPLETED = "visit_not_completed"
    WINDOW_CLOSED = "question_window_closed"
    TEXT_EMPTY = "question_text_empty"
    TEXT_TOO_LONG = "question_text_too_long"
    TEXT_INVALID = "question_text_invalid"
    OPEN_EXISTS = "question_already_open"
    ALREADY_ANSWERED = "question_already_answered"


def ask_until(visit_ended_at: dt.datetime) -> dt.datetime:
    """The last moment a question about a visit that ended at ``visit_ended_at`` may be asked."""
    return visit_ended_at + dt.timedelta(days=ASK_WINDOW_DAYS)


def ask_refusal(*, visit_status: str, visit_ended_at: dt.datetime, now: dt.datetime) -> QuestionRefusal | None:
    """CLN-4: ``None`` when a question may be asked about this visit now, else why not."""
    if visit_status != COMPLETED:
        return QuestionRefusal.VISIT_NOT_COMPLETED
    if now > ask_until(visit_ended_at):
        return QuestionRefusal.WINDOW_CLOSED
    return None


def text_refusal(text: str) -> QuestionRefusal | None:
    """A question's (or an answer's) text: not blank, at most :data:`QUESTION_MAX_CHARS` characters, no control
    characters (which PostgreSQL refuses, or which hide text)."""
    if not text.strip():
        return QuestionRefusal.TEXT_EMPTY
    if len(text) > QUESTION_MAX_CHARS:
        return QuestionRefusal.TEXT_TOO_LONG
    if text_problem(text) is not None:
        return QuestionRefusal.TEXT_INVALID
    return None


def is_working_day(day: dt.date, holidays: Collection[dt.date]) -> bool:
    """Monday to Friday, and not a public holiday."""
    return day.isoweekday() <= 5 and day not in holidays


def due_at(*, asked_at: dt.datetime, working_days: int, holidays: Collection[dt.date], tz: dt.tzinfo) -> dt.datetime:
    """The service time of a question asked at ``asked_at``: the same local time (in ``tz``) on the
    ``working_days``-th working day after the day it was asked. A question asked on Friday at 15:00 with two working
    days is due on Tuesday at 15:00; one asked on Saturday at 10:00 on Tuesday at 10:00. ``holidays`` must cover the
    days in between (``working_days`` 0: due at once)."""
    local = asked_at.astimezone(tz)
    day = local.date()
    counted = 0
    while counted < working_days:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays):
            counted += 1
    naive = dt.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=tz)
    # A wall time that does not exist (the spring DST jump) is read by zoneinfo with the offset before it; fine here.
    return naive.astimezone(dt.UTC)


def may_answer(
    *,
    clinician_id: int,
    clinician_specialty_ids: Collection[int],
    clinician_facility_ids: Collection[int],
    visit_clinician_id: int,
    specialty_id: int | None,
    facility_id: int | None,
    routed: bool,
) -> bool:
    """CLN-4: the visit's own clinician answers; once the question is routed (past its service time), so may a
    clinician of the visit's specialty at the visit's facility (any facility for a teleconsultation)."""
    if clinician_id == visit_clinician_id:
        return True
    if not routed or specialty_id is None or specialty_id not in clinician_specialty_ids:
        return False
    return facility_id is None or facility_id in clinician_facility_ids


def is_overdue(*, status_open: bool, due: dt.datetime, now: dt.datetime) -> bool:
    """An open question past its service time (marked in the clinician's inbox)."""
    return status_open and now > due
