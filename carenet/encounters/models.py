"""Models of carenet.encounters: the clinician's record of a phone consultation's call attempts (TEL-1)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CallAttempt(models.Model):
    """TEL-1: one try to reach the patient of a phone consultation — who called, when, and how it went. "Called"
    completes the visit; "not reached" twice offers closing it as a no-show."""

    class Outcome(models.TextChoices):
        CALLED = "called", _("called")
        NOT_REACHED = "not_reached", _("not reached")
        CALL_AGAIN = "call_again", _("call again")

    appointment = models.ForeignKey(
        "booking.Appointment", on_delete=models.PROTECT, related_name="call_attempts", verbose_name=_("visit")
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    note = models.CharField(_("note"), max_length=300, blank=True, default="")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("call attempt")
        verbose_name_plural = _("call attempts")
        indexes = [models.Index(fields=["appointment", "at"], name="call_attempt_visit")]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.outcome} ({self.at:%Y-%m-%d %H:%M})"
