"""Background work of accounts, run by the django-tasks database worker."""

from __future__ import annotations

from django_tasks import task

from carenet.accounts.reads import patient_reads_purge
from carenet.core import clock


@task()
def prune_patient_reads() -> int:
    """Forget reads of patient data past ``CARENET_READ_RECORD_KEEP_DAYS`` (hourly); returns how many went."""
    return patient_reads_purge(now=clock.now())
