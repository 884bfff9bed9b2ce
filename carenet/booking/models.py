"""Appointments: a patient's booking of a slot (BKG-1, BKG-2)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carenet.core.audit import audit


class Channel(models.TextChoices):
    """BKG-1: where a booking (or a cancellation) came from."""

    PORTAL = "portal", _("patient portal")
    MOBILE = "mobile", _("mobile app")
    CALL_CENTRE = "call_centre", _("call centre")
    RECEPTION = "reception", _("reception")
    STAFF_CHAT = "staff_chat", _("staff chat")
    SMS = "sms", _("SMS")
    # NET-3: visits cancelled by a coordinator's closure of their facility (never a booking channel: no role books
    # through it).
    CLOSURE = "closure", _("facility closure")


class CheckInChannel(models.TextChoices):
    """CHK-2: how a patient's arrival was confirmed."""

    RECEPTION = "reception", _("at reception")
    SMS = "sms", _("by SMS (TAK)")
    CHECKIN_PAGE = "checkin_page", _("on the check-in page")


class Appointment(models.Model):
    class Status(models.TextChoices):
        HELD = "held", _("held for confirmation")
        EXPIRED = "expired", _("hold expired")
        BOOKED = "booked", _("booked")
        CHECKED_IN = "checked_in", _("checked in")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")
        NO_SHOW = "no_show", _("no-show")
        REFUSED_LATE = "refused_late", _("refused: late")

    # Statuses that hold the slot: at most one appointment per slot may be in one of them (BKG-2). A hold past its
    # expiry still holds the slot in the database until it is expired (lazily by the next booking of that slot, or
    # by the periodic sweep).
    ACTIVE_STATUSES = (Status.HELD, Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED)

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="appointments", verbose_name=_("patient")
    )
    slot = models.ForeignKey(
        "scheduling.Slot", on_delete=models.PROTECT, related_name="appointments", verbose_name=_("slot")
    )
    service = models.ForeignKey(
        "network.Service", on_delete=models.PROTECT, related_name="appointments", verbose_name=_("service")
    )
    enrolment = models.ForeignKey(
        "coverage.Enrolment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("enrolment"),
    )
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.BOOKED)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    booked_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("booked by")
    )
    price = models.DecimalField(_("price to pay (PLN)"), max_digits=9, decimal_places=2, default=Decimal("0"))
    limit_pool = models.SlugField(_("annual limit pool used"), max_length=60, blank=True)
    coverage_kind = models.CharField(_("coverage"), max_length=20, blank=True, default="", db_default="")
    hold_expires_at = models.DateTimeField(_("hold expires at"), null=True, blank=True)
    rescheduled_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rescheduled_to",
        verbose_name=_("rescheduled from"),
    )
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancel_channel = models.CharField(_("cancelled through"), max_length=12, choices=Channel.choices, blank=True)
    # Arrival (CHK-1..5): who confirmed it, how and when; who recorded "refused: late" or a no-show (empty for the
    # periodic no-show sweep); when the SMS check-in question was sent (CHK-3, once per visit).
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
    )
    check_in_channel = models.CharField(
        _("checked in through"), max_length=14, choices=CheckInChannel.choices, blank=True, default="", db_default=""
    )
    outcome_recorded_at = models.DateTimeField(_("outcome recorded at"), null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("outcome recorded by"),
    )
    checkin_asked_at = models.DateTimeField(_("check-in question sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(status__in=["held", "booked", "checked_in", "completed"]),
                name="one_active_appointment_per_slot",
                violation_error_message=_("This slot is already taken."),
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="appointment_price_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="held") | Q(hold_expires_at__isnull=False), name="held_appointment_has_expiry"
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "status"]),
            models.Index(
                fields=["status", "hold_expires_at"], condition=Q(status="held"), name="appointment_open_holds"
            ),
            models.Index(fields=["status", "slot"], condition=Q(status="booked"), name="appointment_booked_slot"),
            # SCH-2 (issue 16): the patient's latest bookings first — the remembered city of every search form is
            # read from the newest rows, not by sorting all of a long history.
            models.Index(fields=["patient", "-created_at", "-id"], name="appointment_patient_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} @ {self.slot}"


# The back office's changes to these records are kept with who made them (django-auditlog).
audit(Appointment)


class SmsCancelPrompt(models.Model):
    """CXL-2: the numbered list of upcoming visits sent to a phone in answer to NIE; the patient's next reply with
    a number cancels the visit at that position. Only the latest unanswered, unexpired prompt of a phone counts."""

    phone = models.CharField(_("phone number"), max_length=32)
    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.CASCADE, related_name="+", verbose_name=_("patient")
    )
    # Appointment ids in the order they were listed (position 1 is the first id).
    appointment_ids = models.JSONField(_("listed appointments"), default=list)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("SMS cancellation prompt")
        verbose_name_plural = _("SMS cancellation prompts")
        indexes = [models.Index(fields=["phone", "created_at"], name="sms_cancel_prompt_phone")]

    def __str__(self) -> str:
        return f"{self.phone} {self.created_at:%Y-%m-%d %H:%M}"


