"""Periodic housekeeping, run by the django-tasks worker and enqueued by ``manage.py scheduler``."""

from __future__ import annotations

from django_tasks import task

from carenet.core import clock
from carenet.core.housekeeping import background_records_prune


@task()
def prune_background_records() -> dict[str, int]:
    """Forget old scheduler runs and finished task results (hourly)."""
    return background_records_prune(now=clock.now())
