"""Background work of the API, run by the django-tasks database worker."""

from __future__ import annotations

from django_tasks import task

from carenet.api.idempotency import idempotency_prune
from carenet.core import clock


@task()
def prune_idempotency_records() -> int:
    """Forget idempotent answers older than a day; returns how many were deleted."""
    return idempotency_prune(now=clock.now())
