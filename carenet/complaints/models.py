"""Complaints and insurance claims (FBK-2, FBK-3).

A :class:`Complaint` (reklamacja) is filed in the portal or taken by the call centre; it gets a case number at once,
and the patient follows its status and the date by which the network must answer (the statutory time). A
:class:`Claim` (roszczenie) under the patient's insurance is submitted with attachments and tracked to a decision.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Complaint(models.Model):
    """FBK-2: a complaint, tracked from filing to an answer due by ``answer_due_on``."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        IN_PROGRESS = "in_progress", _("being handled")
        ANSWERED = "answered", _("answered")

    case_number = models.CharField(_("case number"), max_length=20, unique=True)
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="complaints", verbose_name=_("patient")
    )
    subject = models.CharField(_("subject"), max_length=150)
    text = models.TextField(_("what happened"), max_length=5000)
    facility = models.ForeignKey(
        "network.Facility",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("facility"),
    )
    channel = models.CharField(_("channel"), max_length=20)
    filed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    filed_at = models.DateTimeField(_("filed at"))
    answer_due_on = models.DateField(_("answer due by"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED)
    answer = models.TextField(_("answer"), max_length=5000, blank=True)
    answered_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["-filed_at"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.CheckConstraint(
                condition=(~Q(status="answered") & Q(answered_at__isnull=True))
                | (Q(status="answered", answered_at__isnull=False) & ~Q(answer="")),
                name="complaint_answered_with_an_answer",
            ),
        ]
        indexes = [models.Index(fields=["status", "filed_at"])]

    def __str__(self) -> str:
        return self.case_number


class Claim(models.Model):
    """FBK-3: an insurance claim, tracked from submission to a decision."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        UNDER_REVIEW = "under_review", _("under review")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    case_number = models.CharField(_("case number"), max_length=20, unique=True)
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="claims", verbose_name=_("patient")
    )
    subject = models.CharField(_("subject"), max_length=150)
    description = models.TextField(_("description"), max_length=5000)
    channel = models.CharField(_("channel"), max_length=20)
    filed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    filed_at = models.DateTimeField(_("submitted at"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    decision = models.TextField(_("decision"), max_length=5000, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-filed_at"]
        verbose_name = _("insurance claim")
        verbose_name_plural = _("insurance claims")
        constraints = [
            models.CheckConstraint(
                condition=(Q(status__in=["submitted", "under_review"]) & Q(decided_at__isnull=True))
                | (Q(status__in=["accepted", "rejected"], decided_at__isnull=False) & ~Q(decision="")),
                name="claim_decided_with_a_decision",
            ),
        ]
        indexes = [models.Index(fields=["status", "filed_at"])]

    def __str__(self) -> str:
        return self.case_number
