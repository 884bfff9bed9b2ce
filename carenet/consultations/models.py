"""Models of online consultations (TEL-2, TEL-3, FBK-1).

* :class:`Line` — an on-demand queue: a specialty patients start a consultation in without booking (internal/family
  medicine 18+, paediatrics under 18, paediatric nursing, midwifery), with the service it becomes (coverage, PKG-4);
* :class:`Duty` — a clinician on duty for a line over a period: only they take its next patient;
* :class:`Consultation` — one online consultation: waiting in a line, then in progress with its clinician as a visit
  (``appointment``), then ended with an outcome — or a booked video visit's room (SCH-3), opened at its time;
* :class:`ChatMessage` — the chat, stored with the consultation, numbered (``seq``) so a reconnecting client
  catches up, and idempotent by the client's own id so a resend after a dropped connection is stored once;
* :class:`QueuedFile` — a file the patient attached while waiting (TEL-3), carried to the visit when it starts;
* :class:`SurveyAnswer` — the short survey after an online consultation (FBK-1), once.

State lives in the database, never in a server's memory: a restarted server, or another process, picks up every
consultation where it was.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Line(models.Model):
    """TEL-2: an on-demand queue. Age bounds are checked against the patient the consultation is for: ``min_age``
    inclusive (18 for internal medicine), ``below_age`` exclusive (18 for paediatrics: under 18)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("name in English"), max_length=120)
    specialty = models.ForeignKey(
        "network.Specialty", on_delete=models.PROTECT, related_name="+", verbose_name=_("specialty")
    )
    service = models.ForeignKey(
        "network.Service",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("service"),
        help_text=_("What the consultation becomes as a visit: its coverage and limits are checked as for a booking."),
    )
    min_age = models.PositiveSmallIntegerField(_("from age (inclusive)"), null=True, blank=True)
    below_age = models.PositiveSmallIntegerField(_("below age (exclusive)"), null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(
        _("typical length (minutes)"), default=12, help_text=_("Used for the estimated wait until there is history.")
    )
    order = models.PositiveSmallIntegerField(_("order on the page"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("on-demand line")
        verbose_name_plural = _("on-demand lines")
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gte=3, minutes__lte=120), name="line_minutes_sane"),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True) | Q(below_age__isnull=True) | Q(min_age__lt=F("below_age")),
                name="line_ages_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Duty(models.Model):
    """A clinician on duty for an on-demand line from ``starts_at`` to ``ends_at`` (planned by coordinators)."""

    clinician = models.ForeignKey(
        "network.Clinician", on_delete=models.PROTECT, related_name="duties", verbose_name=_("clinician")
    )
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="duties", verbose_name=_("line"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("planned by")
    )
    created_at = models.DateTimeField(_("planned at"), auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="duty_starts_before_it_ends"),
        ]
        indexes = [
            models.Index(fields=["line", "ends_at", "starts_at"], name="duty_line_period"),
            models.Index(fields=["clinician", "ends_at", "starts_at"], name="duty_clinician_period"),
        ]

    def __str__(self) -> str:
        return f"{self.clinician} {self.line} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class Consultation(models.Model):
    class Kind(models.TextChoices):
        ON_DEMAND = "on_demand", _("on demand")
        BOOKED = "booked", _("booked video visit")

    class Mode(models.TextChoices):
        CHAT = "chat", _("chat")
        VOICE = "voice", _("voice call")
        VIDEO = "video", _("video call")

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting in the queue")
        IN_PROGRESS = "in_progress", _("in progress")
        ENDED = "ended", _("ended")
        LEFT = "left", _("left the queue")

    class Outcome(models.TextChoices):
        ADVICE = "advice", _("advice given")
        DOCUMENTS = "documents", _("documents issued")
        IN_PERSON = "in_person", _("in-person visit recommended")
        URGENT = "urgent", _("referred to urgent care")
        NO_CONTACT = "no_contact", _("no contact with the patient")

    OPEN_STATUSES = (Status.WAITING, Status.IN_PROGRESS)

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ON_DEMAND)
    line = models.ForeignKey(
        Line, on_delete=models.PROTECT, null=True, blank=True, related_name="consultations", verbose_name=_("line")
    )
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="consultations", verbose_name=_("patient")
    )
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("started by")
    )
    mode = models.CharField(_("form"), max_length=5, choices=Mode.choices, default=Mode.VIDEO)
    # BKG-1: the door the patient started it through (portal or mobile); the visit records the same.
    channel = models.CharField(_("channel"), max_length=12)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.WAITING)
    queued_at = models.DateTimeField(_("queued at"))
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    clinician = models.ForeignKey(
        "network.Clinician",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultations",
        verbose_name=_("clinician"),
    )
    appointment = models.OneToOneField(
        "booking.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consultation",
        verbose_name=_("visit"),
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True, default="")
    outcome_note = models.CharField(_("note"), max_length=300, blank=True, default="")
    ended_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("ended by")
    )
    # The chat's sequence: the number of the last message, raised in the transaction that stores the next one.
    last_seq = models.PositiveIntegerField(_("messages"), default=0)

    class Meta:
        ordering = ["-queued_at", "-id"]
        verbose_name = _("online consultation")
        verbose_name_plural = _("online consultations")
        constraints = [
            # A patient waits in (or is in) one consultation at a time.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=["waiting", "in_progress"], kind="on_demand"),
                name="one_open_consultation_per_patient",
                violation_error_message=_("This patient already has an online consultation under way."),
            ),
            # A clinician takes one on-demand patient at a time.
            models.UniqueConstraint(
                fields=["clinician"],
                condition=Q(status="in_progress", kind="on_demand"),
                name="one_on_demand_consultation_per_clinician",
                violation_error_message=_("This clinician is already in a consultation."),
            ),
            models.CheckConstraint(
                condition=~Q(kind="on_demand") | Q(line__isnull=False), name="on_demand_consultation_has_line"
            ),
            models.CheckConstraint(
                condition=~Q(status="in_progress") | Q(clinician__isnull=False, appointment__isnull=False),
                name="consultation_in_progress_has_visit",
            ),
        ]
        indexes = [
            models.Index(fields=["line", "queued_at", "id"], condition=Q(status="waiting"), name="consultation_queue"),
            models.Index(fields=["patient", "queued_at"], name="consultation_patient"),
            models.Index(fields=["clinician", "status"], name="consultation_clinician"),
        ]

    def __str__(self) -> str:
        return f"{self.pk}: {self.patient_id} {self.status}"


