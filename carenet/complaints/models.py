"""Complaints and insurance claims (FBK-2, FBK-3).

A :class:`Complaint` (reklamacja) is filed in the portal or taken by the call centre; it gets a case number at once,
and the patient follows its status and the date by which the network must answer (the statutory time). A
:class:`Claim` (roszczenie) under the patient's insurance is submitted with attachments and tracked to a decision.
"""

from __future__ import annotations

from django.core.files.storage import Storage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

#: The private storage alias of ``STORAGES`` the claims' attachments live in (as the patients' files, FIL-2).
ATTACHMENT_STORAGE_ALIAS = "private"


def _private_storage() -> Storage:
    from django.core.files.storage import storages

    return storages[ATTACHMENT_STORAGE_ALIAS]


class CaseCounter(models.Model):
    """The last case number given of one series (``RK`` complaints, ``RS`` claims) in one year: the number is taken
    by a conditional UPDATE of this row inside the filing's transaction, so two filings at once never share one."""

    series = models.CharField(_("series"), max_length=4)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number given"), default=0)

    class Meta:
        verbose_name = _("case number counter")
        verbose_name_plural = _("case number counters")
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="one_case_counter_per_series_year")]

    def __str__(self) -> str:
        return f"{self.series}/{self.year}: {self.last}"


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
    appointment = models.ForeignKey(
        "booking.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("visit"),
    )
    channel = models.CharField(_("channel"), max_length=20)
    filed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    filed_at = models.DateTimeField(_("filed at"))
    taken_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handled by"),
    )
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
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
    reviewed_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("review started at"), null=True, blank=True)
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


class ClaimAttachment(models.Model):
    """FBK-3, FIL-2: a document sent with a claim (an invoice, a medical record), checked by its content and disarmed
    before it is stored under a random name in the private storage; served only through access-checked views."""

    class Kind(models.TextChoices):
        JPEG = "image/jpeg", "JPEG"
        PNG = "image/png", "PNG"
        PDF = "application/pdf", "PDF"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("claim"))
    stored = models.FileField(_("file"), storage=_private_storage, upload_to="claim-files/%Y/%m/", max_length=200)
    original_name = models.CharField(_("file name"), max_length=120)
    content_type = models.CharField(_("format"), max_length=20, choices=Kind.choices)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("claim attachment")
        verbose_name_plural = _("claim attachments")
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="claim_attachment_not_empty")]

    def __str__(self) -> str:
        return self.original_name
