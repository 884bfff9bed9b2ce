"""Prescription renewal requests (CLN-2): "Zamów receptę" — a patient (in the portal or the app), the call centre or
reception orders a renewal of a drug a network clinician prescribed before; the prescribing clinician (or, while
they are away, their facility's clinicians) issues a new e-prescription or declines."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carenet.renewals.policies import NOTE_MAX_LENGTH, REASON_MAX_LENGTH


class RenewalRequest(models.Model):
    """One order of a renewal: at most one pending per patient and drug (a second order waits for the first's
    answer). ``due_at`` is the promised answer time (the service time in working days); ``shared_at`` the half of
    it, after which the facility's clinicians see the request too."""

    class Channel(models.TextChoices):
        PORTAL = "portal", _("patient portal")
        MOBILE = "mobile", _("mobile app")
        CALL_CENTRE = "call_centre", _("call centre")
        RECEPTION = "reception", _("reception")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the doctor")
        ISSUED = "issued", _("prescription issued")
        DECLINED = "declined", _("declined")

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="renewal_requests", verbose_name=_("patient")
    )
    drug = models.ForeignKey("clinical.Drug", on_delete=models.PROTECT, related_name="+", verbose_name=_("drug"))
    renews = models.ForeignKey(
        "clinical.Prescription",
        on_delete=models.PROTECT,
        related_name="renewal_requests",
        verbose_name=_("renews prescription"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    note = models.CharField(_("patient's note"), max_length=NOTE_MAX_LENGTH, blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    clinician = models.ForeignKey(
        "network.Clinician",
        on_delete=models.PROTECT,
        related_name="renewal_requests",
        verbose_name=_("assigned clinician"),
    )
    facility = models.ForeignKey(
        "network.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("facility")
    )
    due_at = models.DateTimeField(_("answer due by"))
    shared_at = models.DateTimeField(_("shown to the facility's clinicians from"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "network.Clinician",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decline_reason = models.CharField(_("reason for declining"), max_length=REASON_MAX_LENGTH, blank=True, default="")
    prescription = models.OneToOneField(
        "clinical.Prescription",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal_request",
        verbose_name=_("issued prescription"),
    )
    created_at = models.DateTimeField(_("ordered at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("prescription renewal request")
        verbose_name_plural = _("prescription renewal requests")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "drug"],
                condition=Q(status="pending"),
                name="one_pending_renewal_per_patient_and_drug",
                violation_error_message=_("A renewal of this drug is already waiting for the doctor."),
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False, decided_by__isnull=False)),
                name="renewal_decision_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status="issued") | Q(prescription__isnull=False), name="issued_renewal_names_prescription"
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""), name="declined_renewal_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["clinician", "due_at"], condition=Q(status="pending"), name="renewal_pending_by_doc"),
            models.Index(fields=["facility", "due_at"], condition=Q(status="pending"), name="renewal_pending_by_fac"),
            models.Index(fields=["patient", "created_at"], name="renewal_by_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.drug} ({self.status})"
