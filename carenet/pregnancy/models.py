"""Pregnancy care (BKG-7).

:class:`PregnancyCare` records that a patient's pregnancy is led at a facility (by a clinician there, from a day,
until it ends); while one is open, the patient books pregnancy services only at the facilities where it is led. When
that is not possible — the facility cannot see her, she moved — the patient (in the portal) or the call centre files
a :class:`PregnancyRequest`: the name, a phone, the facility that failed, the wanted city and whether in person or by
telemedicine. Coordinators resolve each request with a booking or a reason, and the patient is told by SMS.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PregnancyCare(models.Model):
    """BKG-7: a facility where a patient's pregnancy is led (open while ``ended_on`` is empty or still ahead)."""

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="pregnancy_care", verbose_name=_("patient")
    )
    facility = models.ForeignKey(
        "network.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("facility")
    )
    clinician = models.ForeignKey(
        "network.Clinician",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("leading clinician"),
    )
    started_on = models.DateField(_("led since"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-started_on"]
        verbose_name = _("pregnancy care")
        verbose_name_plural = _("pregnancy care")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(started_on__lte=models.F("ended_on")),
                name="pregnancy_care_ends_after_start",
                violation_error_message=_("Pregnancy care cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["patient", "ended_on"])]

    def __str__(self) -> str:
        return f"{self.patient} – {self.facility}"


class PregnancyRequest(models.Model):
    """BKG-7: a request for pregnancy care where the patient's own facility failed, resolved by coordinators."""

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("in person")
        TELEMEDICINE = "telemedicine", _("telemedicine")

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for a coordinator")
        BOOKED = "booked", _("resolved with a booking")
        DECLINED = "declined", _("resolved with a reason")

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="pregnancy_requests", verbose_name=_("patient")
    )
    name = models.CharField(_("name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=16)
    failed_facility = models.ForeignKey(
        "network.Facility",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("facility that could not help"),
    )
    wanted_city = models.ForeignKey(
        "network.City", on_delete=models.PROTECT, related_name="+", verbose_name=_("wanted city")
    )
    mode = models.CharField(_("in person or telemedicine"), max_length=12, choices=Mode.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    channel = models.CharField(_("channel"), max_length=20)
    filed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    appointment = models.ForeignKey(
        "booking.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("booked visit"),
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("pregnancy-care request")
        verbose_name_plural = _("pregnancy-care requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | Q(status="booked", appointment__isnull=False, resolved_at__isnull=False)
                | (Q(status="declined", resolved_at__isnull=False) & ~Q(reason="")),
                name="pregnancy_request_resolution_matches_status",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"
