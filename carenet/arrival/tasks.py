"""Periodic arrival work (CHK-3, CHK-4, CHK-5), run by the django-tasks worker and enqueued by ``manage.py
scheduler``."""

from __future__ import annotations

from django_tasks import task

from carenet.arrival.services import checkin_attempts_prune, checkin_questions_enqueue, no_shows_record


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
