"""Periodic jobs: a registry and an idempotent way to enqueue each run once.

Apps register their jobs when they load (``AppConfig.ready``)::

    periodic.register("dispatch-outbox", every_seconds=15, task=dispatch_outbox)

``manage.py scheduler`` calls :func:`enqueue_due` every second. Time is cut into buckets of ``every_seconds``; a
run is a row (job, bucket) inserted in the same transaction that enqueues the task, so two schedulers running at
once never enqueue the same run twice, and a scheduler restarted within a bucket does not repeat it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import IntegrityError, transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: int
    task: Any  # a django_tasks Task taking no arguments


_jobs: dict[str, PeriodicJob] = {}
_lock = threading.Lock()


def register(name: str, *, every_seconds: int, task: Any) -> None:
    """Add or replace a periodic job."""
    if every_seconds < 1:
        raise ValueError("a periodic job runs at most once a second")
    with _lock:
        _jobs[name] = PeriodicJob(name=name, every_seconds=every_seconds, task=task)


def jobs() -> list[PeriodicJob]:
    with _lock:
        return sorted(_jobs.values(), key=lambda job: job.name)


def bucket_of(now: dt.datetime, every_seconds: int) -> int:
    """The number of the time bucket ``now`` falls in (buckets are aligned to the Unix epoch)."""
    return int(now.timestamp() // every_seconds)


def enqueue_due(*, now: dt.datetime) -> list[str]:
    """Enqueue each job whose current bucket has not run yet; returns the names enqueued."""
    scheduled_run = apps.get_model("core", "ScheduledRun")
    enqueued: list[str] = []
    for job in jobs():
        bucket = bucket_of(now, job.every_seconds)
        try:
            with transaction.atomic():
                scheduled_run.objects.create(job=job.name, bucket=bucket, enqueued_at=now)
                job.task.enqueue()
        except IntegrityError:
            continue  # this run was already enqueued (by us earlier, or by another scheduler)
        except Exception:  # one broken job must not stop the others
            logger.exception("periodic: could not enqueue %s", job.name)
            continue
        enqueued.append(job.name)
    return enqueued


def prune_runs(*, before: dt.datetime) -> int:
    """Forget runs enqueued before ``before`` (the ledger only has to cover the current buckets)."""
    scheduled_run = apps.get_model("core", "ScheduledRun")
    deleted, _ = scheduled_run.objects.filter(enqueued_at__lt=before).delete()
    return deleted
