"""Clinical documents a clinician issues (CLN-1, CLN-5): referrals (also what a booking that needs one consumes,
BKG-4, BKG-6), e-prescriptions from the drug catalogue, sick leave (e-ZLA) and recommendations.

Every document issued by a clinician is signed when it is issued and never changes afterwards: a correction is a new
version whose ``supersedes`` names the one it replaces; both are kept (:mod:`carenet.clinical.policies`). The
identifiers the national e-health platform assigns (``national_id``, the patient's 4-digit ``access_code``) come from
:mod:`carenet.clinical.platform`. ``facility`` is where it was issued: documentation made at a partner facility is
hidden from network clinicians (CLN-6)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from carenet.core.audit import audit
from carenet.core.errors import Conflict


class ImmutableDocument(Conflict):
    """CLN-5: a signed clinical document cannot be changed or deleted; a correction is a new version."""

    default_code = "document_signed"

    def __init__(self) -> None:
        super().__init__(_("A signed document cannot be changed: issue a correction instead."))


class SignedDocumentQuerySet(models.QuerySet[Any]):
    """Bulk writes that would change or remove signed documents are refused (CLN-5)."""

    def update(self, **kwargs: Any) -> int:
        raise ImmutableDocument()

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        raise ImmutableDocument()

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableDocument()


#: CLN-1, BKG-4: what may still change on a network referral once it is signed — which booking uses it, and its
#: validity extended by an administrator (with the record of that extension).
REFERRAL_MUTABLE_FIELDS = frozenset({"used_by", "used_by_id", "valid_until", "extended_by", "extended_by_id"})


class ReferralQuerySet(models.QuerySet["Referral"]):
    """A network referral's clinical content never changes (CLN-5); booking and the CLN-1 extension still set
    ``used_by``, ``valid_until`` and ``extended_by``. Employers' referrals are typed in by staff and stay editable."""

    def _has_signed(self) -> bool:
        return self.filter(source=Referral.Source.NETWORK).exists()

    def update(self, **kwargs: Any) -> int:
        if not set(kwargs) <= REFERRAL_MUTABLE_FIELDS and self._has_signed():
            raise ImmutableDocument()
        return super().update(**kwargs)

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        if not set(fields) <= REFERRAL_MUTABLE_FIELDS and self._has_signed():
            raise ImmutableDocument()
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self._has_signed():
            raise ImmutableDocument()
        return super().delete()


