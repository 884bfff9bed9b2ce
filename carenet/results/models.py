"""Results from laboratories and imaging (CLN-3).

A laboratory (or an imaging department) sends each result as an HL7 v2.5 ``ORU^R01`` message over MLLP. Every
message that arrives is kept as an :class:`InboundMessage` — the raw text, who sent it, its control id (MSH-10) and
the acknowledgement CareNet answered — so a resent message is recognised and changes nothing. A message that
matches a patient (by PESEL) and, when it names one, the order (the referral the exam was booked with) becomes a
:class:`Result` with its :class:`Observation` rows and any attached PDF report; a message that matches nobody stays
in the back office's review queue (``InboundMessage.State.REVIEW``) until someone assigns or rejects it.

Results are the laboratory's documents: CareNet never edits their content. Another person may collect a patient's
results only with a :class:`CollectionAuthorisation` recorded at a centre (CLN-3), which the patient sees and may
revoke.
"""

from __future__ import annotations

from django.core.files.storage import Storage
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carenet.core.audit import audit

#: Where result reports (PDF) are stored: a private storage alias of ``STORAGES`` (never served from the web root).
RESULT_STORAGE_ALIAS = "private"


def _private_storage() -> Storage:
    from django.core.files.storage import storages

    return storages[RESULT_STORAGE_ALIAS]


