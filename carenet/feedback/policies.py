"""The rules of feedback (FBK-1, SMS-1). Pure Python: no Django, ``now`` and the time zone passed in.

* **A completed visit** (the one "Oceń wizytę" asks about): closed by the clinician (``completed``), or checked in
  and over (``checked_in`` with its slot ended — the clinician did not close it, but the patient came). A cancelled
  visit, a no-show, a visit refused as late, a hold or a visit still to come is not one.
* **"Oceń wizytę" for 7 days**: from the end of the visit until the end of the 7th calendar day after the visit's
  day (Warsaw): a visit on Monday at 10:00 may be rated until the next Monday at 23:59:59. Calendar days, not
  168 hours, so that the patient is never told "until 10:15 on Monday". A visit whose patient was invited to the
  survey (a random sample, below) may also be rated for :data:`RATE_DAYS` days after the invitation was sent — the
  invitation's link must work for as long as the portal's button would, whenever the message is read.
* **Once**: one rating per visit (a database constraint; a second attempt — also at the same moment — is refused
  with ``rating_already_given``).
* **A rating** is 1–5 and an optional comment of at most :data:`COMMENT_MAX_CHARS` characters of text (no control
  characters).
* **"Oceń nas"** is always available, once in ``interval_days`` per patient (``CARENET_RATE_US_DAYS``, 30 by default:
  often enough to tell us something new, rarely enough that one person's mood does not fill the average).
* **The survey sample** (SMS-1, FBK-1): a visit is chosen when ``HMAC-SHA256(seed, "survey:<visit id>")`` read as a
  fraction of 2^64 is below the rate — a pure function of the visit's id and the seed, so a rerun picks the same
  visits and a test can predict them, and nobody can tell from the id alone whether a visit will be chosen. A patient
  invited within ``patient_days`` days is not invited again; of two chosen visits of one patient on one day, the
  earlier is invited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from enum import StrEnum

from carenet.core.validation import text_problem

#: "Oceń wizytę" is shown this many calendar days after the visit's day.
RATE_DAYS = 7
#: The longest comment (characters).
COMMENT_MAX_CHARS = 1000
#: The lowest and the highest score.
SCORE_MIN, SCORE_MAX = 1, 5

#: The statuses of ``booking.Appointment`` this module reads.
COMPLETED = "completed"
CHECKED_IN = "checked_in"


class RatingCode(StrEnum):
    """Why a rating cannot be given: the stable codes of the API and the pages."""

    VISIT_NOT_COMPLETED = "visit_not_completed"
    WINDOW_CLOSED = "rating_window_closed"
    ALREADY_RATED = "rating_already_given"
    SCORE_INVALID = "rating_score_invalid"
    COMMENT_TOO_LONG = "rating_comment_too_long"
    COMMENT_INVALID = "rating_comment_invalid"
    TOO_SOON = "rating_too_soon"


def visit_completed(*, status: str, ends_at: dt.datetime, now: dt.datetime) -> bool:
    """FBK-1: the visit took place — closed by the clinician, or checked in and over."""
    return status == COMPLETED or (status == CHECKED_IN and ends_at <= now)


def end_of_day_after(moment: dt.datetime, *, days: int, tz: dt.tzinfo) -> dt.datetime:
    """The last moment (23:59:59.999999 local) of the ``days``-th calendar day after ``moment``'s local day."""
    day = moment.astimezone(tz).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time.max, tzinfo=tz)


def rate_until(*, ends_at: dt.datetime, invited_at: dt.datetime | None, tz: dt.tzinfo) -> dt.datetime:
    """The last moment a visit that ended at ``ends_at`` may be rated: :data:`RATE_DAYS` calendar days after its
    day, or after the day of its survey invitation (``invited_at``) when that is later."""
    until = end_of_day_after(ends_at, days=RATE_DAYS, tz=tz)
    if invited_at is not None:
        until = max(until, end_of_day_after(invited_at, days=RATE_DAYS, tz=tz))
    return until


def visit_rating_refusal(
    *,
    status: str,
    ends_at: dt.datetime,
    invited_at: dt.datetime | None,
    rated: bool,
    now: dt.datetime,
    tz: dt.tzinfo,
) -> RatingCode | None:
    """FBK-1: ``None`` when the visit may be rated now, else why not (already rated wins: it is what the patient
    needs to hear)."""
    if rated:
        return RatingCode.ALREADY_RATED
    if not visit_completed(status=status, ends_at=ends_at, now=now):
        return RatingCode.VISIT_NOT_COMPLETED
    if now > rate_until(ends_at=ends_at, invited_at=invited_at, tz=tz):
        return RatingCode.WINDOW_CLOSED
    return None


def score_refusal(score: object) -> RatingCode | None:
    """A score is a whole number 1–5 (not a bool, not a string)."""
    if isinstance(score, bool) or not isinstance(score, int) or not SCORE_MIN <= score <= SCORE_MAX:
        return RatingCode.SCORE_INVALID
    return None


def comment_refusal(comment: str) -> RatingCode | None:
    """An optional comment: at most :data:`COMMENT_MAX_CHARS` characters, no control characters."""
    if len(comment) > COMMENT_MAX_CHARS:
        return RatingCode.COMMENT_TOO_LONG
    if text_problem(comment) is not None:
        return RatingCode.COMMENT_INVALID
    return None


def next_network_rating_at(*, last_rated_at: dt.datetime | None, interval_days: int) -> dt.datetime | None:
    """ "Oceń nas": when the patient may rate the network again (``None``: now — never rated)."""
    if last_rated_at is None:
        return None
    return last_rated_at + dt.timedelta(days=interval_days)


def network_rating_refusal(
    *, last_rated_at: dt.datetime | None, interval_days: int, now: dt.datetime
) -> RatingCode | None:
    """ "Oceń nas": once in ``interval_days`` days per patient."""
    next_at = next_network_rating_at(last_rated_at=last_rated_at, interval_days=interval_days)
    if next_at is not None and now < next_at:
        return RatingCode.TOO_SOON
    return None


def sample_fraction(*, appointment_id: int, seed: str) -> float:
    """The visit's place in [0, 1): the first 8 bytes of ``HMAC-SHA256(seed, "survey:<id>")`` over 2^64."""
    digest = hmac.new(seed.encode(), f"survey:{appointment_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def in_sample(*, appointment_id: int, rate: float, seed: str) -> bool:
    """SMS-1, FBK-1: whether the visit is in the survey's random sample at ``rate`` (0: none, 1: all)."""
    if rate <= 0:
        return False
    return rate >= 1 or sample_fraction(appointment_id=appointment_id, seed=seed) < rate


def patient_may_be_invited(*, last_invited_at: dt.datetime | None, patient_days: int, now: dt.datetime) -> bool:
    """Never the same patient twice within ``patient_days`` days."""
    return last_invited_at is None or now - last_invited_at >= dt.timedelta(days=patient_days)
