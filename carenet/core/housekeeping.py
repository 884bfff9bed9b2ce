"""Housekeeping of the background machinery: the scheduler's run ledger and the task worker's finished results.

Both tables grow with every periodic run (a few thousand rows a day); only recent rows matter — the ledger for the
current buckets, successful results for a look in the back office, failed ones for longer, to investigate.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from carenet.core import periodic


def background_records_prune(*, now: dt.datetime) -> dict[str, int]:
    """Delete ledger rows older than a day and finished task results past their keep time; running and waiting
    tasks are never touched. Returns how many rows of each kind went."""
    keep_ok = dt.timedelta(days=settings.CARENET_TASK_RESULTS_KEEP_DAYS)
    keep_failed = dt.timedelta(days=settings.CARENET_FAILED_TASK_RESULTS_KEEP_DAYS)
    runs = periodic.prune_runs(before=now - dt.timedelta(days=1))
    succeeded, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - keep_ok
    ).delete()
    failed, _ = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED, finished_at__lt=now - keep_failed).delete()
    return {"scheduled_runs": runs, "task_results": succeeded + failed}