def _inserting(instance: models.Model, kwargs: dict[str, Any]) -> bool:
    return bool(kwargs.get("force_insert")) or (instance._state.adding and instance.pk is None)


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
    # CLN-5: where and during which visit a clinician issued it, what the national platform assigned, and the version
    # it corrects (empty on referrals issued before the clinician console and on employers' referrals).
    facility = models.ForeignKey(
        "network.Facility",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued at facility"),
    )
    appointment = models.ForeignKey(
        "booking.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_issued",
        verbose_name=_("issued during visit"),
    )
    national_id = models.CharField(_("national platform identifier"), max_length=60, blank=True, default="")
    access_code = models.CharField(_("access code"), max_length=4, blank=True, default="")
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("corrects"),
    )
    note = models.CharField(_("clinician's note"), max_length=500, blank=True, default="")
    # CLN-1: the last administrative extension of validity that changed ``valid_until`` (its record says who).
    extended_by = models.ForeignKey(
        "clinical.ReferralValidityExtension",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("validity extended by"),
    )
    used_by = models.OneToOneField(
        "booking.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referral",
        verbose_name=_("used by appointment"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ReferralQuerySet.as_manager()

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
        indexes = [models.Index(fields=["patient", "valid_until"]), models.Index(fields=["issued_at"])]

    def __str__(self) -> str:
        return f"{self.patient}: {self.service} ({self.valid_until:%Y-%m-%d})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """CLN-5: saving a signed (network) referral may change only what booking and the CLN-1 extension change."""
        if not _inserting(self, kwargs):
            # The stored row decides (an in-memory ``source`` could claim an employer's referral).
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= REFERRAL_MUTABLE_FIELDS:
                self._refuse_clinical_changes()
        super().save(*args, **kwargs)

    def _refuse_clinical_changes(self) -> None:
        stored = type(self).objects.filter(pk=self.pk).first()
        if stored is None or stored.source != self.Source.NETWORK:
            return
        for field in self._meta.concrete_fields:
            if field.attname in REFERRAL_MUTABLE_FIELDS or field.attname == "created_at":
                continue
            if getattr(stored, field.attname) != getattr(self, field.attname):
                raise ImmutableDocument()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        stored = type(self).objects.filter(pk=self.pk).values_list("source", flat=True).first()
        if self.Source.NETWORK in (self.source, stored):
            raise ImmutableDocument()
        return super().delete(*args, **kwargs)


class ReferralValidityExtension(models.Model):
    """CLN-1: an administrator extended, in one step, the validity of every referral issued in a date window (in
    2020, those issued before 1 March got 6 more months)."""

    issued_from = models.DateField(_("issued from"))
    issued_until = models.DateField(_("issued until"))
    months = models.PositiveSmallIntegerField(_("extended by (months)"))
    reason = models.CharField(_("reason"), max_length=300)
    extended_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("extended by")
    )
    extended_at = models.DateTimeField(_("extended at"))
    referral_count = models.PositiveIntegerField(_("referrals extended"), default=0)

    class Meta:
        ordering = ["-extended_at"]
        verbose_name = _("referral validity extension")
        verbose_name_plural = _("referral validity extensions")
        constraints = [
            models.CheckConstraint(condition=Q(issued_from__lte=F("issued_until")), name="extension_window_ordered"),
            models.CheckConstraint(condition=Q(months__gte=1), name="extension_at_least_a_month"),
        ]

    def __str__(self) -> str:
        return f"{self.issued_from:%Y-%m-%d}–{self.issued_until:%Y-%m-%d} +{self.months}"


class Drug(models.Model):
    """A medicinal product of the catalogue shipped as data (``clinical/data/drugs.csv``) that prescriptions name."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    substance = models.CharField(_("active substance"), max_length=160, blank=True, default="")
    form = models.CharField(_("form"), max_length=80)
    strength = models.CharField(_("strength"), max_length=60, blank=True, default="")
    pack = models.CharField(_("pack"), max_length=60)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "strength", "pack"]
        verbose_name = _("drug")
        verbose_name_plural = _("drugs")
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return " ".join(part for part in (self.name, self.form, self.strength, self.pack) if part)


class ClinicalDocument(models.Model):
    """What every document a clinician issues shares (CLN-5): signed once at issue, corrected only by a new version."""

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="+", verbose_name=_("patient")
    )
    issued_by = models.ForeignKey(
        "network.Clinician", on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    facility = models.ForeignKey(
        "network.Facility", on_delete=models.PROTECT, related_name="+", verbose_name=_("issued at facility")
    )
    appointment = models.ForeignKey(
        "booking.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued during visit"),
    )
    issued_at = models.DateTimeField(_("issued and signed at"))
    national_id = models.CharField(_("national platform identifier"), max_length=60)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("corrects"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SignedDocumentQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-issued_at"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Only the insert of a new document: a signed one never changes (a correction is a new row)."""
        if not _inserting(self, kwargs):
            raise ImmutableDocument()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableDocument()


class Prescription(ClinicalDocument):
    """An e-prescription (CLN-5): a drug of the catalogue, its dose and quantity, the reimbursement level; the
    patient gets the 4-digit code a pharmacy asks for by SMS (SMS-1)."""

    class Reimbursement(models.TextChoices):
        FULL_PRICE = "100%", _("full price (100%)")
        FIFTY = "50%", _("50% payment")
        THIRTY = "30%", _("30% payment")
        LUMP_SUM = "R", _("lump sum (R)")
        FREE = "B", _("free (B)")

    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="prescriptions", verbose_name=_("drug"))
    dose = models.CharField(_("dose"), max_length=200)
    quantity = models.PositiveSmallIntegerField(_("quantity (packs)"))
    reimbursement = models.CharField(
        _("reimbursement"), max_length=4, choices=Reimbursement.choices, default=Reimbursement.FULL_PRICE
    )
    access_code = models.CharField(_("access code"), max_length=4)
    valid_until = models.DateField(_("can be filled until"))

    class Meta(ClinicalDocument.Meta):
        verbose_name = _("e-prescription")
        verbose_name_plural = _("e-prescriptions")
        indexes = [models.Index(fields=["patient", "issued_at"]), models.Index(fields=["patient", "drug"])]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="prescription_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.patient}: {self.drug} × {self.quantity}"


