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
