"""What a closure did to each visit (NET-3): the cancelled visit, whom it belonged to, the referral it used, the
visit it was rebooked as, and the call centre's follow-up."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carenet.core.audit import audit


class ClosureNotice(models.Model):
    """One visit cancelled by a closure: written with the closure, in its transaction (one row per visit)."""

    closure = models.ForeignKey(
        "network.FacilityClosure", on_delete=models.PROTECT, related_name="notices", verbose_name=_("closure")
    )
    appointment = models.OneToOneField(
        "booking.Appointment",
        on_delete=models.PROTECT,
        related_name="closure_notice",
        verbose_name=_("cancelled visit"),
    )
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="closure_notices", verbose_name=_("patient")
    )
    # The referral the cancelled visit used (BKG-4): released with the cancellation, offered to the rebooking.
    referral = models.ForeignKey(
        "clinical.Referral",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referral"),
    )
    created_at = models.DateTimeField(_("notified at"))
    rebooked = models.OneToOneField(
        "booking.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rebooked_after_closure",
        verbose_name=_("rebooked visit"),
    )
    rebooked_at = models.DateTimeField(_("rebooked at"), null=True, blank=True)
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    called_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("called by")
    )
    note = models.CharField(_("note"), max_length=500, blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("closure notice")
        verbose_name_plural = _("closure notices")
        indexes = [
            models.Index(fields=["closure", "rebooked"], name="closure_notice_progress"),
            models.Index(fields=["patient", "created_at"], name="closure_notice_patient"),
            models.Index(fields=["created_at"], condition=Q(rebooked__isnull=True), name="closure_notice_not_rebooked"),
        ]

    def __str__(self) -> str:
        return f"{self.closure_id}: {self.appointment_id}"


audit(ClosureNotice)
