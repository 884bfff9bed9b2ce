"""The rules of feedback (FBK-1, SMS-1), without a database."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from zoneinfo import ZoneInfo

import pytest

from carenet.feedback import policies
from carenet.feedback.policies import RatingCode

WARSAW = ZoneInfo("Europe/Warsaw")
#: A visit on Monday 2 March 2026, 10:00–10:15 in Warsaw.
ENDS = dt.datetime(2026, 3, 2, 10, 15, tzinfo=WARSAW)


def refusal(now: dt.datetime, *, status: str = "completed", invited: dt.datetime | None = None, rated: bool = False):
    return policies.visit_rating_refusal(
        status=status, ends_at=ENDS, invited_at=invited, rated=rated, now=now, tz=WARSAW
    )


@pytest.mark.parametrize(
    ("status", "ended", "completed"),
    [
        ("completed", True, True),
        ("completed", False, True),  # closed by the clinician early: it took place
        ("checked_in", True, True),  # came, the clinician did not close it
        ("checked_in", False, False),  # still going on
        ("booked", True, False),
        ("cancelled", True, False),
        ("no_show", True, False),
        ("refused_late", True, False),
        ("held", True, False),
    ],
)
def test_a_completed_visit(status: str, ended: bool, completed: bool) -> None:
    now = ENDS + dt.timedelta(minutes=1 if ended else -5)
    assert policies.visit_completed(status=status, ends_at=ENDS, now=now) is completed


def test_a_visit_may_be_rated_until_the_end_of_the_seventh_day_after_it() -> None:
    last = policies.rate_until(ends_at=ENDS, invited_at=None, tz=WARSAW)
    assert last == dt.datetime(2026, 3, 9, 23, 59, 59, 999999, tzinfo=WARSAW)  # the next Monday, whole
    assert refusal(ENDS + dt.timedelta(minutes=1)) is None
    assert refusal(last) is None
    assert refusal(last + dt.timedelta(microseconds=1)) is RatingCode.WINDOW_CLOSED


def test_an_invitation_keeps_the_link_working_for_seven_days_after_it() -> None:
    invited = dt.datetime(2026, 3, 5, 10, 0, tzinfo=WARSAW)
    last = policies.rate_until(ends_at=ENDS, invited_at=invited, tz=WARSAW)
    assert last == dt.datetime(2026, 3, 12, 23, 59, 59, 999999, tzinfo=WARSAW)
    assert refusal(dt.datetime(2026, 3, 11, 8, 0, tzinfo=WARSAW), invited=invited) is None
    assert refusal(dt.datetime(2026, 3, 11, 8, 0, tzinfo=WARSAW)) is RatingCode.WINDOW_CLOSED
    # An invitation sent the day after the visit never shortens the visit's own window.
    early = dt.datetime(2026, 3, 1, 10, 0, tzinfo=WARSAW)
    assert policies.rate_until(ends_at=ENDS, invited_at=early, tz=WARSAW) == policies.rate_until(
        ends_at=ENDS, invited_at=None, tz=WARSAW
    )


def test_once_and_only_a_visit_that_took_place() -> None:
    later = ENDS + dt.timedelta(days=1)
    assert refusal(later, rated=True) is RatingCode.ALREADY_RATED
    assert refusal(later, status="cancelled") is RatingCode.VISIT_NOT_COMPLETED
    assert refusal(ENDS - dt.timedelta(days=1), status="booked") is RatingCode.VISIT_NOT_COMPLETED


@pytest.mark.parametrize(
    ("score", "code"),
    [
        (1, None),
        (5, None),
        (0, RatingCode.SCORE_INVALID),
        (6, RatingCode.SCORE_INVALID),
        (True, RatingCode.SCORE_INVALID),
        ("4", RatingCode.SCORE_INVALID),
        (4.0, RatingCode.SCORE_INVALID),
        (None, RatingCode.SCORE_INVALID),
    ],
)
def test_the_score(score: object, code: RatingCode | None) -> None:
    assert policies.score_refusal(score) is code


@pytest.mark.parametrize(
    ("comment", "code"),
    [
        ("", None),
        ("Bardzo miła pani doktor 👍", None),
        ("Linia 1\r\nLinia 2", None),
        ("x" * policies.COMMENT_MAX_CHARS, None),
        ("x" * (policies.COMMENT_MAX_CHARS + 1), RatingCode.COMMENT_TOO_LONG),
        ("Dobrze\x00", RatingCode.COMMENT_INVALID),
        ("Dobrze\x1b[31m", RatingCode.COMMENT_INVALID),
    ],
)
def test_the_comment(comment: str, code: RatingCode | None) -> None:
    assert policies.comment_refusal(comment) is code


def test_rate_us_once_in_the_interval() -> None:
    last = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    assert policies.network_rating_refusal(last_rated_at=None, interval_days=30, now=last) is None
    assert policies.next_network_rating_at(last_rated_at=last, interval_days=30) == last + dt.timedelta(days=30)
    soon = last + dt.timedelta(days=29, hours=23)
    assert policies.network_rating_refusal(last_rated_at=last, interval_days=30, now=soon) is RatingCode.TOO_SOON
    again = last + dt.timedelta(days=30)
    assert policies.network_rating_refusal(last_rated_at=last, interval_days=30, now=again) is None


def test_the_sample_is_the_hmac_of_the_visit_id() -> None:
    seed = "ziarno"
    for visit_id in (1, 42, 10**12):
        digest = hmac.new(b"ziarno", f"survey:{visit_id}".encode(), hashlib.sha256).digest()
        expected = int.from_bytes(digest[:8], "big") / 2**64
        assert policies.sample_fraction(appointment_id=visit_id, seed=seed) == expected
        assert policies.in_sample(appointment_id=visit_id, rate=0.5, seed=seed) is (expected < 0.5)


def test_the_sample_rate_is_kept_and_the_seed_matters() -> None:
    ids = range(1, 20001)
    chosen = {i for i in ids if policies.in_sample(appointment_id=i, rate=0.1, seed="a")}
    assert 0.09 < len(chosen) / len(ids) < 0.11
    assert chosen == {i for i in ids if policies.in_sample(appointment_id=i, rate=0.1, seed="a")}  # a rerun
    assert chosen != {i for i in ids if policies.in_sample(appointment_id=i, rate=0.1, seed="b")}
    assert not any(policies.in_sample(appointment_id=i, rate=0, seed="a") for i in ids)
    assert all(policies.in_sample(appointment_id=i, rate=1, seed="a") for i in ids)


def test_never_the_same_patient_twice_in_the_period() -> None:
    now = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
    assert policies.patient_may_be_invited(last_invited_at=None, patient_days=90, now=now)
    assert not policies.patient_may_be_invited(last_invited_at=now - dt.timedelta(days=89), patient_days=90, now=now)
    assert policies.patient_may_be_invited(last_invited_at=now - dt.timedelta(days=90), patient_days=90, now=now)