class NoShowBlockLift(models.Model):
    """BKG-5: staff lifted a patient's no-show block in a specialty; the no-shows before ``lifted_at`` no longer
    count (a new series after the lift blocks again)."""

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.CASCADE, related_name="no_show_lifts", verbose_name=_("patient")
    )
    specialty = models.ForeignKey(
        "network.Specialty", on_delete=models.PROTECT, related_name="+", verbose_name=_("specialty")
    )
    lifted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("lifted by")
    )
    lifted_at = models.DateTimeField(_("lifted at"))
    reason = models.CharField(_("reason"), max_length=300)

    class Meta:
        ordering = ["-lifted_at"]
        verbose_name = _("no-show block lift")
        verbose_name_plural = _("no-show block lifts")
        indexes = [models.Index(fields=["patient", "specialty", "lifted_at"], name="no_show_lift_lookup")]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="no_show_lift_has_reason")]

    def __str__(self) -> str:
        return f"{self.patient} / {self.specialty} {self.lifted_at:%Y-%m-%d}"


class CheckInUndo(models.Model):
    """CHK-2, issue 14: reception undid a wrong check-in within ``CARENET_CHECK_IN_UNDO_MINUTES`` of it; the visit
    went back to booked. Kept with who undid it and when, and the check-in it undid (who, when)."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="check_in_undos", verbose_name=_("visit")
    )
    undone_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("undone by")
    )
    undone_at = models.DateTimeField(_("undone at"))
    checked_in_at = models.DateTimeField(_("checked in at"))
    checked_in_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked in by"),
    )

    class Meta:
        ordering = ["-undone_at"]
        verbose_name = _("undone check-in")
        verbose_name_plural = _("undone check-ins")

    def __str__(self) -> str:
        return f"{self.appointment_id} {self.undone_at:%Y-%m-%d %H:%M}"


class CheckInAttempt(models.Model):
    """CHK-4: one try on the check-in page; counted per phone and per device over the last hour (rate limit), and —
    the tries with a wrong entrance code only — per client address."""

    phone = models.CharField(_("phone number"), max_length=32)
    device = models.CharField(_("device"), max_length=80)
    address = models.CharField(_("client address"), max_length=64, blank=True, default="")
    at = models.DateTimeField(_("at"))
    ok = models.BooleanField(_("succeeded"), default=False)
    wrong_code = models.BooleanField(_("wrong entrance code"), default=False)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("check-in attempt")
        verbose_name_plural = _("check-in attempts")
        indexes = [
            models.Index(fields=["phone", "at"], name="checkin_attempt_phone"),
            models.Index(fields=["device", "at"], name="checkin_attempt_device"),
            models.Index(fields=["address", "at"], name="checkin_attempt_address"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} {self.at:%Y-%m-%d %H:%M}"


audit(NoShowBlockLift)
audit(CheckInUndo)