class ChatMessage(models.Model):
    class Side(models.TextChoices):
        PATIENT = "patient", _("patient")
        CLINICIAN = "clinician", _("clinician")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="messages", verbose_name=_("consultation")
    )
    seq = models.PositiveIntegerField(_("number"))
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("author"))
    # The sending client's own id of the message: a resend after a dropped connection is stored once.
    client_id = models.CharField(_("client's id"), max_length=40)
    text = models.TextField(_("text"))
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        ordering = ["consultation", "seq"]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "seq"], name="chat_message_seq"),
            models.UniqueConstraint(fields=["consultation", "author", "client_id"], name="chat_message_once"),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}#{self.seq}"


class QueuedFile(models.Model):
    """TEL-3: a patient's file attached to an on-demand consultation while it waits; when a clinician takes it, the
    file is attached to the visit it becomes (``files.attachments``). Goes with the file."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="queued_files", verbose_name=_("consultation")
    )
    file = models.ForeignKey(
        "patient_files.PatientFile", on_delete=models.CASCADE, related_name="+", verbose_name=_("file")
    )
    attached_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("attached by")
    )
    attached_at = models.DateTimeField(_("attached at"))

    class Meta:
        ordering = ["attached_at", "id"]
        verbose_name = _("file attached while waiting")
        verbose_name_plural = _("files attached while waiting")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "file"], name="one_queued_file_per_consultation"),
        ]

    def __str__(self) -> str:
        return f"{self.file_id} → {self.consultation_id}"


class SurveyAnswer(models.Model):
    """FBK-1: the patient's answer to the short survey after an online consultation — once."""

    class Resolved(models.TextChoices):
        YES = "yes", _("yes")
        PARTLY = "partly", _("partly")
        NO = "no", _("no")

    consultation = models.OneToOneField(
        Consultation, on_delete=models.PROTECT, related_name="survey", verbose_name=_("consultation")
    )
    rating = models.PositiveSmallIntegerField(_("rating (1–5)"))
    resolved = models.CharField(_("was the problem resolved"), max_length=6, choices=Resolved.choices)
    comment = models.CharField(_("comment"), max_length=500, blank=True, default="")
    answered_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("answered by")
    )
    answered_at = models.DateTimeField(_("answered at"))

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="survey_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_id}: {self.rating}"
