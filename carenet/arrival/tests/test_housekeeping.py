"""Housekeeping of check-in attempts: older than a day they go; recent ones stay (they count against guessing)."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.arrival.services import checkin_attempts_prune
from carenet.booking.models import CheckInAttempt
from carenet.core import periodic

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def test_prunes_checkin_attempts_older_than_a_day() -> None:
    old = CheckInAttempt.objects.create(phone="+48600100200", device="d1", at=NOW - dt.timedelta(hours=25))
    recent = CheckInAttempt.objects.create(phone="+48600100200", device="d1", at=NOW - dt.timedelta(minutes=30))
    assert checkin_attempts_prune(now=NOW) == 1
    assert list(CheckInAttempt.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not CheckInAttempt.objects.filter(pk=old.pk).exists()


def test_the_job_is_scheduled() -> None:
    assert "prune-checkin-attempts" in {job.name for job in periodic.jobs()}
