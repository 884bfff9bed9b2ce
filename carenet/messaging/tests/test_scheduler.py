"""The idempotent scheduler: one run per job and time bucket, however many schedulers run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from carenet.core import periodic
from carenet.core.models import ScheduledRun

pytestmark = pytest.mark.django_db


def test_dispatch_outbox_is_registered() -> None:
    job = {job.name: job for job in periodic.jobs()}["dispatch-outbox"]
    assert job.every_seconds == 15
    assert job.task.module_path == "carenet.messaging.tasks.dispatch_outbox"


def test_enqueue_due_is_idempotent_per_bucket() -> None:
    start = dt.datetime(2026, 1, 5, 8, 0, 0, tzinfo=dt.UTC)
    assert "dispatch-outbox" in periodic.enqueue_due(now=start)
    assert "dispatch-outbox" not in periodic.enqueue_due(now=start + dt.timedelta(seconds=14))
    assert "dispatch-outbox" in periodic.enqueue_due(now=start + dt.timedelta(seconds=15))
    assert ScheduledRun.objects.filter(job="dispatch-outbox").count() == 2
    assert DBTaskResult.objects.filter(task_path="carenet.messaging.tasks.dispatch_outbox").count() == 2


def test_prune_runs() -> None:
    start = dt.datetime(2026, 1, 5, 8, 0, 0, tzinfo=dt.UTC)
    periodic.enqueue_due(now=start)
    assert periodic.prune_runs(before=start + dt.timedelta(days=3)) >= 1
    assert not ScheduledRun.objects.exists()


def test_scheduler_command_once() -> None:
    call_command("scheduler", "--once", verbosity=0)
    call_command("scheduler", "--once", verbosity=0)
    # Two runs within one bucket enqueue once (unless the second landed in the next 15-second bucket).
    assert 1 <= ScheduledRun.objects.filter(job="dispatch-outbox").count() <= 2
