"""The periodic sweep of the on-demand queues (TEL-2), run by the django-tasks worker and enqueued by
``manage.py scheduler``."""

from __future__ import annotations

from django_tasks import task

from carenet.consultations.services import consultations_close_unstaffed, rooms_close_after_their_day


@task()
def consultations_sweep() -> int:
    """TEL-2: consultations waiting in a line nobody is on duty for any more leave it (reason ``duty_ended``);
    SCH-3: booked video visits' rooms still open after the visit's day end."""
    return consultations_close_unstaffed() + rooms_close_after_their_day()
