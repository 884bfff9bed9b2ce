"""Feedback (FBK-1).

:class:`VisitRating` — "Oceń wizytę": for 7 days after a completed visit the patient rates it 1–5 with an optional
comment, once. :class:`NetworkRating` — "Oceń nas": a general rating of the network, always available. The survey
after an online consultation lives with the consultations (``consultations.SurveyAnswer``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

SCORE_RANGE = Q(score__gte=1) & Q(score__lte=5)


class VisitRating(models.Model):
    """FBK-1: one rating (1–5, optional comment) of a completed visit, given within 7 days of it."""

    appointment = models.OneToOneField(
        "booking.Appointment", on_delete=models.CASCADE, related_name="rating", verbose_name=_("visit")
    )
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.CASCADE, related_name="+", verbose_name=_("patient")
    )
    score = models.PositiveSmallIntegerField(_("rating"))
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("rated at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("visit rating")
        verbose_name_plural = _("visit ratings")
        constraints = [models.CheckConstraint(condition=SCORE_RANGE, name="visit_rating_score_1_to_5")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.score}"


class NetworkRating(models.Model):
    """FBK-1: "Oceń nas" — a general rating of the network (1–5, optional comment)."""

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.CASCADE, related_name="+", verbose_name=_("patient")
    )
    score = models.PositiveSmallIntegerField(_("rating"))
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("rated at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rating of the network")
        verbose_name_plural = _("ratings of the network")
        constraints = [models.CheckConstraint(condition=SCORE_RANGE, name="network_rating_score_1_to_5")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.patient_id}: {self.score}"


class SurveyInvitation(models.Model):
    """SMS-1, FBK-1: a visit of the random sample whose patient was invited to rate it — by SMS, or by e-mail when
    there is no mobile to write to. One per visit; a patient is not invited again within
    ``CARENET_SURVEY_PATIENT_DAYS`` days (the rows by patient and time say when they last were)."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("e-mail")

    appointment = models.OneToOneField(
        "booking.Appointment", on_delete=models.CASCADE, related_name="survey_invitation", verbose_name=_("visit")
    )
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.CASCADE, related_name="+", verbose_name=_("patient")
    )
    channel = models.CharField(_("sent by"), max_length=5, choices=Channel.choices)
    sent_at = models.DateTimeField(_("invited at"))

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        indexes = [models.Index(fields=["patient", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.channel}"