class InboundMessage(models.Model):
    """One HL7 v2 message received over MLLP, whatever became of it; unique by sender and control id (MSH-10)."""

    class State(models.TextChoices):
        ACCEPTED = "accepted", _("accepted: stored as a result")
        REVIEW = "review", _("waiting for review: no matching patient or order")
        RESOLVED = "resolved", _("reviewed: assigned to a patient")
        DISMISSED = "dismissed", _("reviewed: dismissed")
        REJECTED = "rejected", _("rejected")

    class Ack(models.TextChoices):
        ACCEPT = "AA", _("accepted")
        ERROR = "AE", _("error")
        REJECT = "AR", _("rejected")

    # MSH-3 and MSH-4 (sending application and facility) as received, e.g. "LAB^ALAB-WAW".
    sender = models.CharField(_("sender"), max_length=120, blank=True)
    control_id = models.CharField(_("message control id"), max_length=60)
    message_type = models.CharField(_("message type"), max_length=20, blank=True)
    received_at = models.DateTimeField(_("received at"))
    raw = models.TextField(_("message"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    ack_code = models.CharField(_("acknowledgement"), max_length=2, choices=Ack.choices)
    ack_text = models.CharField(_("reason"), max_length=200, blank=True)
    # What the message said about whom, kept for the review queue (the patient may not be known).
    patient_pesel = models.CharField(_("PESEL in the message"), max_length=20, blank=True)
    patient_name = models.CharField(_("name in the message"), max_length=160, blank=True)
    order_number = models.CharField(_("order number in the message"), max_length=60, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("received HL7 message")
        verbose_name_plural = _("received HL7 messages")
        constraints = [
            models.UniqueConstraint(fields=["sender", "control_id"], name="one_message_per_control_id"),
        ]
        indexes = [models.Index(fields=["state", "received_at"], name="results_msg_state_idx")]

    def __str__(self) -> str:
        return f"{self.message_type} {self.control_id} ({self.get_state_display()})"


class Result(models.Model):
    """A laboratory result or an imaging report for one patient (one ``ORC``/``OBR`` group of a message)."""

    class Kind(models.TextChoices):
        LABORATORY = "lab", _("laboratory")
        IMAGING = "imaging", _("imaging")

    class Status(models.TextChoices):
        PRELIMINARY = "P", _("preliminary")
        FINAL = "F", _("final")
        CORRECTED = "C", _("corrected")

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="results", verbose_name=_("patient")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.LABORATORY)
    message = models.ForeignKey(
        InboundMessage, on_delete=models.PROTECT, related_name="results", verbose_name=_("message")
    )
    # The order: the referral the exam was done on (its clinician ordered it and sees the result), when known.
    referral = models.ForeignKey(
        "clinical.Referral",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="results",
        verbose_name=_("referral"),
    )
    ordered_by = models.ForeignKey(
        "network.Clinician",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="results_ordered",
        verbose_name=_("ordered by"),
    )
    # Where it was done: a network or partner facility when the sender is one of ours, else the sender's name.
    facility = models.ForeignKey(
        "network.Facility",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("facility"),
    )
    performed_by = models.CharField(_("laboratory"), max_length=120, blank=True)
    placer_order_number = models.CharField(_("order number"), max_length=60, blank=True)
    filler_order_number = models.CharField(_("laboratory's number"), max_length=60, blank=True)
    code = models.CharField(_("exam code"), max_length=40, blank=True)
    name = models.CharField(_("exam"), max_length=200)
    status = models.CharField(_("status"), max_length=1, choices=Status.choices, default=Status.FINAL)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("reported at"))
    received_at = models.DateTimeField(_("received at"))
    # An imaging report's text (a laboratory result may carry a comment here).
    report_text = models.TextField(_("report"), blank=True)
    pdf = models.FileField(
        _("PDF report"), storage=_private_storage, upload_to="results/%Y/%m/", max_length=200, blank=True
    )
    # SMS "your results are ready" (no result in it): when it was enqueued, exactly once per result.
    patient_notified_at = models.DateTimeField(_("patient notified at"), null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("result")
        verbose_name_plural = _("results")
        indexes = [
            models.Index(fields=["patient", "-reported_at"], name="results_patient_newest_idx"),
            models.Index(fields=["ordered_by", "-reported_at"], name="results_orderer_newest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.reported_at:%Y-%m-%d})"


class Observation(models.Model):
    """One ``OBX`` of a result: an analyte with its value, unit, reference range and abnormal flag."""

    result = models.ForeignKey(Result, on_delete=models.CASCADE, related_name="observations", verbose_name=_("result"))
    sequence = models.PositiveIntegerField(_("order"))
    code = models.CharField(_("code"), max_length=40, blank=True)
    coding_system = models.CharField(_("coding system"), max_length=20, blank=True)
    name = models.CharField(_("name"), max_length=200)
    value = models.CharField(_("value"), max_length=400, blank=True)
    # The value as a number when it is one (for the history chart of one analyte).
    numeric_value = models.DecimalField(_("numeric value"), max_digits=18, decimal_places=6, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    reference_range = models.CharField(_("reference range"), max_length=60, blank=True)
    range_low = models.DecimalField(_("lower limit"), max_digits=18, decimal_places=6, null=True, blank=True)
    range_high = models.DecimalField(_("upper limit"), max_digits=18, decimal_places=6, null=True, blank=True)
    # OBX-8 as sent: L, H, LL, HH, A, N … (empty: within the range or not applicable).
    abnormal_flag = models.CharField(_("abnormal flag"), max_length=5, blank=True)
    observed_at = models.DateTimeField(_("observed at"), null=True, blank=True)

    class Meta:
        ordering = ["result", "sequence"]
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        constraints = [
            models.UniqueConstraint(fields=["result", "sequence"], name="one_observation_per_sequence"),
        ]
        indexes = [models.Index(fields=["code"], name="results_observation_code_idx")]

    def __str__(self) -> str:
        return f"{self.name}: {self.value} {self.unit}".strip()


class CollectionAuthorisation(models.Model):
    """CLN-3: a person the patient authorised, at a centre, to collect their results — checked at the reception desk,
    visible to the patient, who may revoke it. Never deleted: a revoked one keeps who revoked it and when."""

    class Scope(models.TextChoices):
        ALL = "all", _("all results")
        LABORATORY = "lab", _("laboratory results")
        IMAGING = "imaging", _("imaging results")

    patient = models.ForeignKey(
        "accounts.Patient",
        on_delete=models.PROTECT,
        related_name="collection_authorisations",
        verbose_name=_("patient"),
    )
    full_name = models.CharField(_("authorised person"), max_length=160)
    pesel = models.CharField(_("authorised person's PESEL"), max_length=11)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.ALL)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    facility = models.ForeignKey(
        "network.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded at")
    )
    recorded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("authorisation to collect results")
        verbose_name_plural = _("authorisations to collect results")
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
                name="collection_authorisation_revoked_complete",
            ),
            models.CheckConstraint(condition=~Q(full_name=""), name="collection_authorisation_has_name"),
        ]

    def __str__(self) -> str:
        return self.full_name


audit(InboundMessage, exclude=("raw",))
audit(CollectionAuthorisation)
