"""Periodic booking work, run by the django-tasks worker and enqueued by ``manage.py scheduler``."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from carenet.booking.arrival import checkin_attempts_prune, checkin_questions_enqueue, no_shows_record
from carenet.booking.services import holds_expire, reminders_enqueue
from carenet.core import clock


@task()
def expire_holds() -> int:
    """Free the slots of holds nobody confirmed in time (FHIR $hold)."""
    return holds_expire()


@task()
def enqueue_day_before_reminders() -> int:
    """SMS-1: tomorrow's reminders; hourly, idempotent through the outbox keys (late bookings get theirs too)."""
    return reminders_enqueue(day=clock.today() + dt.timedelta(days=1))


@task()
def record_no_shows() -> int:
    """CHK-5: visits still booked when their slot has ended become no-shows (idempotent conditional UPDATE)."""
    return no_shows_record()


@task()
def enqueue_checkin_questions() -> int:
    """CHK-3: the SMS check-in question for eligible visits starting within 15 minutes (once per visit)."""
    return checkin_questions_enqueue()


@task()
def prune_checkin_attempts() -> int:
    """CHK-4: old attempts of the check-in page are not needed for its hourly limit (hourly)."""
    return checkin_attempts_prune()
