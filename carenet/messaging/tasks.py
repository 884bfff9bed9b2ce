"""Background work of the SMS channel, run by the django-tasks database worker (``manage.py db_worker``)."""

from __future__ import annotations

import time

from django_tasks import task

from carenet.core import clock
from carenet.messaging.services import outbox_dispatch_due, outbox_secrets_scrub_expired

# One task run keeps sending while messages are due, but hands the worker back now and then.
MAX_RUN_SECONDS = 60.0


@task()
def dispatch_outbox() -> int:
    """Send every due outbox message (SMS-3); returns how many were claimed.

    Enqueued after each transaction that records messages (a hint) and by the scheduler every few seconds (the
    sweep that also picks up leases left by a crashed worker).
    """
    started = time.monotonic()
    total = 0
    while time.monotonic() - started < MAX_RUN_SECONDS:
        claimed = outbox_dispatch_due()
        total += claimed
        if claimed == 0:
            break
    return total


@task()
def scrub_expired_secrets() -> int:
    """Hourly: first passwords that expired in messages never sent leave the stored body."""
    return outbox_secrets_scrub_expired(now=clock.now())
