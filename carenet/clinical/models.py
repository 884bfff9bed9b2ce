"""Clinical documents. For now the referral (CLN-1, BKG-4, BKG-6): what a booking that needs one consumes."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carenet.core.audit import audit


class Referral(models.Model):
    """A referral for a service: issued by a network clinician (CLN-1, BKG-4), or an employer's referral to an
    occupational-medicine exam (BKG-6, ``issued_by`` empty, the employer's data filled in).

    A booking that needs it sets ``used_by``; cancelling that booking clears it, so the referral can be booked
    again while it is valid. The status (active / used / expired) is derived: see
    :func:`carenet.clinical.policies.referral_status`.
    """

    class Source(models.TextChoices):
        NETWORK = "network", _("network clinician")
        EMPLOYER = "employer", _("employer (occupational medicine)")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        USED = "used", _("used")
        EXPIRED = "expired", _("expired")

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="referrals", verbose_name=_("patient")
    )
    service = models.ForeignKey(
        "network.Service", on_delete=models.PROTECT, related_name="referrals", verbose_name=_("service")
    )
    issued_by = models.ForeignKey(
        "network.Clinician",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_issued",
        verbose_name=_("issued by"),
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.NETWORK)
    issued_at = models.DateTimeField(_("issued at"))
    valid_until = models.DateField(_("valid until"))
    employer_name = models.CharField(_("employer"), max_length=200, blank=True)
    employer_nip = models.CharField(_("employer's NIP"), max_length=10, blank=True)
    employer_referral_number = models.CharField(_("employer's referral number"), max_length=60, blank=True)
    used_by = models.OneToOneField(
        "booking.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referral",
        verbose_name=_("used by appointment"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(
                condition=(Q(source="network") & Q(issued_by__isnull=False))
                | (Q(source="employer") & ~Q(employer_name="") & ~Q(employer_referral_number="")),
                name="referral_has_an_issuer",
                violation_error_message=_(
                    "A network referral names its clinician; an employer's referral names the employer and its number."
                ),
            ),
        ]
        indexes = [models.Index(fields=["patient", "valid_until"])]

    def __str__(self) -> str:
        return f"{self.patient}: {self.service} ({self.valid_until:%Y-%m-%d})"


audit(Referral)
