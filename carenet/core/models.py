"""Core tables: the ledger of the periodic scheduler."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ScheduledRun(models.Model):
    """One run of a periodic job per time bucket: two schedulers never enqueue the same run twice."""

    job = models.CharField(_("job"), max_length=100)
    bucket = models.BigIntegerField(_("time bucket"))
    enqueued_at = models.DateTimeField(_("enqueued at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-enqueued_at"]
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        constraints = [models.UniqueConstraint(fields=["job", "bucket"], name="scheduled_run_once_per_bucket")]

    def __str__(self) -> str:
        return f"{self.job}#{self.bucket}"
