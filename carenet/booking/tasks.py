"""Periodic booking work, run by the django-tasks worker and enqueued by ``manage.py scheduler``."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

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