class SickLeave(ClinicalDocument):
    """A sick leave certificate (e-ZLA, CLN-5) sent to the social insurer: from, to, the letter code of the reason's
    category, the employer's NIP."""

    class ReasonCode(models.TextChoices):
        NONE = "", _("no code")
        A = "A", _("A — incapacity after a break of at most 60 days, same illness")
        B = "B", _("B — incapacity during pregnancy")
        C = "C", _("C — caused by alcohol abuse")
        D = "D", _("D — tuberculosis")
        E = "E", _("E — infectious disease with an incubation period over 16 days")

    class Indication(models.TextChoices):
        BED_REST = "1", _("must stay in bed")
        MAY_WALK = "2", _("may walk")

    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    reason_code = models.CharField(
        _("reason category code"), max_length=1, choices=ReasonCode.choices, blank=True, default=""
    )
    indication = models.CharField(
        _("indication"), max_length=1, choices=Indication.choices, default=Indication.MAY_WALK
    )
    diagnosis_code = models.CharField(_("diagnosis (ICD-10)"), max_length=8, blank=True, default="")
    employer_nip = models.CharField(_("employer's NIP"), max_length=10)

    class Meta(ClinicalDocument.Meta):
        verbose_name = _("sick leave (e-ZLA)")
        verbose_name_plural = _("sick leaves (e-ZLA)")
        indexes = [models.Index(fields=["patient", "issued_at"])]
        constraints = [models.CheckConstraint(condition=Q(starts_on__lte=F("ends_on")), name="sick_leave_ordered")]

    def __str__(self) -> str:
        return f"{self.patient}: {self.starts_on:%Y-%m-%d}–{self.ends_on:%Y-%m-%d}"


class Recommendation(ClinicalDocument):
    """A clinician's recommendation (CLN-5, CLN-3): text, and an in-person visit recommended or exams to do."""

    text = models.TextField(_("recommendation"))
    in_person_visit = models.BooleanField(_("in-person visit recommended"), default=False)
    in_person_specialty = models.ForeignKey(
        "network.Specialty",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("in-person visit with"),
    )
    exams = models.ManyToManyField("network.Service", blank=True, related_name="+", verbose_name=_("exams to do"))

    class Meta(ClinicalDocument.Meta):
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        indexes = [models.Index(fields=["patient", "issued_at"])]

    def __str__(self) -> str:
        return f"{self.patient}: {self.text[:40]}"


def _exams_of_a_signed_recommendation(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    """CLN-5: the exams a recommendation lists are part of what was signed: set once, while it is issued
    (:func:`carenet.clinical.services.recommendation_issue` marks that moment), never changed afterwards."""
    if action in {"pre_add", "pre_remove", "pre_clear"} and not getattr(instance, "signing", False):
        raise ImmutableDocument()


models.signals.m2m_changed.connect(
    _exams_of_a_signed_recommendation, sender=Recommendation.exams.through, dispatch_uid="clinical-exams-signed"
)


def _exam_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """CLN-5: deleting an exam from the catalogue would cascade to its links and take it off signed
    recommendations behind ``m2m_changed``'s back (Django sends no signal for the links themselves): refused while
    a recommendation lists it."""
    if Recommendation.exams.through.objects.filter(service_id=instance.pk).exists():
        raise ImmutableDocument()


models.signals.pre_delete.connect(_exam_deleted, sender="network.Service", dispatch_uid="clinical-exam-signed")

audit(Referral)
audit(ReferralValidityExtension)
audit(Drug)
