"""Ask the doctor (CLN-4): a patient's question about a completed visit, and the clinician's answer."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carenet.core.audit import audit


class Question(models.Model):
    """A question about one completed visit (``appointment``), for that visit's clinician.

    At most one question per visit is open at a time (a conditional unique constraint); once it is answered the
    patient may ask again, as a new question — each question keeps its own answer. When the answer is late
    (``due_at``, the service time in working days) the periodic routing sets ``routed_at``: from then on the
    clinicians of ``specialty`` at ``facility`` (the visit's; no facility for a teleconsultation: any) may answer
    it too. Never deleted; the text of neither side changes after it is sent."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for an answer")
        ANSWERED = "answered", _("answered")

    appointment = models.ForeignKey(
        "booking.Appointment", on_delete=models.PROTECT, related_name="questions", verbose_name=_("visit")
    )
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="questions", verbose_name=_("patient")
    )
    asked_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by")
    )
    text = models.TextField(_("question"))
    asked_at = models.DateTimeField(_("asked at"))
    due_at = models.DateTimeField(_("answer due by"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # Whom it is for: the visit's clinician, and — once routed — the specialty's clinicians at the facility.
    clinician = models.ForeignKey(
        "network.Clinician", on_delete=models.PROTECT, related_name="questions", verbose_name=_("clinician")
    )
    specialty = models.ForeignKey(
        "network.Specialty", on_delete=models.PROTECT, related_name="+", verbose_name=_("specialty")
    )
    facility = models.ForeignKey(
        "network.Facility",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("facility"),
    )
    routed_at = models.DateTimeField(_("routed to the specialty at"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True, default="")
    answered_by = models.ForeignKey(
        "network.Clinician",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["-asked_at", "-id"]
        verbose_name = _("question to the doctor")
        verbose_name_plural = _("questions to the doctor")
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(status="open"),
                name="one_open_question_per_visit",
                violation_error_message=_("This visit already has a question waiting for an answer."),
            ),
            models.CheckConstraint(condition=~Q(text=""), name="question_has_text"),
            models.CheckConstraint(
                condition=Q(status="open", answered_at__isnull=True, answered_by__isnull=True, answer="")
                | (Q(status="answered", answered_at__isnull=False, answered_by__isnull=False) & ~Q(answer="")),
                name="question_answer_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["clinician", "status", "asked_at"], name="question_clinician_inbox"),
            models.Index(fields=["specialty", "status", "asked_at"], name="question_routed_inbox"),
            models.Index(
                fields=["due_at"], condition=Q(status="open", routed_at__isnull=True), name="question_to_route"
            ),
            models.Index(fields=["patient", "asked_at"], name="question_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} / {self.appointment_id} {self.asked_at:%Y-%m-%d}"


audit(Question)
