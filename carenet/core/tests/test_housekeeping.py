"""Housekeeping: old scheduler runs and finished task results go; recent and unfinished stay."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from carenet.core import periodic
from carenet.core.housekeeping import background_records_prune
from carenet.core.models import ScheduledRun

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def _result(status: str, finished_at: dt.datetime | None) -> DBTaskResult:
    return DBTaskResult.objects.create(
        id=uuid.uuid4(),
        status=status,
        task_path="carenet.booking.tasks.expire_holds",
        args_kwargs={"args": [], "kwargs": {}},
        queue_name="default",
        backend_name="default",
        priority=0,
        run_after=None,
        enqueued_at=finished_at or NOW,
        started_at=finished_at,
        finished_at=finished_at,
    )


def test_prunes_old_runs_and_finished_results_only() -> None:
    ScheduledRun.objects.create(job="dispatch-outbox", bucket=1, enqueued_at=NOW - dt.timedelta(days=2))
    recent_run = ScheduledRun.objects.create(job="dispatch-outbox", bucket=2, enqueued_at=NOW - dt.timedelta(hours=1))
    old_ok = _result(TaskResultStatus.SUCCESSFUL, NOW - dt.timedelta(days=2))
    new_ok = _result(TaskResultStatus.SUCCESSFUL, NOW - dt.timedelta(hours=2))
    old_failed = _result(TaskResultStatus.FAILED, NOW - dt.timedelta(days=30))
    recent_failed = _result(TaskResultStatus.FAILED, NOW - dt.timedelta(days=3))
    running = _result(TaskResultStatus.RUNNING, None)
    waiting = _result(TaskResultStatus.READY, None)

    assert background_records_prune(now=NOW) == {"scheduled_runs": 1, "task_results": 2}

    assert list(ScheduledRun.objects.values_list("pk", flat=True)) == [recent_run.pk]
    kept = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert kept == {new_ok.pk, recent_failed.pk, running.pk, waiting.pk}
    assert old_ok.pk not in kept and old_failed.pk not in kept
    assert background_records_prune(now=NOW) == {"scheduled_runs": 0, "task_results": 0}


def test_the_job_is_scheduled() -> None:
    names = {job.name for job in periodic.jobs()}
    assert "prune-background-records" in names
